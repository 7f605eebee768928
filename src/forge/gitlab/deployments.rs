//! Deployments and deploy freeze periods (the gate's soak check and freeze rule, through
//! [`crate::ledger`] for deployments).

use serde::Deserialize;

use super::client::GlSession;
use crate::forge::urlencode;

/// A deployment.
#[derive(Debug, Clone, Deserialize)]
pub struct GlDeployment {
    #[serde(default)]
    pub sha: String,
    pub status: String,
    pub created_at: String,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub finished_at: Option<String>,
}

/// A deploy freeze period.
#[derive(Debug, Clone, Deserialize)]
pub struct GlFreezePeriod {
    pub freeze_start: String,
    pub freeze_end: String,
    #[serde(default)]
    pub cron_timezone: Option<String>,
}

impl GlSession<'_> {
    /// Deployments to `environment`, newest first (up to five pages).
    pub async fn deployments(&self, environment: &str) -> anyhow::Result<Vec<GlDeployment>> {
        let url = format!(
            "{}?environment={}&order_by=id&sort=desc&per_page=100",
            self.url("/deployments"),
            urlencode(environment)
        );
        let what = format!("listing the deployments to {environment}");
        self.pages(&url, &what, 5).await
    }

    pub async fn freeze_periods(&self) -> anyhow::Result<Vec<GlFreezePeriod>> {
        let url = format!("{}?per_page=100", self.url("/freeze_periods"));
        self.all(&url, "reading the deploy freeze periods").await
    }
}
