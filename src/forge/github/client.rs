//! The one GitHub pipeline every call goes through: send (the shared retry policy and a
//! fresh token per request) · check (one [`ApiError`] with the body and a permission hint;
//! rate limits become [`RateLimited`]) · paginate (`Link: rel="next"`) · conditional GET
//! (`If-None-Match`, 304 costs no primary rate limit).
//!
//! [`ApiError`]: crate::forge::ApiError
//! [`RateLimited`]: crate::http::RateLimited

use anyhow::{anyhow, Context};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::GitHub;
use crate::forge::{header, prepare, Hint};
pub use crate::forge::{last_link, next_link};
use crate::http;

/// Pages read at most when listing (100 items each).
pub const MAX_PAGES: usize = 50;

/// Rate-limit headers of the last answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Quota {
    pub remaining: Option<u64>,
    /// Epoch seconds when the quota resets.
    pub reset: Option<u64>,
}

/// The answer to a conditional GET.
#[derive(Debug)]
pub enum Conditional<T> {
    /// 304: nothing changed (costs no primary rate limit).
    NotModified(Quota),
    /// 200: the new value, its ETag and the `rel="last"` page URL, if any.
    Modified {
        value: T,
        etag: Option<String>,
        last: Option<String>,
        quota: Quota,
    },
}

/// One page of a listing: its items, the `rel="next"` URL and the page's ETag.
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
    pub etag: Option<String>,
}

/// One connection to the API (a pooled HTTP client and the token source).
pub struct Session<'a> {
    pub(super) gh: &'a GitHub,
    client: reqwest::Client,
}

impl GitHub {
    /// A session for many calls over a new HTTP client.
    pub fn session(&self) -> anyhow::Result<Session<'_>> {
        Ok(self.session_with(http::client()?))
    }

    /// A session over a caller's HTTP client (one pool for a whole run).
    pub fn session_with(&self, client: reqwest::Client) -> Session<'_> {
        Session { gh: self, client }
    }
}

/// A request with GitHub's headers and a bearer token (an installation token, a PAT or an
/// App JWT).
pub(crate) fn request(
    client: &reqwest::Client,
    method: Method,
    url: &str,
    token: &str,
) -> RequestBuilder {
    client
        .request(method, url)
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", "2022-11-28")
        .bearer_auth(token)
}

/// Passes a success (or 304) through; turns a rate limit into [`RateLimited`] (so a
/// waiting loop can back off instead of failing) and any other error status into an
/// [`ApiError`] naming `what` and, from `hint`, what the token probably lacks.
pub(crate) async fn check(resp: Response, what: &str, hint: Hint) -> anyhow::Result<Response> {
    crate::forge::check("GitHub", resp, what, hint).await
}

/// The JSON of an answer.
pub(crate) async fn json<T: DeserializeOwned>(resp: Response, what: &str) -> anyhow::Result<T> {
    resp.json()
        .await
        .map_err(|e| anyhow!("unexpected answer from the GitHub API {what}: {e}"))
}

fn quota(resp: &Response) -> Quota {
    Quota {
        remaining: header(resp, "x-ratelimit-remaining").and_then(|v| v.parse().ok()),
        reset: header(resp, "x-ratelimit-reset").and_then(|v| v.parse().ok()),
    }
}

