//! GitHub REST operations for approval requests: issues and their comments (paginated,
//! conditional with ETag), team members, commits, deployments and workflow dispatch.
//! Every call goes through the shared retry policy in [`crate::http`].

use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use reqwest::{Method, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use super::github::{next_link, GitHub};
use crate::http;

/// Pages read at most when listing (100 items each).
const MAX_PAGES: usize = 50;

/// A user as the API returns it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct User {
    #[serde(default)]
    pub login: String,
    #[serde(default, rename = "type")]
    pub kind: String,
}

/// An issue (only the fields the gate reads).
#[derive(Debug, Clone, Deserialize)]
pub struct Issue {
    pub number: u64,
    pub html_url: String,
    #[serde(default)]
    pub body: Option<String>,
    pub state: String,
    pub created_at: String,
}

/// An issue comment.
#[derive(Debug, Clone, Deserialize)]
pub struct IssueComment {
    pub id: u64,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub body: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default)]
    pub html_url: String,
}

/// A deployment.
#[derive(Debug, Clone, Deserialize)]
pub struct Deployment {
    pub id: u64,
}

/// A deployment status.
#[derive(Debug, Clone, Deserialize)]
pub struct DeploymentStatus {
    pub state: String,
    pub created_at: String,
}

/// The API refused because of a rate limit and the retry policy gave up (or the answer
/// carried no hint). `wait` is the server's hint, when it gave one.
#[derive(Debug, thiserror::Error)]
#[error("GitHub rate limit: {message}")]
pub struct RateLimited {
    pub wait: Option<Duration>,
    pub message: String,
}

/// Rate-limit headers of the last answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quota {
    pub remaining: Option<u64>,
    /// Epoch seconds when the quota resets.
    pub reset: Option<u64>,
}

/// The answer to a conditional GET.
#[derive(Debug)]
pub enum Conditional<T> {
    /// 304: nothing changed (costs no primary rate limit).
    NotModified(Quota),
    /// 200: the new value, its ETag and the `rel="last"` page URL, if any.
    Modified {
        value: T,
        etag: Option<String>,
        last: Option<String>,
        quota: Quota,
    },
}

/// One connection to the API (a pooled HTTP client and the token).
pub struct Session<'a> {
    gh: &'a GitHub,
    client: reqwest::Client,
}

impl GitHub {
    /// A session for many calls over one HTTP client.
    pub fn session(&self) -> anyhow::Result<Session<'_>> {
        Ok(Session {
            gh: self,
            client: http::client()?,
        })
    }
}

fn header(resp: &Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
}

fn quota(resp: &Response) -> Quota {
    Quota {
        remaining: header(resp, "x-ratelimit-remaining").and_then(|v| v.parse().ok()),
        reset: header(resp, "x-ratelimit-reset").and_then(|v| v.parse().ok()),
    }
}

/// The `rel="last"` URL of a `Link` header.
pub fn last_link(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let mut pieces = part.split(';');
        let url = pieces.next()?.trim();
        let is_last = pieces.any(|p| p.trim() == "rel=\"last\"");
        (is_last && url.starts_with('<') && url.ends_with('>'))
            .then(|| url[1..url.len() - 1].to_string())
    })
}

