//! GitHub REST client: the operations shipgate needs, with the shared retry policy.

use anyhow::{anyhow, bail, Context};
use serde::Deserialize;

use crate::git::{Change, Status};
use crate::http::{self, RetryPolicy};

/// The pull-request files API returns at most this many files.
pub const PR_FILES_LIMIT: usize = 3000;

/// A GitHub API endpoint and token.
#[derive(Debug, Clone)]
pub struct GitHub {
    pub api_url: String,
    pub token: String,
    pub policy: RetryPolicy,
}

#[derive(Debug, Deserialize)]
struct PrFile {
    filename: String,
    status: String,
    previous_filename: Option<String>,
}

impl GitHub {
    pub fn new(api_url: &str, token: &str) -> Self {
        GitHub {
            api_url: api_url.trim_end_matches('/').to_string(),
            token: token.to_string(),
            policy: RetryPolicy::default(),
        }
    }

    /// The files of a pull request, in API order (at most [`PR_FILES_LIMIT`]; the bool is
    /// true when the list may be cut there). Renames become a deletion and an addition
    /// unless `renames` is set, as in paths-filter.
    pub fn pull_request_files(
        &self,
        repo: &str,
        number: u64,
        renames: bool,
    ) -> anyhow::Result<(Vec<Change>, bool)> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        runtime.block_on(self.pull_request_files_async(repo, number, renames))
    }

    async fn pull_request_files_async(
        &self,
        repo: &str,
        number: u64,
        renames: bool,
    ) -> anyhow::Result<(Vec<Change>, bool)> {
        let client = http::client()?;
        let mut url = format!(
            "{}/repos/{repo}/pulls/{number}/files?per_page=100",
            self.api_url
        );
        let mut files = Vec::new();
        let mut raw_count = 0usize;
        loop {
            let resp = http::send(&self.policy, || {
                client
                    .get(&url)
                    .header("Accept", "application/vnd.github+json")
                    .header("X-GitHub-Api-Version", "2022-11-28")
                    .bearer_auth(&self.token)
            })
            .await
            .with_context(|| format!("listing the files of pull request #{number}"))?;
            let status = resp.status();
            let next = next_link(resp.headers());
            if !status.is_success() {
                let body = resp.text().await.unwrap_or_default();
                bail!(
                    "GitHub API answered {status} listing the files of pull request #{number}: {}{}",
                    body.chars().take(300).collect::<String>(),
                    if status.as_u16() == 403 || status.as_u16() == 404 {
                        " (the token needs 'pull-requests: read' and 'contents: read')"
                    } else {
                        ""
                    }
                );
            }
            let page: Vec<PrFile> = resp
                .json()
                .await
                .map_err(|e| anyhow!("unexpected answer from the GitHub API: {e}"))?;
            raw_count += page.len();
            for f in page {
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
            match next {
                Some(n) => url = n,
                None => break,
            }
        }
        Ok((files, raw_count >= PR_FILES_LIMIT))
    }
}

/// The `rel="next"` URL of a `Link` header.
pub fn next_link(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let mut pieces = part.split(';');
        let url = pieces.next()?.trim();
        let is_next = pieces.any(|p| p.trim() == "rel=\"next\"");
        (is_next && url.starts_with('<') && url.ends_with('>'))
            .then(|| url[1..url.len() - 1].to_string())
    })
}
