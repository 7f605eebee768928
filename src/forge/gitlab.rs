//! GitLab REST v4 client: the few operations shipgate needs (merge-request notes, commit
//! statuses), on reqwest with the shared retry policy. A thin client rather than the
//! `gitlab` crate: half of what we need is missing there, and it pulls a second TLS stack
//! (see notes/notify-and-crates.md §2.6).

use anyhow::{anyhow, bail, Context};
use serde::{Deserialize, Serialize};

use super::github::next_link;
use crate::http::{self, RetryPolicy};

/// Pages read at most when listing notes (100 each).
const MAX_PAGES: usize = 100;

/// How a request proves who it is.
#[derive(Debug, Clone)]
pub enum Auth {
    /// A personal, project or group access token (`PRIVATE-TOKEN`).
    Token(String),
    /// The job's `CI_JOB_TOKEN` (`JOB-TOKEN`): it can read, and set some statuses, but
    /// cannot write merge-request notes.
    Job(String),
}

/// A GitLab API endpoint (`CI_API_V4_URL`) and credentials.
#[derive(Debug, Clone)]
pub struct GitLab {
    pub api_url: String,
    pub auth: Auth,
    pub policy: RetryPolicy,
}

/// A merge-request note.
#[derive(Debug, Clone, Deserialize)]
pub struct Note {
    pub id: u64,
    #[serde(default)]
    pub body: String,
    /// System notes ("added 2 commits") are GitLab's own.
    #[serde(default)]
    pub system: bool,
}

/// A commit status (`POST /projects/:id/statuses/:sha`).
#[derive(Debug, Clone, Serialize)]
pub struct CommitStatus {
    /// `pending`, `running`, `success`, `failed`, `canceled` or `skipped`.
    pub state: String,
    /// The status's label (GitLab calls it `name`, or context).
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
}

/// A project id or `group/project` path, escaped for a URL path segment.
pub fn project_segment(project: &str) -> String {
    project.replace('%', "%25").replace('/', "%2F")
}

impl GitLab {
    pub fn new(api_url: &str, auth: Auth) -> Self {
        GitLab {
            api_url: api_url.trim_end_matches('/').to_string(),
            auth,
            policy: RetryPolicy::default(),
        }
    }

    pub(crate) fn call(
        &self,
        client: &reqwest::Client,
        method: reqwest::Method,
        url: &str,
    ) -> reqwest::RequestBuilder {
        let req = client.request(method, url);
        match &self.auth {
            Auth::Token(t) => req.header("PRIVATE-TOKEN", t),
            Auth::Job(t) => req.header("JOB-TOKEN", t),
        }
    }

    pub(crate) async fn exchange(
        &self,
        client: &reqwest::Client,
        method: reqwest::Method,
        url: &str,
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> anyhow::Result<reqwest::Response> {
        let resp = http::send(&self.policy, || {
            let req = self.call(client, method.clone(), url);
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
        let hint = match (status.as_u16(), &self.auth) {
            (401 | 403, Auth::Job(_)) => {
                " (CI_JOB_TOKEN cannot do this: pass a project access token with the api scope)"
            }
            (401, _) => " (the token is invalid or expired)",
            (403, _) => " (the token needs the api scope and at least the Reporter role)",
            (404, _) => " (check the project, the merge request and the token's access)",
            _ => "",
        };
        bail!(
            "GitLab API answered {status} {what}: {}{hint}",
            crate::http::excerpt(&text)
        )
    }

    fn notes_url(&self, project: &str, iid: u64) -> String {
        format!(
            "{}/projects/{}/merge_requests/{iid}/notes",
            self.api_url,
            project_segment(project)
        )
    }

    /// Every note of a merge request, oldest first (follows `Link` pages).
    pub async fn merge_request_notes(
        &self,
        client: &reqwest::Client,
        project: &str,
        iid: u64,
    ) -> anyhow::Result<Vec<Note>> {
        let what = format!("listing the notes of merge request !{iid}");
        let mut url = format!(
            "{}?sort=asc&order_by=created_at&per_page=100",
            self.notes_url(project, iid)
        );
        let mut all = Vec::new();
        for _ in 0..MAX_PAGES {
            let resp = self
                .exchange(client, reqwest::Method::GET, &url, None, &what)
                .await?;
            let next = next_link(resp.headers());
            let page: Vec<Note> = resp
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

    /// Adds a note to a merge request.
    pub async fn create_merge_request_note(
        &self,
        client: &reqwest::Client,
        project: &str,
        iid: u64,
        body: &str,
    ) -> anyhow::Result<Note> {
        let what = format!("adding a note to merge request !{iid}");
        let resp = self
            .exchange(
                client,
                reqwest::Method::POST,
                &self.notes_url(project, iid),
                Some(&serde_json::json!({ "body": body })),
                &what,
            )
            .await?;
        resp.json()
            .await
            .map_err(|e| anyhow!("unexpected answer {what}: {e}"))
    }

    /// Replaces the body of a merge-request note.
    pub async fn update_merge_request_note(
        &self,
        client: &reqwest::Client,
        project: &str,
        iid: u64,
        note: u64,
        body: &str,
    ) -> anyhow::Result<Note> {
        let what = format!("updating note {note} of merge request !{iid}");
        let url = format!("{}/{note}", self.notes_url(project, iid));
        let resp = self
            .exchange(
                client,
                reqwest::Method::PUT,
                &url,
                Some(&serde_json::json!({ "body": body })),
                &what,
            )
            .await?;
        resp.json()
            .await
            .map_err(|e| anyhow!("unexpected answer {what}: {e}"))
    }

    /// Deletes a merge-request note; one that is already gone counts as deleted.
    pub async fn delete_merge_request_note(
        &self,
        client: &reqwest::Client,
        project: &str,
        iid: u64,
        note: u64,
    ) -> anyhow::Result<()> {
        let url = format!("{}/{note}", self.notes_url(project, iid));
        let resp = http::send(&self.policy, || {
            self.call(client, reqwest::Method::DELETE, &url)
        })
        .await
        .with_context(|| format!("deleting note {note} of merge request !{iid}"))?;
        let status = resp.status();
        if status.is_success() || status.as_u16() == 404 {
            return Ok(());
        }
        let text = resp.text().await.unwrap_or_default();
        bail!(
            "GitLab API answered {status} deleting note {note} of merge request !{iid}: {}",
            crate::http::excerpt(&text)
        )
    }

    /// Sets a commit status.
    pub async fn set_commit_status(
        &self,
        client: &reqwest::Client,
        project: &str,
        sha: &str,
        status: &CommitStatus,
    ) -> anyhow::Result<()> {
        let url = format!(
            "{}/projects/{}/statuses/{sha}",
            self.api_url,
            project_segment(project)
        );
        let body = serde_json::to_value(status)?;
        self.exchange(
            client,
            reqwest::Method::POST,
            &url,
            Some(&body),
            &format!("setting the commit status '{}'", status.name),
        )
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_paths_are_escaped_as_one_segment() {
        assert_eq!(project_segment("42"), "42");
        assert_eq!(project_segment("group/sub/app"), "group%2Fsub%2Fapp");
    }
}
