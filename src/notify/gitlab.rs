//! GitLab targets: the sticky merge-request note and the commit status.

use anyhow::{anyhow, Result};

use super::sticky::{self, Notes};
use super::Sent;
use crate::forge::gitlab::{CommitStatus, GitLab};

/// A merge request's notes, for [`sticky::upsert`].
struct MrNotes<'a> {
    gl: &'a GitLab,
    client: &'a reqwest::Client,
    project: &'a str,
    iid: u64,
}

impl Notes for MrNotes<'_> {
    type Body = str;

    async fn list(&self) -> Result<Vec<(u64, String)>> {
        let all = self
            .gl
            .merge_request_notes(self.client, self.project, self.iid)
            .await?;
        Ok(all
            .into_iter()
            .filter(|n| !n.system)
            .map(|n| (n.id, n.body))
            .collect())
    }

    async fn create(&self, body: &str) -> Result<u64> {
        Ok(self
            .gl
            .create_merge_request_note(self.client, self.project, self.iid, body)
            .await?
            .id)
    }

    async fn update(&self, id: u64, body: &str) -> Result<()> {
        self.gl
            .update_merge_request_note(self.client, self.project, self.iid, id, body)
            .await
            .map(drop)
    }

    async fn delete(&self, id: u64) -> Result<()> {
        self.gl
            .delete_merge_request_note(self.client, self.project, self.iid, id)
            .await
    }
}

/// Creates or updates the note for `marker` on merge request `iid`; skipped without one.
pub async fn note(
    gl: &GitLab,
    client: &reqwest::Client,
    project: &str,
    iid: Option<u64>,
    marker: &str,
    body: &str,
) -> Result<Sent> {
    let Some(iid) = iid else {
        return Ok(Sent::skipped(
            "no merge request for this pipeline (give pr-number, or run in a merge-request pipeline)",
        ));
    };
    let notes = MrNotes {
        gl,
        client,
        project,
        iid,
    };
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
    gl: &GitLab,
    client: &reqwest::Client,
    project: &str,
    sha: Option<&str>,
    status: &CommitStatus,
) -> Result<Sent> {
    let sha = sha.ok_or_else(|| anyhow!("no commit to set a status on (give sha)"))?;
    gl.set_commit_status(client, project, sha, status).await?;
    Ok(Sent::delivered(format!(
        "set {} to {} on {}",
        crate::error::quote(&status.name),
        status.state,
        sha.chars().take(7).collect::<String>()
    )))
}
