//! Deployments and their statuses: read by the gate's soak check, written by notify's
//! deployment status (both through [`crate::ledger`]).

use anyhow::Context;
use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::client::Session;
use super::issues::hint;
use super::write_hint;
use crate::forge::urlencode;

/// A deployment.
#[derive(Debug, Clone, Deserialize)]
pub struct Deployment {
    pub id: u64,
}

/// A deployment status as the API returns it.
#[derive(Debug, Clone, Deserialize)]
pub struct DeploymentStatus {
    pub state: String,
    pub created_at: String,
}

/// A deployment status to add (`POST /repos/{repo}/deployments/{id}/statuses`).
#[derive(Debug, Clone, Serialize)]
pub struct DeploymentStatusBody {
    /// `error`, `failure`, `inactive`, `in_progress`, `queued`, `pending` or `success`.
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment_url: Option<String>,
    /// At most 140 characters.
    pub description: String,
}

impl Session<'_> {
    /// Deployments of `sha` to `environment`, newest first (every page).
    pub async fn deployments(
        &self,
        repo: &str,
        environment: &str,
        sha: &str,
    ) -> anyhow::Result<Vec<Deployment>> {
        let what = format!("listing deployments to {environment}");
        let env = urlencode(environment);
        let first = self.url(&format!(
            "/repos/{repo}/deployments?environment={env}&sha={sha}&per_page=100"
        ));
        self.get_all(first, &what, hint).await
    }

    /// The statuses of a deployment, newest first.
    pub async fn deployment_statuses(
        &self,
        repo: &str,
        id: u64,
    ) -> anyhow::Result<Vec<DeploymentStatus>> {
        let what = format!("listing the statuses of deployment {id}");
        let first = self.url(&format!(
            "/repos/{repo}/deployments/{id}/statuses?per_page=100"
        ));
        self.get_all(first, &what, hint).await
    }

    /// The newest deployment of `sha` to `environment`, if any (one request).
    pub async fn find_deployment(
        &self,
        repo: &str,
        sha: &str,
        environment: &str,
    ) -> anyhow::Result<Option<u64>> {
        let mut url = reqwest::Url::parse(&self.url(&format!("/repos/{repo}/deployments")))
            .context("invalid GitHub API URL")?;
        url.query_pairs_mut()
            .append_pair("sha", sha)
            .append_pair("environment", environment)
            .append_pair("per_page", "1");
        let what = format!("listing the deployments of {sha} to {environment}");
        let found: Vec<Deployment> = self
            .call_json(Method::GET, url.as_str(), None, &what, write_hint)
            .await?;
        Ok(found.first().map(|d| d.id))
    }

    /// Creates a deployment of `sha` to `environment` without merging or status checks
    /// (the workflow that calls this is the deployment).
    pub async fn create_deployment(
        &self,
        repo: &str,
        sha: &str,
        environment: &str,
        description: &str,
    ) -> anyhow::Result<u64> {
        let url = self.url(&format!("/repos/{repo}/deployments"));
        let body = serde_json::json!({
            "ref": sha,
            "environment": environment,
            "description": description,
            "auto_merge": false,
            "required_contexts": [],
        });
        let what = format!("creating a deployment of {sha} to {environment}");
        let created: Deployment = self
            .call_json(Method::POST, &url, Some(&body), &what, write_hint)
            .await?;
        Ok(created.id)
    }

    /// Adds a status to a deployment.
    pub async fn create_deployment_status(
        &self,
        repo: &str,
        id: u64,
        status: &DeploymentStatusBody,
    ) -> anyhow::Result<()> {
        let url = self.url(&format!("/repos/{repo}/deployments/{id}/statuses"));
        let body = serde_json::to_value(status)?;
        let what = format!("adding a status to deployment {id}");
        self.call(Method::POST, &url, Some(&body), &what, write_hint)
            .await
            .map(drop)
    }
}
