//! GitHub REST client: the operations shipgate needs, with the shared retry policy.

use anyhow::{anyhow, bail, Context};
use serde::Deserialize;

use super::github_app::TokenSource;
use crate::git::{Change, Status};
use crate::http::{self, RetryPolicy};

/// The pull-request files API returns at most this many files.
pub const PR_FILES_LIMIT: usize = 3000;

/// A GitHub API endpoint and where its token comes from.
#[derive(Debug, Clone)]
pub struct GitHub {
    pub api_url: String,
    /// Asked once per request, so App installation tokens are refreshed on long runs.
    pub auth: TokenSource,
    pub policy: RetryPolicy,
}

#[derive(Debug, Deserialize)]
struct PrFile {
    filename: String,
    status: String,
    previous_filename: Option<String>,
}

impl GitHub {
    pub fn new(api_url: &str, token: &str) -> Self {
        Self::with_auth(api_url, TokenSource::Fixed(token.to_string()))
    }

    /// A client whose token comes from `auth` (a fixed token or a GitHub App).
    pub fn with_auth(api_url: &str, auth: TokenSource) -> Self {
        GitHub {
            api_url: api_url.trim_end_matches('/').to_string(),
            auth,
            policy: RetryPolicy::default(),
        }
    }

    /// The files of a pull request, in API order (at most [`PR_FILES_LIMIT`]; the bool is
    /// true when the list may be cut there). Renames become a deletion and an addition
    /// unless `renames` is set, as in paths-filter.
    pub fn pull_request_files(
        &self,
        repo: &str,
        number: u64,
        renames: bool,
    ) -> anyhow::Result<(Vec<Change>, bool)> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        runtime.block_on(self.pull_request_files_async(repo, number, renames))
    }

    async fn pull_request_files_async(
        &self,
        repo: &str,
        number: u64,
        renames: bool,
    ) -> anyhow::Result<(Vec<Change>, bool)> {
        let client = http::client()?;
        let mut url = format!(
            "{}/repos/{repo}/pulls/{number}/files?per_page=100",
            self.api_url
        );
        let mut files = Vec::new();
        let mut raw_count = 0usize;
        loop {
            let token = self.auth.token().await?;
            let resp = http::send(&self.policy, || {
                client
                    .get(&url)
                    .header("Accept", "application/vnd.github+json")
                    .header("X-GitHub-Api-Version", "2022-11-28")
                    .bearer_auth(&token)
            })
            .await
            .with_context(|| format!("listing the files of pull request #{number}"))?;
            let status = resp.status();
            let next = next_link(resp.headers());
            if !status.is_success() {
                let body = resp.text().await.unwrap_or_default();
                bail!(
                    "GitHub API answered {status} listing the files of pull request #{number}: {}{}",
                    crate::http::excerpt(&body),
                    if status.as_u16() == 403 || status.as_u16() == 404 {
                        " (the token needs 'pull-requests: read' and 'contents: read')"
                    } else {
                        ""
                    }
                );
            }
            let page: Vec<PrFile> = resp
                .json()
                .await
                .map_err(|e| anyhow!("unexpected answer from the GitHub API: {e}"))?;
            raw_count += page.len();
            for f in page {
                let kind = Status::from_api(&f.status);
                match (kind, f.previous_filename) {
                    (Status::Renamed, Some(old)) if !renames => {
                        files.push(Change {
                            status: Status::Added,
                            path: f.filename,
                            from: None,
                        });
                        files.push(Change {
                            status: Status::Deleted,
                            path: old,
                            from: None,
                        });
                    }
                    (kind, from) => files.push(Change {
                        status: kind,
                        path: f.filename,
                        from,
                    }),
                }
            }
            match next {
                Some(n) => url = n,
                None => break,
            }
        }
        Ok((files, raw_count >= PR_FILES_LIMIT))
    }
}

/// The `rel="next"` URL of a `Link` header.
pub fn next_link(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let mut pieces = part.split(';');
        let url = pieces.next()?.trim();
        let is_next = pieces.any(|p| p.trim() == "rel=\"next\"");
        (is_next && url.starts_with('<') && url.ends_with('>'))
            .then(|| url[1..url.len() - 1].to_string())
    })
}

// ---------------------------------------------------------------------------------------
// Comments, commit statuses and deployment statuses (used by `notify`). Async, over one
// caller-owned `reqwest::Client`, each call through the shared retry policy.

/// Pages read at most when listing comments (100 each): 10,000 comments.
const MAX_COMMENT_PAGES: usize = 100;

