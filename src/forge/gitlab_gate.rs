//! GitLab REST v4 operations for approval requests: issues and their notes, group members,
//! deployments, freeze periods, pipelines and manual jobs, commits and users. Every call
//! goes through the shared retry policy in [`crate::http`].

use anyhow::anyhow;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use super::github::next_link;
use super::gitlab::{project_segment, GitLab};
use crate::http;

/// Pages read at most when listing (100 items each).
const MAX_PAGES: usize = 50;

/// A user as the API returns it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct GlUser {
    #[serde(default)]
    pub username: String,
}

/// An issue (the fields the gate reads).
#[derive(Debug, Clone, Deserialize)]
pub struct GlIssue {
    pub iid: u64,
    pub web_url: String,
    #[serde(default)]
    pub description: Option<String>,
    pub state: String,
    pub created_at: String,
}

/// An issue or merge-request note.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GlNote {
    pub id: u64,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub author: GlUser,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default)]
    pub system: bool,
}

/// What notes are attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Noteable {
    Issue,
    MergeRequest,
}

impl Noteable {
    fn segment(self) -> &'static str {
        match self {
            Noteable::Issue => "issues",
            Noteable::MergeRequest => "merge_requests",
        }
    }

    fn name(self, iid: u64) -> String {
        match self {
            Noteable::Issue => format!("issue #{iid}"),
            Noteable::MergeRequest => format!("merge request !{iid}"),
        }
    }
}

/// A merge request (the fields the gate reads).
#[derive(Debug, Clone, Deserialize)]
pub struct GlMergeRequest {
    pub web_url: String,
    pub state: String,
    #[serde(default)]
    pub author: Option<GlUser>,
}

/// A deployment.
#[derive(Debug, Clone, Deserialize)]
pub struct GlDeployment {
    #[serde(default)]
    pub sha: String,
    pub status: String,
    pub created_at: String,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub finished_at: Option<String>,
}

/// A deploy freeze period.
#[derive(Debug, Clone, Deserialize)]
pub struct GlFreezePeriod {
    pub freeze_start: String,
    pub freeze_end: String,
    #[serde(default)]
    pub cron_timezone: Option<String>,
}

/// A pipeline job.
#[derive(Debug, Clone, Deserialize)]
pub struct GlJob {
    pub id: u64,
    pub name: String,
}

/// What a probe of the newest note found: it changed or not since the last probe.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Probe {
    pub etag: Option<String>,
    /// `x-total`, the number of notes (so a deletion shows too).
    pub total: Option<String>,
    /// The newest note's id and update time.
    pub newest: Option<(u64, String)>,
}

/// One connection to the API.
pub struct GlSession<'a> {
    gl: &'a GitLab,
    client: reqwest::Client,
    project: String,
}

impl GitLab {
    /// A session for many calls about `project` (an id or `group/project` path).
    pub fn session(&self, project: &str) -> anyhow::Result<GlSession<'_>> {
        Ok(GlSession {
            gl: self,
            client: http::client()?,
            project: project_segment(project),
        })
    }
}

