//! `shipgate gate`: approval gates — a drop-in for trstringer/manual-approval with approval
//! policies, windows, freezes, wait timers and soak times, blocking or non-blocking, on
//! GitHub and GitLab.
//!
//! The deciding parts are pure functions: [`words`] (what a comment says), [`policy`] (who
//! approved, against the rules), [`time`] and [`decide`] (windows, freezes, timers). The
//! platform parts ([`github`], [`gitlab_token`] with a token, [`gitlab_jobs`] with approve jobs and no token) fetch comments or records and apply the outcome.

pub mod cron;
pub mod decide;
pub mod flow;
pub mod github;
pub mod gitlab_jobs;
pub mod gitlab_token;
pub mod policy;
pub mod progress;
pub mod request;
pub mod spec;
/// Durations, windows and freezes live on the ground floor (the model checker reads them too).
pub use crate::time;
pub mod words;

use crate::error::Failure;
use crate::platform::{Kind, Outcome, Platform, Report};

use spec::Spec;
use time::Clock;

/// The result of a run: what to write, and the failure (exit code) to end with after
/// writing it. Denials, blocks and timeouts still write their outputs and summary.
#[derive(Debug)]
pub struct Finish {
    pub report: Report,
    pub failure: Option<Failure>,
}

/// Runs the gate as `spec` (see [`request::read`]) asks: its results, then its decision
/// (a refusal is exit 3, a timeout exit 4).
pub fn run(spec: &Spec, p: &mut Platform) -> Result<Outcome, Failure> {
    let done = run_mode(spec, p)?;
    Ok(Outcome::finished(done.report, done.failure))
}

/// The folder the gate runs in (approval records and the config are found from here).
pub fn working_dir() -> Result<std::path::PathBuf, Failure> {
    std::env::current_dir()
        .map_err(|e| Failure::Operational(anyhow::anyhow!("no working directory: {e}")))
}

/// Runs the gate in the mode the request asks for.
fn run_mode(spec: &Spec, p: &mut Platform) -> Result<Finish, Failure> {
    let cwd = working_dir()?;
    let clock = Clock::from_env(&p.env)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            Failure::Operational(anyhow::anyhow!("cannot start the async runtime: {e}"))
        })?;
    let on_gitlab = matches!(
        spec.mode,
        spec::Mode::GitlabJobs | spec::Mode::GitlabApprove
    );
    // A dry run is offline: no token, no API (the GitLab job modes never use one).
    if spec.dry_run && !on_gitlab {
        return match p.kind {
            Kind::Gitlab => gitlab_token::preview(spec, p, &clock),
            Kind::Github | Kind::Local => github::preview(spec, p, &clock),
        };
    }
    match p.kind {
        Kind::Gitlab if on_gitlab => gitlab_jobs::run(spec, p, &clock, &cwd),
        Kind::Gitlab => match gitlab_token::token(spec, p) {
            Some(token) => runtime.block_on(gitlab_token::run(spec, p, &clock, token)),
            None => Err(Failure::input(
                "secret",
                "on GitLab the blocking, request, evaluate and verify modes need a token with the api scope (the secret input or GITLAB_TOKEN); without one, use manual approve jobs (modes gitlab-approve and gitlab-jobs)",
            )),
        },
        Kind::Local if on_gitlab => gitlab_jobs::run(spec, p, &clock, &cwd),
        Kind::Github | Kind::Local => runtime.block_on(github::run(spec, p, &clock)),
    }
}
