//! Issues and their comments: the gate's approval requests (created, found by marker,
//! polled conditionally, closed) and notify's sticky pull-request comments.

use reqwest::{Method, StatusCode};
use serde::Deserialize;

use super::client::{self, Session, MAX_PAGES};
use super::write_hint;

/// Pages read at most when listing a pull request's comments for notify (100 each):
/// 10,000 comments.
const MAX_COMMENT_PAGES: usize = 100;

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

/// An issue or pull-request comment.
#[derive(Debug, Clone, Deserialize)]
pub struct IssueComment {
    pub id: u64,
    #[serde(default)]
    pub user: Option<User>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub updated_at: String,
    #[serde(default)]
    pub html_url: String,
}

/// The hint for the gate's issue, team and deployment calls.
pub fn hint(status: StatusCode, _body: &str) -> Option<&'static str> {
    match status.as_u16() {
        401 => Some("the token is invalid or expired"),
        403 | 404 => Some(
            "check the token's permissions: issues: write; for teams, an App or PAT with org members: read",
        ),
        _ => None,
    }
}

impl Session<'_> {
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
            .send(Method::POST, &url, Some(&payload), None, &what)
            .await?;
        if resp.status() == StatusCode::UNPROCESSABLE_ENTITY && !assignees.is_empty() {
            if let Some(obj) = payload.as_object_mut() {
                obj.remove("assignees");
            }
            let issue = self
                .call_json(Method::POST, &url, Some(&payload), &what, hint)
                .await?;
            return Ok((issue, true));
        }
        let resp = client::check(resp, &what, hint).await?;
        Ok((client::json(resp, &what).await?, false))
    }

    /// One issue.
    pub async fn issue(&self, repo: &str, number: u64) -> anyhow::Result<Issue> {
        self.get_json(
            &format!("/repos/{repo}/issues/{number}"),
            &format!("reading issue #{number}"),
            hint,
        )
        .await
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
        self.paginate(self.comments_url(repo, number), MAX_PAGES, &what, hint)
            .await
    }

    /// Posts a comment on an issue (the gate's wording and hint).
    pub async fn comment(
        &self,
        repo: &str,
        number: u64,
        body: &str,
    ) -> anyhow::Result<IssueComment> {
        let what = format!("commenting on issue #{number}");
        self.post_comment(repo, number, body, &what, hint).await
    }

    async fn post_comment(
        &self,
        repo: &str,
        number: u64,
        body: &str,
        what: &str,
        hint: crate::forge::Hint,
    ) -> anyhow::Result<IssueComment> {
        let url = self.url(&format!("/repos/{repo}/issues/{number}/comments"));
        let body = serde_json::json!({ "body": body });
        self.call_json(Method::POST, &url, Some(&body), what, hint)
            .await
    }

    /// Every comment of an issue or pull request for notify, oldest first.
    pub async fn issue_comments(
        &self,
        repo: &str,
        number: u64,
    ) -> anyhow::Result<Vec<IssueComment>> {
        let what = format!("listing the comments of #{number}");
        let (all, _, _) = self
            .paginate(
                self.comments_url(repo, number),
                MAX_COMMENT_PAGES,
                &what,
                write_hint,
            )
            .await?;
        Ok(all)
    }

    /// Posts a comment on an issue or pull request (notify's wording and hint).
    pub async fn create_issue_comment(
        &self,
        repo: &str,
        number: u64,
        body: &str,
    ) -> anyhow::Result<IssueComment> {
        let what = format!("commenting on #{number}");
        self.post_comment(repo, number, body, &what, write_hint)
            .await
    }

    /// Replaces the body of a comment.
    pub async fn update_issue_comment(
        &self,
        repo: &str,
        id: u64,
        body: &str,
    ) -> anyhow::Result<IssueComment> {
        let url = self.url(&format!("/repos/{repo}/issues/comments/{id}"));
        let what = format!("updating comment {id}");
        let body = serde_json::json!({ "body": body });
        self.call_json(Method::PATCH, &url, Some(&body), &what, write_hint)
            .await
    }

    /// Deletes a comment; one that is already gone counts as deleted.
    pub async fn delete_issue_comment(&self, repo: &str, id: u64) -> anyhow::Result<()> {
        let url = self.url(&format!("/repos/{repo}/issues/comments/{id}"));
        self.delete(&url, &format!("deleting comment {id}"), write_hint)
            .await
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
        self.call(Method::PATCH, &url, Some(&body), &what, hint)
            .await
            .map(drop)
    }

    /// The first issue (open or closed, newest first, up to `pages` × 100 issues, one
    /// request per page) whose body contains any of `markers`.
    pub async fn find_issue(
        &self,
        repo: &str,
        markers: &[&str],
        pages: usize,
    ) -> anyhow::Result<Option<Issue>> {
        let what = "looking for an earlier approval request";
        let mut url = self.url(&format!(
            "/repos/{repo}/issues?state=all&sort=created&direction=desc&per_page=100"
        ));
        for _ in 0..pages.max(1) {
            let page = self.page::<Issue>(&url, what, hint).await?;
            if let Some(found) = page.items.into_iter().find(|i| {
                i.body
                    .as_deref()
                    .is_some_and(|b| markers.iter().any(|m| b.contains(m)))
            }) {
                return Ok(Some(found));
            }
            match page.next {
                Some(n) => url = n,
                None => break,
            }
        }
        Ok(None)
    }
}
