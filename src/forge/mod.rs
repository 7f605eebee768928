//! API clients for the forges. They know nothing of verbs: they return data and decide
//! nothing. One client per forge ([`github`], [`gitlab`]), each one pipeline (send · check
//! · paginate · conditional GET) and one file per resource, one error type
//! ([`ApiError`]) for both, and one token story ([`auth`]).
//!
//! Why thin reqwest clients and not octocrab or the `gitlab` crate (DESIGN §7):
//! - conditional requests (`If-None-Match`, a 304 costs no primary rate limit) are the
//!   gate's headline cost while it waits, and need the raw ETag and `Link` headers on
//!   every call, which the typed crates hide;
//! - octocrab has no deployments API (the soak check and notify's deployment status need
//!   deployments and their statuses), and shipgate's retry policy ([`crate::http`]) must
//!   apply to every call alike;
//! - the `gitlab` crate is blocking-only and brings a second TLS stack (native-tls) next
//!   to our rustls, for a dozen endpoints we can call in a few lines each.
//!
//! release-plz and zizmor, the closest Rust peers, make the same choice: a small reqwest
//! client over the endpoints they use.

pub mod auth;
pub mod github;
pub mod gitlab;

use reqwest::{Response, StatusCode};

/// What a failed call's status probably means for the token, e.g. "the token is invalid or
/// expired"; `None` when there is nothing to add. Given the status and the body.
pub type Hint = fn(StatusCode, &str) -> Option<&'static str>;

/// A forge answered a call with an error status. The body is the server's, cut to
/// [`crate::http::excerpt`] (redaction runs on the whole of it before any line is cut, so a
/// secret the server echoes never shows in part).
#[derive(Debug, thiserror::Error)]
#[error("{forge} API answered {status} {what}: {body}{}", hint.map(|h| format!(" ({h})")).unwrap_or_default())]
pub struct ApiError {
    /// `GitHub` or `GitLab`.
    pub forge: &'static str,
    pub status: StatusCode,
    /// What the call was doing ("listing the comments of #7").
    pub what: String,
    pub body: String,
    /// What the token probably lacks.
    pub hint: Option<&'static str>,
}

impl ApiError {
    pub fn new(
        forge: &'static str,
        status: StatusCode,
        what: &str,
        body: &str,
        hint: Hint,
    ) -> Self {
        Self::with_hint(forge, status, what, body, hint(status, body))
    }

    /// An error with a hint already chosen.
    pub fn with_hint(
        forge: &'static str,
        status: StatusCode,
        what: &str,
        body: &str,
        hint: Option<&'static str>,
    ) -> Self {
        ApiError {
            forge,
            status,
            what: what.to_string(),
            body: crate::http::excerpt(body).to_string(),
            hint,
        }
    }
}

/// No hint.
pub fn no_hint(_: StatusCode, _: &str) -> Option<&'static str> {
    None
}

/// A response header, trimmed.
pub(crate) fn header(resp: &Response, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
}

/// Percent-encodes a path or query component (unreserved characters stay).
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_are_percent_encoded() {
        assert_eq!(urlencode("deploy prod.yml"), "deploy%20prod.yml");
        assert_eq!(urlencode("a/b~c_d-e"), "a%2Fb~c_d-e");
        assert_eq!(urlencode("é"), "%C3%A9");
    }

    #[test]
    fn an_api_error_names_the_call_the_body_and_the_hint() {
        let e = ApiError::new(
            "GitHub",
            StatusCode::NOT_FOUND,
            "reading issue #3",
            "Not Found",
            |_, _| Some("check the token"),
        );
        assert_eq!(
            e.to_string(),
            "GitHub API answered 404 Not Found reading issue #3: Not Found (check the token)"
        );
    }
}
