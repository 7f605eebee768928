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

use crate::http;

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

/// Passes a success (or 304) through; turns a rate limit ([`crate::http::is_rate_limited`])
/// into [`crate::http::RateLimited`] (so a waiting loop can back off instead of failing)
/// and any other error status into an [`ApiError`] naming `what` and, from `hint`, what the
/// token probably lacks. The one check of both forges' clients.
pub(crate) async fn check(
    forge: &'static str,
    resp: Response,
    what: &str,
    hint: impl FnOnce(StatusCode, &str) -> Option<&'static str>,
) -> anyhow::Result<Response> {
    let status = resp.status();
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        return Ok(resp);
    }
    let retry_after = header(&resp, "retry-after").and_then(|v| http::parse_retry_after(&v));
    let body = resp.text().await.unwrap_or_default();
    if http::is_rate_limited(status, &body) {
        return Err(http::RateLimited::new(forge, status, what, &body, retry_after).into());
    }
    let hint = hint(status, &body);
    Err(ApiError::with_hint(forge, status, what, &body, hint).into())
}

/// A request with an optional `If-None-Match` and JSON body.
pub(crate) fn prepare(
    mut req: reqwest::RequestBuilder,
    etag: Option<&str>,
    body: Option<&serde_json::Value>,
) -> reqwest::RequestBuilder {
    if let Some(tag) = etag {
        req = req.header("If-None-Match", tag);
    }
    if let Some(b) = body {
        req = req.json(b);
    }
    req
}

/// The `rel` URL (`next`, `last`) of a `Link` header (GitHub and GitLab both send them).
pub fn link(headers: &reqwest::header::HeaderMap, rel: &str) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    let want = format!("rel=\"{rel}\"");
    link.split(',').find_map(|part| {
        let mut pieces = part.split(';');
        let url = pieces.next()?.trim();
        let found = pieces.any(|p| p.trim() == want);
        (found && url.starts_with('<') && url.ends_with('>'))
            .then(|| url[1..url.len() - 1].to_string())
    })
}

/// The `rel="next"` URL of a `Link` header.
pub fn next_link(headers: &reqwest::header::HeaderMap) -> Option<String> {
    link(headers, "next")
}

/// The `rel="last"` URL of a `Link` header.
pub fn last_link(headers: &reqwest::header::HeaderMap) -> Option<String> {
    link(headers, "last")
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
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    /// RFC 3986 unreserved: letters, digits and `-_.~` stay as they are.
    const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    utf8_percent_encode(s, COMPONENT).to_string()
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

    #[test]
    fn next_and_last_links_are_found() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(
            "link",
            "<https://api/x?page=2>; rel=\"next\", <https://api/x?page=4>; rel=\"last\""
                .parse()
                .unwrap(),
        );
        assert_eq!(last_link(&h).as_deref(), Some("https://api/x?page=4"));
        assert_eq!(next_link(&h).as_deref(), Some("https://api/x?page=2"));
    }
}
