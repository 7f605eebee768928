//! Issue and merge-request notes: the gate's request threads (listed, probed
//! conditionally, added to) and notify's sticky merge-request note.

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::client::{read_json, GlSession};
use super::members::GlUser;
use crate::forge::header;

/// Pages read at most when listing a merge request's notes for notify (100 each).
const MAX_NOTE_PAGES: usize = 100;

/// An issue or merge-request note.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GlNote {
    pub id: u64,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub author: GlUser,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub updated_at: String,
    /// System notes ("added 2 commits") are GitLab's own.
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

/// What a probe of the newest note found: it changed or not since the last probe.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Probe {
    pub etag: Option<String>,
    /// `x-total`, the number of notes (so a deletion shows too).
    pub total: Option<String>,
    /// The newest note's id and update time.
    pub newest: Option<(u64, String)>,
}

impl GlSession<'_> {
    pub fn notes_url(&self, on: Noteable, iid: u64) -> String {
        self.url(&format!("/{}/{iid}/notes", on.segment()))
    }

    /// Every note of an issue or merge request, oldest first.
    pub async fn notes(&self, on: Noteable, iid: u64) -> anyhow::Result<Vec<GlNote>> {
        self.notes_up_to(on, iid, super::client::MAX_PAGES).await
    }

    /// Every note of a merge request, oldest first (notify's sticky note: up to 10,000).
    pub async fn merge_request_notes(&self, iid: u64) -> anyhow::Result<Vec<GlNote>> {
        self.notes_up_to(Noteable::MergeRequest, iid, MAX_NOTE_PAGES)
            .await
    }

    async fn notes_up_to(&self, on: Noteable, iid: u64, max: usize) -> anyhow::Result<Vec<GlNote>> {
        let url = format!(
            "{}?sort=asc&order_by=created_at&per_page=100",
            self.notes_url(on, iid)
        );
        self.pages(&url, &format!("listing the notes of {}", on.name(iid)), max)
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
        let resp = self
            .send(Method::GET, &url, None, last.etag.as_deref(), &what)
            .await?;
        let resp = self.check(resp, &what).await?;
        if resp.status() == StatusCode::NOT_MODIFIED {
            return Ok(last.clone());
        }
        let etag = header(&resp, "etag");
        let total = header(&resp, "x-total");
        let page: Vec<GlNote> = read_json(resp, &what).await?;
        Ok(Probe {
            etag,
            total,
            newest: page.first().map(|n| (n.id, n.updated_at.clone())),
        })
    }

    /// Adds a note to an issue or merge request.
    pub async fn add_note(&self, on: Noteable, iid: u64, body: &str) -> anyhow::Result<GlNote> {
        self.json(
            Method::POST,
            &self.notes_url(on, iid),
            Some(&json!({ "body": body })),
            &format!("adding a note to {}", on.name(iid)),
        )
        .await
    }

    /// Replaces the body of a merge-request note.
    pub async fn update_merge_request_note(
        &self,
        iid: u64,
        note: u64,
        body: &str,
    ) -> anyhow::Result<GlNote> {
        let url = format!("{}/{note}", self.notes_url(Noteable::MergeRequest, iid));
        let what = format!("updating note {note} of merge request !{iid}");
        self.json(Method::PUT, &url, Some(&json!({ "body": body })), &what)
            .await
    }

    /// Deletes a merge-request note; one that is already gone counts as deleted.
    pub async fn delete_merge_request_note(&self, iid: u64, note: u64) -> anyhow::Result<()> {
        let url = format!("{}/{note}", self.notes_url(Noteable::MergeRequest, iid));
        self.delete(
            &url,
            &format!("deleting note {note} of merge request !{iid}"),
        )
        .await
    }
}
