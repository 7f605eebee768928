//! Pipelines, jobs and commit statuses.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::GlSession;
use super::members::GlUser;

/// A pipeline job.
#[derive(Debug, Clone, Deserialize)]
pub struct GlJob {
    pub id: u64,
    pub name: String,
}

/// A commit status (`POST /projects/:id/statuses/:sha`).
#[derive(Debug, Clone, Serialize)]
pub struct CommitStatus {
    /// `pending`, `running`, `success`, `failed`, `canceled` or `skipped`.
    pub state: String,
    /// The status's label (GitLab calls it `name`, or context).
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub git_ref: Option<String>,
}

impl GlSession<'_> {
    /// Who started a pipeline.
    pub async fn pipeline_user(&self, pipeline: &str) -> anyhow::Result<Option<String>> {
        #[derive(Deserialize)]
        struct P {
            #[serde(default)]
            user: Option<GlUser>,
        }
        let p: P = self
            .json(
                Method::GET,
                &self.url(&format!("/pipelines/{pipeline}")),
                None,
                &format!("reading pipeline {pipeline}"),
            )
            .await?;
        Ok(p.user.map(|u| u.username).filter(|u| !u.is_empty()))
    }

    /// The manual jobs of a pipeline.
    pub async fn manual_jobs(&self, pipeline: &str) -> anyhow::Result<Vec<GlJob>> {
        let url = format!(
            "{}?scope[]=manual&per_page=100",
            self.url(&format!("/pipelines/{pipeline}/jobs"))
        );
        self.all(
            &url,
            &format!("listing the manual jobs of pipeline {pipeline}"),
        )
        .await
    }

    pub async fn play_job(&self, job: u64) -> anyhow::Result<()> {
        let _: Value = self
            .json(
                Method::POST,
                &self.url(&format!("/jobs/{job}/play")),
                None,
                &format!("starting job {job}"),
            )
            .await?;
        Ok(())
    }

    /// Sets a commit status.
    pub async fn set_commit_status(&self, sha: &str, status: &CommitStatus) -> anyhow::Result<()> {
        let url = self.url(&format!("/statuses/{sha}"));
        let what = format!("setting the commit status '{}'", status.name);
        let body = serde_json::to_value(status)?;
        self.call(Method::POST, &url, Some(&body), &what)
            .await
            .map(drop)
    }
}
