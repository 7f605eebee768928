//! Pull requests and commits: a pull request's files (detect-changes), the pull requests
//! of a commit and commit statuses (notify), a commit's people (the gate).

use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::Session;
use super::issues::hint;
use super::{write_hint, GitHub};
use crate::git::{Change, Status};

/// The pull-request files API returns at most this many files.
pub const PR_FILES_LIMIT: usize = 3000;

#[derive(Debug, Deserialize)]
struct PrFile {
    filename: String,
    status: String,
    previous_filename: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PullNumber {
    number: u64,
}

/// A commit status (`POST /repos/{repo}/statuses/{sha}`).
#[derive(Debug, Clone, Serialize)]
pub struct CommitStatus {
    /// `error`, `failure`, `pending` or `success`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_url: Option<String>,
    /// At most 140 characters (GitHub rejects longer ones).
    pub description: String,
    pub context: String,
}

/// The hint for the pull-request files listing.
fn files_hint(status: StatusCode, _body: &str) -> Option<&'static str> {
    matches!(status.as_u16(), 403 | 404)
        .then_some("the token needs 'pull-requests: read' and 'contents: read'")
}

impl GitHub {
    /// The files of a pull request, in API order (at most [`PR_FILES_LIMIT`]; the bool is
    /// true when the list may be cut there). Renames become a deletion and an addition
    /// unless `renames` is set, as in paths-filter. Blocking (detect-changes is sync).
    pub fn pull_request_files(
        &self,
        repo: &str,
        number: u64,
        renames: bool,
    ) -> anyhow::Result<(Vec<Change>, bool)> {
        use anyhow::Context;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        runtime.block_on(async {
            self.session()?
                .pull_request_files(repo, number, renames)
                .await
        })
    }
}

impl Session<'_> {
    /// See [`GitHub::pull_request_files`].
    pub async fn pull_request_files(
        &self,
        repo: &str,
        number: u64,
        renames: bool,
    ) -> anyhow::Result<(Vec<Change>, bool)> {
        let what = format!("listing the files of pull request #{number}");
        let first = self.url(&format!("/repos/{repo}/pulls/{number}/files?per_page=100"));
        // Every page (the API stops at 3000 files, 30 pages).
        let (raw, _, _) = self
            .paginate::<PrFile>(first, usize::MAX, &what, files_hint)
            .await?;
        let cut = raw.len() >= PR_FILES_LIMIT;
        let mut files = Vec::with_capacity(raw.len());
        for f in raw {
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
        Ok((files, cut))
    }

    /// The pull requests a commit belongs to (newest first, as the API orders them).
    pub async fn pulls_for_commit(&self, repo: &str, sha: &str) -> anyhow::Result<Vec<u64>> {
        let url = self.url(&format!("/repos/{repo}/commits/{sha}/pulls"));
        let what = format!("finding the pull request of commit {sha}");
        let pulls: Vec<PullNumber> = self
            .call_json(Method::GET, &url, None, &what, write_hint)
            .await?;
        Ok(pulls.into_iter().map(|p| p.number).collect())
    }

    /// Sets a commit status (the latest per `context` is what GitHub shows).
    pub async fn create_commit_status(
        &self,
        repo: &str,
        sha: &str,
        status: &CommitStatus,
    ) -> anyhow::Result<()> {
        let url = self.url(&format!("/repos/{repo}/statuses/{sha}"));
        let body = serde_json::to_value(status)?;
        let what = format!("setting the commit status '{}'", status.context);
        self.call(Method::POST, &url, Some(&body), &what, write_hint)
            .await
            .map(drop)
    }

    /// The author and committer logins of a commit (those GitHub could match to accounts).
    pub async fn commit_people(&self, repo: &str, sha: &str) -> anyhow::Result<Vec<String>> {
        let v: Value = self
            .get_json(
                &format!("/repos/{repo}/commits/{sha}"),
                &format!("reading commit {sha}"),
                hint,
            )
            .await?;
        Ok(["author", "committer"]
            .iter()
            .filter_map(|k| v[*k]["login"].as_str().map(str::to_string))
            .collect())
    }
}