impl Session<'_> {
    /// Installation tokens minted since last asked (to mask and redact).
    pub fn take_minted(&self) -> Vec<String> {
        self.gh.auth.take_minted()
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.gh.api_url)
    }

    async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        etag: Option<&str>,
    ) -> anyhow::Result<Response> {
        // Per request: an App installation token is replaced before it expires.
        let token = self.gh.auth.token().await?;
        http::send(&self.gh.policy, || {
            let mut req = self
                .client
                .request(method.clone(), url)
                .header("Accept", "application/vnd.github+json")
                .header("X-GitHub-Api-Version", "2022-11-28")
                .bearer_auth(&token);
            if let Some(tag) = etag {
                req = req.header("If-None-Match", tag);
            }
            if let Some(b) = body {
                req = req.json(b);
            }
            req
        })
        .await
    }

    /// Turns an error status into an error that says what failed; rate limits become
    /// [`RateLimited`] so a waiting loop can back off instead of failing.
    async fn check(resp: Response, what: &str) -> anyhow::Result<Response> {
        let status = resp.status();
        if status.is_success() || status == StatusCode::NOT_MODIFIED {
            return Ok(resp);
        }
        let retry_after =
            header(&resp, "retry-after").and_then(|v| crate::http::parse_retry_after(&v));
        let body = resp.text().await.unwrap_or_default();
        // Cut only after redaction (the platform cuts each line): a secret the server
        // echoes near a cut must never show in part.
        let short = crate::http::excerpt(&body);
        let limited = status == StatusCode::TOO_MANY_REQUESTS
            || (status == StatusCode::FORBIDDEN
                && body.to_ascii_lowercase().contains("rate limit"));
        if limited {
            return Err(RateLimited {
                wait: retry_after,
                message: format!("{status} {what}: {short}"),
            }
            .into());
        }
        let hint = match status.as_u16() {
            401 => " (the token is invalid or expired)",
            403 | 404 => " (check the token's permissions: issues: write; for teams, an App or PAT with org members: read)",
            _ => "",
        };
        bail!("GitHub API answered {status} {what}: {short}{hint}")
    }

    async fn json<T: DeserializeOwned>(resp: Response, what: &str) -> anyhow::Result<T> {
        resp.json()
            .await
            .map_err(|e| anyhow!("unexpected answer from the GitHub API {what}: {e}"))
    }

    async fn get_all<T: DeserializeOwned>(
        &self,
        first: String,
        what: &str,
    ) -> anyhow::Result<Vec<T>> {
        let mut url = first;
        let mut all = Vec::new();
        for _ in 0..MAX_PAGES {
            let resp = self
                .send(Method::GET, &url, None, None)
                .await
                .with_context(|| what.to_string())?;
            let resp = Self::check(resp, what).await?;
            let next = next_link(resp.headers());
            let page: Vec<T> = Self::json(resp, what).await?;
            all.extend(page);
            match next {
                Some(n) => url = n,
                None => break,
            }
        }
        Ok(all)
    }

    /// Creates an issue. When GitHub refuses the assignees (422: someone cannot be
    /// assigned), creates it without them rather than failing (manual-approval's most
    /// reported bug). The bool says whether assignees were dropped.
    pub async fn create_issue(
        &self,
        repo: &str,
        title: &str,
        body: &str,
        assignees: &[String],
        labels: &[String],
    ) -> anyhow::Result<(Issue, bool)> {
        let what = format!("creating an issue in {repo}");
        let url = self.url(&format!("/repos/{repo}/issues"));
        let mut payload = serde_json::json!({ "title": title, "body": body, "labels": labels });
        if !assignees.is_empty() {
            payload["assignees"] = serde_json::json!(assignees);
        }
        let resp = self
            .send(Method::POST, &url, Some(&payload), None)
            .await
            .with_context(|| what.clone())?;
        if resp.status() == StatusCode::UNPROCESSABLE_ENTITY && !assignees.is_empty() {
            if let Some(obj) = payload.as_object_mut() {
                obj.remove("assignees");
            }
            let resp = self
                .send(Method::POST, &url, Some(&payload), None)
                .await
                .with_context(|| what.clone())?;
            let resp = Self::check(resp, &what).await?;
            return Ok((Self::json(resp, &what).await?, true));
        }
        let resp = Self::check(resp, &what).await?;
        Ok((Self::json(resp, &what).await?, false))
    }

    /// One issue.
    pub async fn issue(&self, repo: &str, number: u64) -> anyhow::Result<Issue> {
        self.get_json(
            &format!("/repos/{repo}/issues/{number}"),
            &format!("reading issue #{number}"),
        )
        .await
    }

    /// `GET path` answered with JSON.
    async fn get_json<T: DeserializeOwned>(&self, path: &str, what: &str) -> anyhow::Result<T> {
        let resp = self
            .send(Method::GET, &self.url(path), None, None)
            .await
            .with_context(|| what.to_string())?;
        let resp = Self::check(resp, what).await?;
        Self::json(resp, what).await
    }

    /// A conditional GET of any JSON resource (`If-None-Match: etag`).
    pub async fn get_conditional<T: DeserializeOwned>(
        &self,
        url: &str,
        etag: Option<&str>,
        what: &str,
    ) -> anyhow::Result<Conditional<T>> {
        let resp = self
            .send(Method::GET, url, None, etag)
            .await
            .with_context(|| what.to_string())?;
        let resp = Self::check(resp, what).await?;
        let q = quota(&resp);
        if resp.status() == StatusCode::NOT_MODIFIED {
            return Ok(Conditional::NotModified(q));
        }
        let etag = header(&resp, "etag");
        let last = last_link(resp.headers());
        let value = Self::json(resp, what).await?;
        Ok(Conditional::Modified {
            value,
            etag,
            last,
            quota: q,
        })
    }

    /// The URL of the first page of an issue's comments (100 per page).
    pub fn comments_url(&self, repo: &str, number: u64) -> String {
        self.url(&format!(
            "/repos/{repo}/issues/{number}/comments?per_page=100"
        ))
    }

    /// The URL of an issue.
    pub fn issue_url(&self, repo: &str, number: u64) -> String {
        self.url(&format!("/repos/{repo}/issues/{number}"))
    }

    /// Every comment of an issue, oldest first, with the ETag and URL of the last page (to
    /// poll conditionally: a new or edited comment on it changes its ETag).
    pub async fn comments(
        &self,
        repo: &str,
        number: u64,
    ) -> anyhow::Result<(Vec<IssueComment>, Option<String>, String)> {
        let what = format!("listing the comments of issue #{number}");
        let mut url = self.comments_url(repo, number);
        let mut all = Vec::new();
        let mut etag = None;
        for _ in 0..MAX_PAGES {
            let resp = self
                .send(Method::GET, &url, None, None)
                .await
                .with_context(|| what.clone())?;
            let resp = Self::check(resp, &what).await?;
            let next = next_link(resp.headers());
            etag = header(&resp, "etag");
            let page: Vec<IssueComment> = Self::json(resp, &what).await?;
            all.extend(page);
            match next {
                Some(n) => url = n,
                None => break,
            }
        }
        Ok((all, etag, url))
    }

    /// Posts a comment.
    pub async fn comment(
        &self,
        repo: &str,
        number: u64,
        body: &str,
    ) -> anyhow::Result<IssueComment> {
        let what = format!("commenting on issue #{number}");
        let url = self.url(&format!("/repos/{repo}/issues/{number}/comments"));
        let resp = self
            .send(
                Method::POST,
                &url,
                Some(&serde_json::json!({ "body": body })),
                None,
            )
            .await
            .with_context(|| what.clone())?;
        let resp = Self::check(resp, &what).await?;
        Self::json(resp, &what).await
    }

    /// Opens or closes an issue (`state_reason`: completed, not_planned, reopened).
    pub async fn set_issue_state(
        &self,
        repo: &str,
        number: u64,
        state: &str,
        reason: &str,
    ) -> anyhow::Result<()> {
        let what = format!("setting issue #{number} {state}");
        let url = self.url(&format!("/repos/{repo}/issues/{number}"));
        let body = serde_json::json!({ "state": state, "state_reason": reason });
        let resp = self
            .send(Method::PATCH, &url, Some(&body), None)
            .await
            .with_context(|| what.clone())?;
        Self::check(resp, &what).await.map(|_| ())
    }

    /// The first issue (open or closed, newest first, up to `pages` × 100 issues) whose
    /// body contains `marker`.
    pub async fn find_issue(
        &self,
        repo: &str,
        marker: &str,
        pages: usize,
    ) -> anyhow::Result<Option<Issue>> {
        let what = "looking for an earlier approval request";
        let mut url = self.url(&format!(
            "/repos/{repo}/issues?state=all&sort=created&direction=desc&per_page=100"
        ));
        for _ in 0..pages.max(1) {
            let resp = self
                .send(Method::GET, &url, None, None)
                .await
                .with_context(|| what.to_string())?;
            let resp = Self::check(resp, what).await?;
            let next = next_link(resp.headers());
            let page: Vec<Issue> = Self::json(resp, what).await?;
            if let Some(found) = page
                .into_iter()
                .find(|i| i.body.as_deref().is_some_and(|b| b.contains(marker)))
            {
                return Ok(Some(found));
            }
            match next {
                Some(n) => url = n,
                None => break,
            }
        }
        Ok(None)
    }

    /// The members of an organisation team (every page), or `None` when the team does not
    /// exist or the token cannot see it (404).
    pub async fn team_members(&self, org: &str, slug: &str) -> anyhow::Result<Option<Vec<String>>> {
        let what = format!("listing the members of team {org}/{slug}");
        let first = self.url(&format!("/orgs/{org}/teams/{slug}/members?per_page=100"));
        let resp = self
            .send(Method::GET, &first, None, None)
            .await
            .with_context(|| what.clone())?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let resp = Self::check(resp, &what).await?;
        let next = next_link(resp.headers());
        let mut users: Vec<User> = Self::json(resp, &what).await?;
        if let Some(next) = next {
            users.extend(self.get_all::<User>(next, &what).await?);
        }
        Ok(Some(users.into_iter().map(|u| u.login).collect()))
    }

    /// The slugs of an organisation's teams (every page, one request per 100 teams), or
    /// `None` when the owner is not an organisation or the token cannot list its teams
    /// (404/403; `GITHUB_TOKEN` cannot).
    pub async fn org_teams(&self, org: &str) -> anyhow::Result<Option<Vec<String>>> {
        #[derive(Deserialize)]
        struct Team {
            slug: String,
        }
        let what = format!("listing the teams of {org}");
        let first = self.url(&format!("/orgs/{org}/teams?per_page=100"));
        let resp = self
            .send(Method::GET, &first, None, None)
            .await
            .with_context(|| what.clone())?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if resp.status() == StatusCode::FORBIDDEN
            && header(&resp, "x-ratelimit-remaining").as_deref() != Some("0")
        {
            let body = resp.text().await.unwrap_or_default();
            if body.to_ascii_lowercase().contains("rate limit") {
                return Err(RateLimited {
                    wait: None,
                    message: format!("403 {what}: {body}"),
                }
                .into());
            }
            return Ok(None);
        }
        let resp = Self::check(resp, &what).await?;
        let next = next_link(resp.headers());
        let mut teams: Vec<Team> = Self::json(resp, &what).await?;
        if let Some(next) = next {
            teams.extend(self.get_all::<Team>(next, &what).await?);
        }
        Ok(Some(teams.into_iter().map(|t| t.slug).collect()))
    }

    /// The author and committer logins of a commit (those GitHub could match to accounts).
    pub async fn commit_people(&self, repo: &str, sha: &str) -> anyhow::Result<Vec<String>> {
        let v: Value = self
            .get_json(
                &format!("/repos/{repo}/commits/{sha}"),
                &format!("reading commit {sha}"),
            )
            .await?;
        Ok(["author", "committer"]
            .iter()
            .filter_map(|k| v[*k]["login"].as_str().map(str::to_string))
            .collect())
    }

    /// Deployments of `sha` to `environment`, newest first.
    pub async fn deployments(
        &self,
        repo: &str,
        environment: &str,
        sha: &str,
    ) -> anyhow::Result<Vec<Deployment>> {
        let what = format!("listing deployments to {environment}");
        let env = urlencode(environment);
        let first = self.url(&format!(
            "/repos/{repo}/deployments?environment={env}&sha={sha}&per_page=100"
        ));
        self.get_all(first, &what).await
    }

    /// The statuses of a deployment, newest first.
    pub async fn deployment_statuses(
        &self,
        repo: &str,
        id: u64,
    ) -> anyhow::Result<Vec<DeploymentStatus>> {
        let what = format!("listing the statuses of deployment {id}");
        let first = self.url(&format!(
            "/repos/{repo}/deployments/{id}/statuses?per_page=100"
        ));
        self.get_all(first, &what).await
    }

    /// Starts a workflow (`workflow_dispatch`) on `git_ref` with `inputs`.
    pub async fn dispatch(
        &self,
        repo: &str,
        workflow: &str,
        git_ref: &str,
        inputs: &Value,
    ) -> anyhow::Result<()> {
        let what = format!("starting workflow {workflow} on {git_ref}");
        let url = self.url(&format!(
            "/repos/{repo}/actions/workflows/{}/dispatches",
            urlencode(workflow)
        ));
        let body = serde_json::json!({ "ref": git_ref, "inputs": inputs });
        let resp = self
            .send(Method::POST, &url, Some(&body), None)
            .await
            .with_context(|| what.clone())?;
        Self::check(resp, &what).await.map(|_| ())
    }
}

/// Percent-encodes a path or query component.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_link_is_found() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(
            "link",
            "<https://api/x?page=2>; rel=\"next\", <https://api/x?page=4>; rel=\"last\""
                .parse()
                .unwrap(),
        );
        assert_eq!(last_link(&h).as_deref(), Some("https://api/x?page=4"));
        assert_eq!(urlencode("deploy prod.yml"), "deploy%20prod.yml");
    }
}