impl Session<'_> {
    /// Installation tokens minted since last asked (to mask and redact).
    pub fn take_minted(&self) -> Vec<String> {
        self.gh.auth.take_minted()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.gh.api_url)
    }

    /// Sends one request through the retry policy, unchecked (for the calls that read a
    /// status themselves: 404 as "none", 422 as "retry without").
    pub(crate) async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        etag: Option<&str>,
        what: &str,
    ) -> anyhow::Result<Response> {
        // Per request: an App installation token is replaced before it expires.
        let token = self
            .gh
            .auth
            .token()
            .await
            .with_context(|| what.to_string())?;
        http::send(&self.gh.policy, || {
            prepare(
                request(&self.client, method.clone(), url, &token),
                etag,
                body,
            )
        })
        .await
        .with_context(|| what.to_string())
    }

    /// Sends and checks one call.
    pub(crate) async fn call(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        what: &str,
        hint: Hint,
    ) -> anyhow::Result<Response> {
        let resp = self.send(method, url, body, None, what).await?;
        check(resp, what, hint).await
    }

    /// One call answered with JSON.
    pub(crate) async fn call_json<T: DeserializeOwned>(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        what: &str,
        hint: Hint,
    ) -> anyhow::Result<T> {
        json(self.call(method, url, body, what, hint).await?, what).await
    }

    /// Deletes; a resource already gone counts as deleted.
    pub(crate) async fn delete(&self, url: &str, what: &str, hint: Hint) -> anyhow::Result<()> {
        let resp = self.send(Method::DELETE, url, None, None, what).await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(());
        }
        check(resp, what, hint).await.map(drop)
    }

    /// One page of a listing, checked.
    pub(crate) async fn page<T: DeserializeOwned>(
        &self,
        url: &str,
        what: &str,
        hint: Hint,
    ) -> anyhow::Result<Page<T>> {
        let resp = self.call(Method::GET, url, None, what, hint).await?;
        Self::read_page(resp, what).await
    }

    /// The page an already checked answer holds.
    pub(crate) async fn read_page<T: DeserializeOwned>(
        resp: Response,
        what: &str,
    ) -> anyhow::Result<Page<T>> {
        let next = next_link(resp.headers());
        let etag = header(&resp, "etag");
        let items = json(resp, what).await?;
        Ok(Page { items, next, etag })
    }

    /// Every item of a listing from `first` on (at most `max` pages), with the ETag and
    /// URL of the last page read.
    pub(crate) async fn paginate<T: DeserializeOwned>(
        &self,
        first: String,
        max: usize,
        what: &str,
        hint: Hint,
    ) -> anyhow::Result<(Vec<T>, Option<String>, String)> {
        let mut url = first;
        let mut all = Vec::new();
        let mut etag = None;
        for _ in 0..max {
            let page = self.page(&url, what, hint).await?;
            all.extend(page.items);
            etag = page.etag;
            match page.next {
                Some(n) => url = n,
                None => break,
            }
        }
        Ok((all, etag, url))
    }

    /// A listing whose first (checked) page is `resp`, with the rest of its pages.
    pub(crate) async fn rest<T: DeserializeOwned>(
        &self,
        resp: Response,
        what: &str,
        hint: Hint,
    ) -> anyhow::Result<Vec<T>> {
        let page = Self::read_page::<T>(resp, what).await?;
        let mut items = page.items;
        if let Some(next) = page.next {
            items.extend(self.get_all::<T>(next, what, hint).await?);
        }
        Ok(items)
    }

    /// Every item of a listing (at most [`MAX_PAGES`] pages).
    pub(crate) async fn get_all<T: DeserializeOwned>(
        &self,
        first: String,
        what: &str,
        hint: Hint,
    ) -> anyhow::Result<Vec<T>> {
        Ok(self.paginate(first, MAX_PAGES, what, hint).await?.0)
    }

    /// `GET path` answered with JSON.
    pub(crate) async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        what: &str,
        hint: Hint,
    ) -> anyhow::Result<T> {
        self.call_json(Method::GET, &self.url(path), None, what, hint)
            .await
    }

    /// A conditional GET of any JSON resource (`If-None-Match: etag`).
    pub async fn get_conditional<T: DeserializeOwned>(
        &self,
        url: &str,
        etag: Option<&str>,
        what: &str,
    ) -> anyhow::Result<Conditional<T>> {
        let resp = self.send(Method::GET, url, None, etag, what).await?;
        let resp = check(resp, what, super::issues::hint).await?;
        let q = quota(&resp);
        if resp.status() == StatusCode::NOT_MODIFIED {
            return Ok(Conditional::NotModified(q));
        }
        let etag = header(&resp, "etag");
        let last = last_link(resp.headers());
        let value = json(resp, what).await?;
        Ok(Conditional::Modified {
            value,
            etag,
            last,
            quota: q,
        })
    }
}
