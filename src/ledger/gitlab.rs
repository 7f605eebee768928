//! Deployment records on GitLab: a project's deployments to an environment.

use anyhow::anyhow;
use jiff::Timestamp;

use super::Soak;
use crate::forge::gitlab::GlSession;

/// Since when `sha` has been live in `env`: its newest deployment there, when that one
/// succeeded (finished, else last updated, else created).
pub async fn soak(s: &GlSession<'_>, env: &str, sha: &str) -> anyhow::Result<Soak> {
    let short: String = sha.chars().take(8).collect();
    let deployments = s.deployments(env).await?;
    let Some(latest) = deployments.iter().find(|d| d.sha == sha) else {
        return Ok(Soak::Missing(format!(
            "commit {short} was never deployed to `{env}`"
        )));
    };
    match latest.status.as_str() {
        "success" => {
            let at = latest
                .finished_at
                .as_deref()
                .or(latest.updated_at.as_deref())
                .unwrap_or(&latest.created_at);
            let at: Timestamp = at
                .parse()
                .map_err(|e| anyhow!("GitLab sent a bad deployment time '{at}': {e}"))?;
            Ok(Soak::Since(at))
        }
        state => Ok(Soak::Missing(format!(
            "the latest deployment of {short} to `{env}` is {state}"
        ))),
    }
}
