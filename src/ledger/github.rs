//! Deployment records on GitHub: deployments and their statuses.

use anyhow::anyhow;
use jiff::Timestamp;

use super::Soak;
use crate::forge::github::{DeploymentStatusBody, Session};

fn parse_ts(s: &str, what: &str) -> anyhow::Result<Timestamp> {
    s.parse()
        .map_err(|e| anyhow!("GitHub sent a bad {what} time '{s}': {e}"))
}

/// Since when `sha` has been live in `env`: the first `success` status of its newest
/// deployment there, when that deployment's latest status is `success` or `inactive`
/// (replaced by a newer deployment after it succeeded).
pub async fn soak(s: &Session<'_>, repo: &str, env: &str, sha: &str) -> anyhow::Result<Soak> {
    let short: String = sha.chars().take(7).collect();
    let deployments = s.deployments(repo, env, sha).await?;
    let Some(latest) = deployments.first() else {
        return Ok(Soak::Missing(format!(
            "commit {short} was never deployed to `{env}`"
        )));
    };
    let statuses = s.deployment_statuses(repo, latest.id).await?;
    match statuses.first().map(|st| st.state.as_str()) {
        Some("success") | Some("inactive") => {
            match statuses.iter().find(|st| st.state == "success") {
                Some(ok) => Ok(Soak::Since(parse_ts(&ok.created_at, "deployment status")?)),
                None => Ok(Soak::Missing(format!(
                    "the deployment of {short} to `{env}` never succeeded"
                ))),
            }
        }
        Some(state) => Ok(Soak::Missing(format!(
            "the latest deployment of {short} to `{env}` is {state}"
        ))),
        None => Ok(Soak::Missing(format!(
            "the deployment of {short} to `{env}` has no status yet"
        ))),
    }
}

/// Which deployment a status goes to.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// A deployment by id.
    Id(u64),
    /// The newest deployment of `sha` to `environment`, else a new one.
    Of { sha: &'a str, environment: &'a str },
}

/// Adds `status` to the target deployment. Returns its id and whether it was created here.
pub async fn record_status(
    s: &Session<'_>,
    repo: &str,
    target: Target<'_>,
    status: &DeploymentStatusBody,
) -> anyhow::Result<(u64, bool)> {
    let (id, created) = match target {
        Target::Id(id) => (id, false),
        Target::Of { sha, environment } => match s.find_deployment(repo, sha, environment).await? {
            Some(id) => (id, false),
            None => (
                s.create_deployment(repo, sha, environment, &status.description)
                    .await?,
                true,
            ),
        },
    };
    s.create_deployment_status(repo, id, status).await?;
    Ok((id, created))
}