impl GlSession<'_> {
    fn url(&self, path: &str) -> String {
        format!("{}/projects/{}{path}", self.gl.api_url, self.project)
    }

    async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        what: &str,
    ) -> anyhow::Result<T> {
        let resp = self
            .gl
            .exchange(&self.client, method, url, body, what)
            .await?;
        resp.json()
            .await
            .map_err(|e| anyhow!("unexpected answer {what}: {e}"))
    }

    /// Every item of a paginated listing (follows `Link: rel="next"`).
    async fn all<T: DeserializeOwned>(&self, first: &str, what: &str) -> anyhow::Result<Vec<T>> {
        self.pages(first, what, MAX_PAGES).await
    }

    /// The items of at most `max` pages of a listing.
    async fn pages<T: DeserializeOwned>(
        &self,
        first: &str,
        what: &str,
        max: usize,
    ) -> anyhow::Result<Vec<T>> {
        let mut url = first.to_string();
        let mut out = Vec::new();
        for _ in 0..max {
            let resp = self
                .gl
                .exchange(&self.client, Method::GET, &url, None, what)
                .await?;
            let next = next_link(resp.headers());
            let page: Vec<T> = resp
                .json()
                .await
                .map_err(|e| anyhow!("unexpected answer {what}: {e}"))?;
            out.extend(page);
            match next {
                Some(n) => url = n,
                None => return Ok(out),
            }
        }
        Ok(out)
    }

    pub async fn issue(&self, iid: u64) -> anyhow::Result<GlIssue> {
        self.json(
            Method::GET,
            &self.url(&format!("/issues/{iid}")),
            None,
            &format!("reading issue #{iid}"),
        )
        .await
    }

    /// The newest issue whose description contains `marker`, searching for `text`.
    pub async fn find_issue(&self, text: &str, marker: &str) -> anyhow::Result<Option<GlIssue>> {
        let url = format!(
            "{}?search={}&in=description&state=all&order_by=created_at&sort=desc&per_page=100",
            self.url("/issues"),
            super::github_gate::urlencode(text)
        );
        let found: Vec<GlIssue> = self
            .json(Method::GET, &url, None, "looking for this run's request")
            .await?;
        Ok(found
            .into_iter()
            .find(|i| i.description.as_deref().is_some_and(|d| d.contains(marker))))
    }

    pub async fn create_issue(
        &self,
        title: &str,
        description: &str,
        labels: &[String],
    ) -> anyhow::Result<GlIssue> {
        let mut body = json!({ "title": title, "description": description });
        if !labels.is_empty() {
            body["labels"] = Value::String(labels.join(","));
        }
        self.json(
            Method::POST,
            &self.url("/issues"),
            Some(&body),
            "opening the approval request issue",
        )
        .await
    }

    /// `close` or `reopen`.
    pub async fn set_issue_state(&self, iid: u64, event: &str) -> anyhow::Result<()> {
        let _: Value = self
            .json(
                Method::PUT,
                &self.url(&format!("/issues/{iid}")),
                Some(&json!({ "state_event": event })),
                &format!("setting issue #{iid} to {event}"),
            )
            .await?;
        Ok(())
    }

    pub fn notes_url(&self, on: Noteable, iid: u64) -> String {
        self.url(&format!("/{}/{iid}/notes", on.segment()))
    }

    /// Every note of an issue or merge request, oldest first.
    pub async fn notes(&self, on: Noteable, iid: u64) -> anyhow::Result<Vec<GlNote>> {
        let url = format!(
            "{}?sort=asc&order_by=created_at&per_page=100",
            self.notes_url(on, iid)
        );
        self.all(&url, &format!("listing the notes of {}", on.name(iid)))
            .await
    }

    /// The newest-updated note, with `If-None-Match`: a new or edited note changes it, a
    /// deleted one changes `x-total`.
    pub async fn probe_notes(&self, on: Noteable, iid: u64, last: &Probe) -> anyhow::Result<Probe> {
        let url = format!(
            "{}?sort=desc&order_by=updated_at&per_page=1",
            self.notes_url(on, iid)
        );
        let what = format!("polling the notes of {}", on.name(iid));
        let resp = http::send(&self.gl.policy, || {
            let req = self.gl.call(&self.client, Method::GET, &url);
            match &last.etag {
                Some(tag) => req.header("If-None-Match", tag),
                None => req,
            }
        })
        .await?;
        if resp.status() == StatusCode::NOT_MODIFIED {
            return Ok(last.clone());
        }
        if !resp.status().is_success() {
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            return Err(anyhow!(
                "GitLab API answered {status} {what}: {}",
                crate::http::excerpt(&text)
            ));
        }
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let etag = header("etag");
        let total = header("x-total");
        let page: Vec<GlNote> = resp
            .json()
            .await
            .map_err(|e| anyhow!("unexpected answer {what}: {e}"))?;
        Ok(Probe {
            etag,
            total,
            newest: page.first().map(|n| (n.id, n.updated_at.clone())),
        })
    }

    pub async fn add_note(&self, on: Noteable, iid: u64, body: &str) -> anyhow::Result<GlNote> {
        self.json(
            Method::POST,
            &self.notes_url(on, iid),
            Some(&json!({ "body": body })),
            &format!("adding a note to {}", on.name(iid)),
        )
        .await
    }

    /// The usernames of a group's members, inherited ones included; `None` when the group
    /// does not exist or the token cannot see it.
    pub async fn group_members(&self, group: &str) -> anyhow::Result<Option<Vec<String>>> {
        let first = format!(
            "{}/groups/{}/members/all?per_page=100",
            self.gl.api_url,
            project_segment(group)
        );
        let what = format!("listing the members of group {group}");
        let resp = http::send(&self.gl.policy, || {
            self.gl.call(&self.client, Method::GET, &first)
        })
        .await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !resp.status().is_success() {
            let status = resp.status();
            let text = resp.text().await.unwrap_or_default();
            return Err(anyhow!(
                "GitLab API answered {status} {what}: {}",
                crate::http::excerpt(&text)
            ));
        }
        let next = next_link(resp.headers());
        let mut users: Vec<GlUser> = resp
            .json()
            .await
            .map_err(|e| anyhow!("unexpected answer {what}: {e}"))?;
        if let Some(n) = next {
            users.extend(self.all::<GlUser>(&n, &what).await?);
        }
        Ok(Some(users.into_iter().map(|u| u.username).collect()))
    }

    /// Deployments to `environment`, newest first (up to five pages).
    pub async fn deployments(&self, environment: &str) -> anyhow::Result<Vec<GlDeployment>> {
        let url = format!(
            "{}?environment={}&order_by=id&sort=desc&per_page=100",
            self.url("/deployments"),
            super::github_gate::urlencode(environment)
        );
        let what = format!("listing the deployments to {environment}");
        self.pages(&url, &what, 5).await
    }

    pub async fn freeze_periods(&self) -> anyhow::Result<Vec<GlFreezePeriod>> {
        let url = format!("{}?per_page=100", self.url("/freeze_periods"));
        self.all(&url, "reading the deploy freeze periods").await
    }

    /// Who started a pipeline.
    pub async fn pipeline_user(&self, pipeline: &str) -> anyhow::Result<Option<String>> {
        #[derive(Deserialize)]
        struct P {
            #[serde(default)]
            user: Option<GlUser>,
        }
        let p: P = self
            .json(
                Method::GET,
                &self.url(&format!("/pipelines/{pipeline}")),
                None,
                &format!("reading pipeline {pipeline}"),
            )
            .await?;
        Ok(p.user.map(|u| u.username).filter(|u| !u.is_empty()))
    }

    /// The manual jobs of a pipeline.
    pub async fn manual_jobs(&self, pipeline: &str) -> anyhow::Result<Vec<GlJob>> {
        let url = format!(
            "{}?scope[]=manual&per_page=100",
            self.url(&format!("/pipelines/{pipeline}/jobs"))
        );
        self.all(
            &url,
            &format!("listing the manual jobs of pipeline {pipeline}"),
        )
        .await
    }

    pub async fn play_job(&self, job: u64) -> anyhow::Result<()> {
        let _: Value = self
            .json(
                Method::POST,
                &self.url(&format!("/jobs/{job}/play")),
                None,
                &format!("starting job {job}"),
            )
            .await?;
        Ok(())
    }

    /// The author and committer e-mail addresses of a commit.
    pub async fn commit_emails(&self, sha: &str) -> anyhow::Result<Vec<String>> {
        let c: Value = self
            .json(
                Method::GET,
                &self.url(&format!("/repository/commits/{sha}")),
                None,
                &format!("reading commit {sha}"),
            )
            .await?;
        Ok(["author_email", "committer_email"]
            .iter()
            .filter_map(|k| c[*k].as_str())
            .filter(|e| !e.is_empty())
            .map(str::to_string)
            .collect())
    }

    /// The usernames of users whose public e-mail address is `email`.
    pub async fn users_by_email(&self, email: &str) -> anyhow::Result<Vec<String>> {
        let url = format!(
            "{}/users?search={}&per_page=20",
            self.gl.api_url,
            super::github_gate::urlencode(email)
        );
        let users: Vec<GlUser> = self
            .json(Method::GET, &url, None, "looking up commit authors")
            .await?;
        Ok(users.into_iter().map(|u| u.username).collect())
    }

    pub async fn merge_request(&self, iid: u64) -> anyhow::Result<GlMergeRequest> {
        self.json(
            Method::GET,
            &self.url(&format!("/merge_requests/{iid}")),
            None,
            &format!("reading merge request !{iid}"),
        )
        .await
    }
}