/// An issue or pull-request comment.
#[derive(Debug, Clone, Deserialize)]
pub struct Comment {
    pub id: u64,
    #[serde(default)]
    pub body: Option<String>,
}

/// A commit status (`POST /repos/{repo}/statuses/{sha}`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CommitStatus {
    /// `error`, `failure`, `pending` or `success`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_url: Option<String>,
    /// At most 140 characters (GitHub rejects longer ones).
    pub description: String,
    pub context: String,
}

/// A deployment status (`POST /repos/{repo}/deployments/{id}/statuses`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct DeploymentStatusBody {
    /// `error`, `failure`, `inactive`, `in_progress`, `queued`, `pending` or `success`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment_url: Option<String>,
    /// At most 140 characters.
    pub description: String,
}

#[derive(Debug, Deserialize)]
struct IdOnly {
    id: u64,
}

#[derive(Debug, Deserialize)]
struct PullNumber {
    number: u64,
}

impl GitHub {
    fn call(
        client: &reqwest::Client,
        method: reqwest::Method,
        url: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        client
            .request(method, url)
            .header("Accept", "application/vnd.github+json")
            .header("X-GitHub-Api-Version", "2022-11-28")
            .bearer_auth(token)
    }

    /// Sends one call (with a JSON body when given) and fails on a non-success answer,
    /// naming `what` and the permission the token probably lacks.
    /// [`GitHub::exchange`] and the JSON answer, parsed.
    async fn exchange_json<T: serde::de::DeserializeOwned>(
        &self,
        client: &reqwest::Client,
        method: reqwest::Method,
        url: &str,
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> anyhow::Result<T> {
        let resp = self.exchange(client, method, url, body, what).await?;
        resp.json()
            .await
            .map_err(|e| anyhow!("unexpected answer {what}: {e}"))
    }

    async fn exchange(
        &self,
        client: &reqwest::Client,
        method: reqwest::Method,
        url: &str,
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> anyhow::Result<reqwest::Response> {
        let token = self.auth.token().await.with_context(|| what.to_string())?;
        let resp = http::send(&self.policy, || {
            let req = Self::call(client, method.clone(), url, &token);
            match body {
                Some(b) => req.json(b),
                None => req,
            }
        })
        .await
        .with_context(|| what.to_string())?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let text = resp.text().await.unwrap_or_default();
        let hint = match status.as_u16() {
            401 => " (the token is invalid or expired)",
            403 if text.contains("not accessible by integration") => {
                " (the token lacks a permission; on pull requests from forks GITHUB_TOKEN is read-only)"
            }
            403 | 404 => " (check the repository and the token's permissions)",
            422 => " (GitHub rejected the request body)",
            _ => "",
        };
        bail!(
            "GitHub API answered {status} {what}: {}{hint}",
            crate::http::excerpt(&text)
        )
    }

    /// Every comment of an issue or pull request, oldest first (follows `Link` pages).
    pub async fn issue_comments(
        &self,
        client: &reqwest::Client,
        repo: &str,
        number: u64,
    ) -> anyhow::Result<Vec<Comment>> {
        let what = format!("listing the comments of #{number}");
        let mut url = format!(
            "{}/repos/{repo}/issues/{number}/comments?per_page=100",
            self.api_url
        );
        let mut all = Vec::new();
        for _ in 0..MAX_COMMENT_PAGES {
            let resp = self
                .exchange(client, reqwest::Method::GET, &url, None, &what)
                .await?;
            let next = next_link(resp.headers());
            let page: Vec<Comment> = resp
                .json()
                .await
                .map_err(|e| anyhow!("unexpected answer {what}: {e}"))?;
            all.extend(page);
            match next {
                Some(n) => url = n,
                None => break,
            }
        }
        Ok(all)
    }

    /// Posts a comment on an issue or pull request.
    pub async fn create_issue_comment(
        &self,
        client: &reqwest::Client,
        repo: &str,
        number: u64,
        body: &str,
    ) -> anyhow::Result<Comment> {
        let url = format!("{}/repos/{repo}/issues/{number}/comments", self.api_url);
        let what = format!("commenting on #{number}");
        let body = serde_json::json!({ "body": body });
        self.exchange_json(client, reqwest::Method::POST, &url, Some(&body), &what)
            .await
    }

    /// Replaces the body of a comment.
    pub async fn update_issue_comment(
        &self,
        client: &reqwest::Client,
        repo: &str,
        id: u64,
        body: &str,
    ) -> anyhow::Result<Comment> {
        let url = format!("{}/repos/{repo}/issues/comments/{id}", self.api_url);
        let what = format!("updating comment {id}");
        let body = serde_json::json!({ "body": body });
        self.exchange_json(client, reqwest::Method::PATCH, &url, Some(&body), &what)
            .await
    }

    /// Deletes a comment; one that is already gone counts as deleted.
    pub async fn delete_issue_comment(
        &self,
        client: &reqwest::Client,
        repo: &str,
        id: u64,
    ) -> anyhow::Result<()> {
        let url = format!("{}/repos/{repo}/issues/comments/{id}", self.api_url);
        let token = self.auth.token().await?;
        let resp = http::send(&self.policy, || {
            Self::call(client, reqwest::Method::DELETE, &url, &token)
        })
        .await
        .with_context(|| format!("deleting comment {id}"))?;
        let status = resp.status();
        if status.is_success() || status.as_u16() == 404 {
            return Ok(());
        }
        let text = resp.text().await.unwrap_or_default();
        bail!(
            "GitHub API answered {status} deleting comment {id}: {}",
            crate::http::excerpt(&text)
        )
    }

    /// The pull requests a commit belongs to (newest first, as the API orders them).
    pub async fn pulls_for_commit(
        &self,
        client: &reqwest::Client,
        repo: &str,
        sha: &str,
    ) -> anyhow::Result<Vec<u64>> {
        let url = format!("{}/repos/{repo}/commits/{sha}/pulls", self.api_url);
        let what = format!("finding the pull request of commit {sha}");
        let pulls: Vec<PullNumber> = self
            .exchange_json(client, reqwest::Method::GET, &url, None, &what)
            .await?;
        Ok(pulls.into_iter().map(|p| p.number).collect())
    }

    /// Sets a commit status (the latest per `context` is what GitHub shows).
    pub async fn create_commit_status(
        &self,
        client: &reqwest::Client,
        repo: &str,
        sha: &str,
        status: &CommitStatus,
    ) -> anyhow::Result<()> {
        let url = format!("{}/repos/{repo}/statuses/{sha}", self.api_url);
        let body = serde_json::to_value(status)?;
        self.exchange(
            client,
            reqwest::Method::POST,
            &url,
            Some(&body),
            &format!("setting the commit status '{}'", status.context),
        )
        .await?;
        Ok(())
    }

    /// The newest deployment of `sha` to `environment`, if any.
    pub async fn find_deployment(
        &self,
        client: &reqwest::Client,
        repo: &str,
        sha: &str,
        environment: &str,
    ) -> anyhow::Result<Option<u64>> {
        let mut url = reqwest::Url::parse(&format!("{}/repos/{repo}/deployments", self.api_url))
            .context("invalid GitHub API URL")?;
        url.query_pairs_mut()
            .append_pair("sha", sha)
            .append_pair("environment", environment)
            .append_pair("per_page", "1");
        let what = format!("listing the deployments of {sha} to {environment}");
        let found: Vec<IdOnly> = self
            .exchange_json(client, reqwest::Method::GET, url.as_str(), None, &what)
            .await?;
        Ok(found.first().map(|d| d.id))
    }

    /// Creates a deployment of `sha` to `environment` without merging or status checks
    /// (the workflow that calls this is the deployment).
    pub async fn create_deployment(
        &self,
        client: &reqwest::Client,
        repo: &str,
        sha: &str,
        environment: &str,
        description: &str,
    ) -> anyhow::Result<u64> {
        let url = format!("{}/repos/{repo}/deployments", self.api_url);
        let body = serde_json::json!({
            "ref": sha,
            "environment": environment,
            "description": description,
            "auto_merge": false,
            "required_contexts": [],
        });
        let what = format!("creating a deployment of {sha} to {environment}");
        let created: IdOnly = self
            .exchange_json(client, reqwest::Method::POST, &url, Some(&body), &what)
            .await?;
        Ok(created.id)
    }

    /// Adds a status to a deployment.
    pub async fn create_deployment_status(
        &self,
        client: &reqwest::Client,
        repo: &str,
        id: u64,
        status: &DeploymentStatusBody,
    ) -> anyhow::Result<()> {
        let url = format!("{}/repos/{repo}/deployments/{id}/statuses", self.api_url);
        let body = serde_json::to_value(status)?;
        self.exchange(
            client,
            reqwest::Method::POST,
            &url,
            Some(&body),
            &format!("adding a status to deployment {id}"),
        )
        .await?;
        Ok(())
    }
}
