//! GitLab targets: the sticky merge-request note and the commit status.

use anyhow::{anyhow, Result};

use super::sticky::{self, Notes};
use super::Sent;
use crate::forge::gitlab::{CommitStatus, GlSession, Noteable};

/// A merge request's notes, for [`sticky::upsert`].
struct MrNotes<'a> {
    s: &'a GlSession<'a>,
    iid: u64,
}

impl Notes for MrNotes<'_> {
    type Body = str;

    async fn list(&self) -> Result<Vec<(u64, String)>> {
        let all = self.s.merge_request_notes(self.iid).await?;
        Ok(all
            .into_iter()
            .filter(|n| !n.system)
            .map(|n| (n.id, n.body))
            .collect())
    }

    async fn create(&self, body: &str) -> Result<u64> {
        Ok(self
            .s
            .add_note(Noteable::MergeRequest, self.iid, body)
            .await?
            .id)
    }

    async fn update(&self, id: u64, body: &str) -> Result<()> {
        self.s
            .update_merge_request_note(self.iid, id, body)
            .await
            .map(drop)
    }

    async fn delete(&self, id: u64) -> Result<()> {
        self.s.delete_merge_request_note(self.iid, id).await
    }
}

/// Creates or updates the note for `marker` on merge request `iid`; skipped without one.
pub async fn note(s: &GlSession<'_>, iid: Option<u64>, marker: &str, body: &str) -> Result<Sent> {
    let Some(iid) = iid else {
        return Ok(Sent::skipped(
            "no merge request for this pipeline (give pr-number, or run in a merge-request pipeline)",
        ));
    };
    let notes = MrNotes { s, iid };
    let done = sticky::upsert(&notes, marker, body).await?;
    let mut what = if done.created {
        format!("created note {} on !{iid}", done.id)
    } else {
        format!("updated note {} on !{iid}", done.id)
    };
    if !done.removed.is_empty() {
        what.push_str(&format!(
            " (removed {} duplicate(s) left by concurrent runs)",
            done.removed.len()
        ));
    }
    Ok(Sent::delivered(what).output("gitlab-note-id", done.id.to_string()))
}

pub async fn commit_status(
    s: &GlSession<'_>,
    sha: Option<&str>,
    status: &CommitStatus,
) -> Result<Sent> {
    let sha = sha.ok_or_else(|| anyhow!("no commit to set a status on (give sha)"))?;
    s.set_commit_status(sha, status).await?;
    Ok(Sent::delivered(format!(
        "set {} to {} on {}",
        crate::error::quote(&status.name),
        status.state,
        sha.chars().take(7).collect::<String>()
    )))
}
