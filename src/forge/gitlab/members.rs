//! Users, group members and commit authors (the gate's approvers and self-approval rule).

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;

use super::client::GlSession;
use super::project_segment;
use crate::forge::urlencode;

/// A user as the API returns it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct GlUser {
    #[serde(default)]
    pub username: String,
}

impl GlSession<'_> {
    /// The usernames of a group's members, inherited ones included; `None` when the group
    /// does not exist or the token cannot see it.
    pub async fn group_members(&self, group: &str) -> anyhow::Result<Option<Vec<String>>> {
        let first = self.api(&format!(
            "/groups/{}/members/all?per_page=100",
            project_segment(group)
        ));
        let what = format!("listing the members of group {group}");
        let resp = self.send(Method::GET, &first, None, None, &what).await?;
        if resp.status() == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        let resp = self.check(resp, &what).await?;
        let users: Vec<GlUser> = self.rest(resp, &what).await?;
        Ok(Some(users.into_iter().map(|u| u.username).collect()))
    }

    /// The author and committer e-mail addresses of a commit.
    pub async fn commit_emails(&self, sha: &str) -> anyhow::Result<Vec<String>> {
        let c: Value = self
            .json(
                Method::GET,
                &self.url(&format!("/repository/commits/{sha}")),
                None,
                &format!("reading commit {sha}"),
            )
            .await?;
        Ok(["author_email", "committer_email"]
            .iter()
            .filter_map(|k| c[*k].as_str())
            .filter(|e| !e.is_empty())
            .map(str::to_string)
            .collect())
    }

    /// The usernames of users whose public e-mail address is `email`.
    pub async fn users_by_email(&self, email: &str) -> anyhow::Result<Vec<String>> {
        let url = self.api(&format!("/users?search={}&per_page=20", urlencode(email)));
        let users: Vec<GlUser> = self
            .json(Method::GET, &url, None, "looking up commit authors")
            .await?;
        Ok(users.into_iter().map(|u| u.username).collect())
    }
}
