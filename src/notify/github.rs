//! GitHub targets: the sticky pull-request comment, the commit status and the deployment
//! status. (The job summary needs no API: it goes into the run's report.)

use anyhow::{anyhow, Result};

use super::sticky::{self, Notes};
use super::Sent;
use crate::forge::github::{CommitStatus, DeploymentStatusBody, Session};
use crate::ledger::{self, github::Target};

/// A pull request's comments, for [`sticky::upsert`].
struct Comments<'a> {
    s: &'a Session<'a>,
    repo: &'a str,
    number: u64,
}

impl Notes for Comments<'_> {
    type Body = str;

    async fn list(&self) -> Result<Vec<(u64, String)>> {
        let all = self.s.issue_comments(self.repo, self.number).await?;
        Ok(all
            .into_iter()
            .map(|c| (c.id, c.body.unwrap_or_default()))
            .collect())
    }

    async fn create(&self, body: &str) -> Result<u64> {
        Ok(self
            .s
            .create_issue_comment(self.repo, self.number, body)
            .await?
            .id)
    }

    async fn update(&self, id: u64, body: &str) -> Result<()> {
        self.s
            .update_issue_comment(self.repo, id, body)
            .await
            .map(drop)
    }

    async fn delete(&self, id: u64) -> Result<()> {
        self.s.delete_issue_comment(self.repo, id).await
    }
}

/// Creates or updates the comment for `marker` on the pull request (`number`, else the
/// first pull request that contains `sha`). Skipped when there is none.
#[allow(clippy::too_many_arguments)]
pub async fn comment(
    s: &Session<'_>,
    repo: &str,
    number: Option<u64>,
    sha: Option<&str>,
    repo_url: Option<&str>,
    marker: &str,
    body: &str,
) -> Result<Sent> {
    let number = match (number, sha) {
        (Some(n), _) => n,
        (None, Some(sha)) => match s.pulls_for_commit(repo, sha).await?.first() {
            Some(&n) => n,
            None => {
                return Ok(Sent::skipped(format!(
                    "no pull request contains {}",
                    crate::error::quote(sha)
                )))
            }
        },
        (None, None) => return Ok(Sent::skipped("no pull request for this run")),
    };
    let notes = Comments { s, repo, number };
    let done = sticky::upsert(&notes, marker, body).await?;
    let url = repo_url
        .map(|u| format!("{u}/pull/{number}#issuecomment-{}", done.id))
        .unwrap_or_default();
    let mut what = if done.created {
        format!("created comment {} on #{number}", done.id)
    } else {
        format!("updated comment {} on #{number}", done.id)
    };
    if !done.removed.is_empty() {
        what.push_str(&format!(
            " (removed {} duplicate(s) left by concurrent runs)",
            done.removed.len()
        ));
    }
    Ok(Sent::delivered(what)
        .output("github-comment-id", done.id.to_string())
        .output("github-comment-url", url))
}

pub async fn commit_status(
    s: &Session<'_>,
    repo: &str,
    sha: Option<&str>,
    status: &CommitStatus,
) -> Result<Sent> {
    let sha = sha.ok_or_else(|| anyhow!("no commit to set a status on (give sha)"))?;
    s.create_commit_status(repo, sha, status).await?;
    Ok(Sent::delivered(format!(
        "set {} to {} on {}",
        crate::error::quote(&status.context),
        status.state,
        sha.chars().take(7).collect::<String>()
    )))
}

/// Adds a status to the deployment `id`, else to the newest deployment of `sha` to
/// `environment`, else to a new one.
pub async fn deployment_status(
    s: &Session<'_>,
    repo: &str,
    id: Option<u64>,
    sha: Option<&str>,
    environment: Option<&str>,
    status: &DeploymentStatusBody,
) -> Result<Sent> {
    let target = match id {
        Some(id) => Target::Id(id),
        None => Target::Of {
            sha: sha.ok_or_else(|| {
                anyhow!("no commit to find the deployment of (give sha or deployment-id)")
            })?,
            environment: environment.ok_or_else(|| {
                anyhow!(
                    "no environment to find the deployment in (give environment or deployment-id)"
                )
            })?,
        },
    };
    let (id, created) = ledger::github::record_status(s, repo, target, status).await?;
    let what = if created {
        format!("created deployment {id} with status {}", status.state)
    } else {
        format!("added status {} to deployment {id}", status.state)
    };
    Ok(Sent::delivered(what).output("github-deployment-id", id.to_string()))
}
