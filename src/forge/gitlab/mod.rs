//! GitLab REST v4 client: one pipeline ([`client`]: send · check · paginate · conditional
//! GET) and one file per resource. Why a thin reqwest client and not the `gitlab` crate:
//! see [`crate::forge`] (blocking only, a second TLS stack, half of what we need missing;
//! notes/notify-and-crates.md §2.6).

pub mod client;
pub mod deployments;
pub mod issues;
pub mod members;
pub mod notes;
pub mod pipelines;

pub use client::GlSession;
pub use deployments::{GlDeployment, GlFreezePeriod};
pub use issues::{GlIssue, GlMergeRequest};
pub use members::GlUser;
pub use notes::{GlNote, Noteable, Probe};
pub use pipelines::{CommitStatus, GlJob};

use crate::http::RetryPolicy;

/// How a request proves who it is.
#[derive(Debug, Clone)]
pub enum Auth {
    /// A personal, project or group access token (`PRIVATE-TOKEN`).
    Token(String),
    /// The job's `CI_JOB_TOKEN` (`JOB-TOKEN`): it can read, and set some statuses, but
    /// cannot write merge-request notes.
    Job(String),
}

/// A GitLab API endpoint (`CI_API_V4_URL`) and credentials.
#[derive(Debug, Clone)]
pub struct GitLab {
    pub api_url: String,
    pub auth: Auth,
    pub policy: RetryPolicy,
}

impl GitLab {
    pub fn new(api_url: &str, auth: Auth) -> Self {
        GitLab {
            api_url: api_url.trim_end_matches('/').to_string(),
            auth,
            policy: RetryPolicy::default(),
        }
    }
}

/// A project id or `group/project` path, escaped for a URL path segment.
pub fn project_segment(project: &str) -> String {
    project.replace('%', "%25").replace('/', "%2F")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_paths_are_escaped_as_one_segment() {
        assert_eq!(project_segment("42"), "42");
        assert_eq!(project_segment("group/sub/app"), "group%2Fsub%2Fapp");
    }
}
