//! Organisation teams and their members (the gate's `team:` approvers).

use reqwest::{Method, StatusCode};
use serde::Deserialize;

use super::client::{self, Session};
use super::issues::{hint, User};
use crate::forge::header;
use crate::http::{self, RateLimited};

impl Session<'_> {
    /// The members of an organisation team (every page), or `None` when the team does not
    /// exist or the token cannot see it (404).
    pub async fn team_members(&self, org: &str, slug: &str) -> anyhow::Result<Option<Vec<String>>> {
        let what = format!("listing the members of team {org}/{slug}");
        let first = self.url(&format!("/orgs/{org}/teams/{slug}/members?per_page=100"));
        let resp = self.send(Method::GET, &first, None, None, &what).await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let resp = client::check(resp, &what, hint).await?;
        let users: Vec<User> = self.rest(resp, &what, hint).await?;
        Ok(Some(users.into_iter().map(|u| u.login).collect()))
    }

    /// The slugs of an organisation's teams (every page, one request per 100 teams), or
    /// `None` when the owner is not an organisation or the token cannot list its teams
    /// (404/403; `GITHUB_TOKEN` cannot).
    pub async fn org_teams(&self, org: &str) -> anyhow::Result<Option<Vec<String>>> {
        #[derive(Deserialize)]
        struct Team {
            slug: String,
        }
        let what = format!("listing the teams of {org}");
        let first = self.url(&format!("/orgs/{org}/teams?per_page=100"));
        let resp = self.send(Method::GET, &first, None, None, &what).await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if resp.status() == StatusCode::FORBIDDEN
            && header(&resp, "x-ratelimit-remaining").as_deref() != Some("0")
        {
            let body = resp.text().await.unwrap_or_default();
            if http::is_rate_limited(StatusCode::FORBIDDEN, &body) {
                return Err(
                    RateLimited::new("GitHub", StatusCode::FORBIDDEN, &what, &body, None).into(),
                );
            }
            return Ok(None);
        }
        let resp = client::check(resp, &what, hint).await?;
        let teams: Vec<Team> = self.rest(resp, &what, hint).await?;
        Ok(Some(teams.into_iter().map(|t| t.slug).collect()))
    }
}
