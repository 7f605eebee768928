//! The one GitLab pipeline every call goes through: send (the shared retry policy) · check
//! (one [`ApiError`] with the body and a permission hint; rate limits become
//! [`RateLimited`]) · paginate (`Link: rel="next"`, which GitLab sends for offset
//! pagination) · conditional GET (`If-None-Match`).
//!
//! [`ApiError`]: crate::forge::ApiError
//! [`RateLimited`]: crate::http::RateLimited

use anyhow::{anyhow, Context};
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{project_segment, Auth, GitLab};
use crate::forge::{next_link, prepare};
use crate::http;

/// Pages read at most when listing (100 items each).
pub const MAX_PAGES: usize = 50;

/// One connection to the API about one project.
pub struct GlSession<'a> {
    pub(super) gl: &'a GitLab,
    client: reqwest::Client,
    project: String,
}

impl GitLab {
    /// A session for many calls about `project` (an id or `group/project` path).
    pub fn session(&self, project: &str) -> anyhow::Result<GlSession<'_>> {
        Ok(self.session_with(http::client()?, project))
    }

    /// A session over a caller's HTTP client (one pool for a whole run).
    pub fn session_with(&self, client: reqwest::Client, project: &str) -> GlSession<'_> {
        GlSession {
            gl: self,
            client,
            project: project_segment(project),
        }
    }

    /// What a failed call probably means for these credentials.
    fn hint(&self, status: StatusCode) -> Option<&'static str> {
        match (status.as_u16(), &self.auth) {
            (401 | 403, Auth::Job(_)) => Some(
                "the CI job token cannot do this: pass a project access token with the api scope",
            ),
            (401, _) => Some("the token is invalid or expired"),
            (403, _) => Some("the token needs the api scope and at least the Reporter role"),
            (404, _) => Some("check the project, the merge request and the token's access"),
            _ => None,
        }
    }
}

impl GlSession<'_> {
    /// A URL under the project.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}/projects/{}{path}", self.gl.api_url, self.project)
    }

    /// A URL under the API root.
    pub(crate) fn api(&self, path: &str) -> String {
        format!("{}{path}", self.gl.api_url)
    }

    fn request(&self, method: Method, url: &str) -> RequestBuilder {
        let req = self.client.request(method, url);
        match &self.gl.auth {
            Auth::Token(t) => req.header("PRIVATE-TOKEN", t),
            Auth::Job(t) => req.header("JOB-TOKEN", t),
        }
    }

    /// Sends one request through the retry policy, unchecked.
    pub(crate) async fn send(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        etag: Option<&str>,
        what: &str,
    ) -> anyhow::Result<Response> {
        http::send(&self.gl.policy, || {
            prepare(self.request(method.clone(), url), etag, body)
        })
        .await
        .with_context(|| what.to_string())
    }

    /// Passes a success (or 304) through; a rate limit becomes [`RateLimited`], any other
    /// error status an [`ApiError`].
    pub(crate) async fn check(&self, resp: Response, what: &str) -> anyhow::Result<Response> {
        crate::forge::check("GitLab", resp, what, |status, _| self.gl.hint(status)).await
    }

    /// Sends and checks one call.
    pub(crate) async fn call(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        what: &str,
    ) -> anyhow::Result<Response> {
        let resp = self.send(method, url, body, None, what).await?;
        self.check(resp, what).await
    }

    /// One call answered with JSON.
    pub(crate) async fn json<T: DeserializeOwned>(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        what: &str,
    ) -> anyhow::Result<T> {
        read_json(self.call(method, url, body, what).await?, what).await
    }

    /// Deletes; a resource already gone counts as deleted.
    pub(crate) async fn delete(&self, url: &str, what: &str) -> anyhow::Result<()> {
        let resp = self.send(Method::DELETE, url, None, None, what).await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(());
        }
        self.check(resp, what).await.map(drop)
    }

    /// Every item of a paginated listing (at most [`MAX_PAGES`] pages).
    pub(crate) async fn all<T: DeserializeOwned>(
        &self,
        first: &str,
        what: &str,
    ) -> anyhow::Result<Vec<T>> {
        self.pages(first, what, MAX_PAGES).await
    }

    /// The items of at most `max` pages of a listing, from `first` on.
    pub(crate) async fn pages<T: DeserializeOwned>(
        &self,
        first: &str,
        what: &str,
        max: usize,
    ) -> anyhow::Result<Vec<T>> {
        let mut url = first.to_string();
        let mut out = Vec::new();
        for _ in 0..max {
            let resp = self.call(Method::GET, &url, None, what).await?;
            let next = next_link(resp.headers());
            let page: Vec<T> = read_json(resp, what).await?;
            out.extend(page);
            match next {
                Some(n) => url = n,
                None => return Ok(out),
            }
        }
        Ok(out)
    }

    /// The rest of a listing whose first (checked) page is `resp`.
    pub(crate) async fn rest<T: DeserializeOwned>(
        &self,
        resp: Response,
        what: &str,
    ) -> anyhow::Result<Vec<T>> {
        let next = next_link(resp.headers());
        let mut items: Vec<T> = read_json(resp, what).await?;
        if let Some(n) = next {
            items.extend(self.all::<T>(&n, what).await?);
        }
        Ok(items)
    }
}

/// The JSON of an answer.
pub(crate) async fn read_json<T: DeserializeOwned>(
    resp: Response,
    what: &str,
) -> anyhow::Result<T> {
    resp.json()
        .await
        .map_err(|e| anyhow!("unexpected answer {what}: {e}"))
}
