//! Issues and merge requests (the gate's approval requests).

use reqwest::Method;
use serde::Deserialize;
use serde_json::{json, Value};

use super::client::GlSession;
use super::members::GlUser;
use crate::forge::urlencode;

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

/// A merge request (the fields the gate reads).
#[derive(Debug, Clone, Deserialize)]
pub struct GlMergeRequest {
    pub web_url: String,
    pub state: String,
    #[serde(default)]
    pub author: Option<GlUser>,
}

impl GlSession<'_> {
    pub async fn issue(&self, iid: u64) -> anyhow::Result<GlIssue> {
        self.json(
            Method::GET,
            &self.url(&format!("/issues/{iid}")),
            None,
            &format!("reading issue #{iid}"),
        )
        .await
    }

    /// The newest issue whose description contains any of `markers`, searching for `text`
    /// (one request: the first 100 matches).
    pub async fn find_issue(
        &self,
        text: &str,
        markers: &[&str],
    ) -> anyhow::Result<Option<GlIssue>> {
        let url = format!(
            "{}?search={}&in=description&state=all&order_by=created_at&sort=desc&per_page=100",
            self.url("/issues"),
            urlencode(text)
        );
        let found: Vec<GlIssue> = self
            .json(Method::GET, &url, None, "looking for this run's request")
            .await?;
        Ok(found.into_iter().find(|i| {
            i.description
                .as_deref()
                .is_some_and(|d| markers.iter().any(|m| d.contains(m)))
        }))
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
