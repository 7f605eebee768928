//! GitHub REST client: one pipeline ([`client`]: send · check · paginate · conditional
//! GET) and one file per resource. Why a thin reqwest client: see [`crate::forge`].

pub mod actions;
pub mod app;
pub mod client;
pub mod deployments;
pub mod issues;
pub mod pulls;
pub mod teams;

pub use app::TokenSource;
pub use client::{last_link, next_link, Conditional, Quota, Session};
pub use deployments::{Deployment, DeploymentStatus, DeploymentStatusBody};
pub use issues::{Issue, IssueComment, User};
pub use pulls::{CommitStatus, PR_FILES_LIMIT};

use reqwest::StatusCode;

use crate::http::RetryPolicy;

/// A GitHub API endpoint and where its token comes from.
#[derive(Debug, Clone)]
pub struct GitHub {
    pub api_url: String,
    /// Asked once per request, so App installation tokens are refreshed on long runs.
    pub auth: TokenSource,
    pub policy: RetryPolicy,
}

impl GitHub {
    pub fn new(api_url: &str, token: &str) -> Self {
        Self::with_auth(api_url, TokenSource::Fixed(token.to_string()))
    }

    /// A client whose token comes from `auth` (a fixed token or a GitHub App).
    pub fn with_auth(api_url: &str, auth: TokenSource) -> Self {
        GitHub {
            api_url: api_url.trim_end_matches('/').to_string(),
            auth,
            policy: RetryPolicy::default(),
        }
    }
}

/// The hint for the status and comment calls notify makes with whatever token it is given.
pub fn write_hint(status: StatusCode, body: &str) -> Option<&'static str> {
    match status.as_u16() {
        401 => Some("the token is invalid or expired"),
        403 if body.contains("not accessible by integration") => Some(
            "the token lacks a permission; on pull requests from forks GITHUB_TOKEN is read-only",
        ),
        403 | 404 => Some("check the repository and the token's permissions"),
        422 => Some("GitHub rejected the request body"),
        _ => None,
    }
}
