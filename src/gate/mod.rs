//! `shipgate gate`: approval gates — a drop-in for trstringer/manual-approval with approval
//! policies, windows, freezes, wait timers and soak times, blocking or non-blocking, on
//! GitHub and GitLab.
//!
//! The deciding parts are pure functions: [`words`] (what a comment says), [`policy`] (who
//! approved, against the rules), [`time`] and [`decide`] (windows, freezes, timers). The
//! platform parts ([`github`], [`gitlab`]) fetch comments or records and apply the outcome.

pub mod decide;
pub mod github;
pub mod gitlab;
pub mod policy;
pub mod spec;
pub mod time;
pub mod words;

use crate::cli::gate::Args;
use crate::error::Failure;
use crate::platform::{Kind, Platform, Report};

use time::Clock;

/// The result of a run: what to write, and the failure (exit code) to end with after
/// writing it. Denials, blocks and timeouts still write their outputs and summary.
#[derive(Debug)]
pub struct Finish {
    pub report: Report,
    pub failure: Option<Failure>,
}

/// The clock from `SHIPGATE_NOW` / `SHIPGATE_TIME_SCALE` (tests and benchmarks), else real.
pub fn clock(p: &Platform) -> Result<Clock, Failure> {
    let start = p
        .env
        .get("SHIPGATE_NOW")
        .map(|v| {
            v.parse::<jiff::Timestamp>().map_err(|e| {
                Failure::input(
                    "SHIPGATE_NOW",
                    format!("'{v}' is not an RFC 3339 instant: {e}"),
                )
            })
        })
        .transpose()?;
    let scale = p
        .env
        .get("SHIPGATE_TIME_SCALE")
        .map(|v| {
            v.parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0)
                .ok_or_else(|| {
                    Failure::input(
                        "SHIPGATE_TIME_SCALE",
                        format!("'{v}' is not a positive number"),
                    )
                })
        })
        .transpose()?
        .unwrap_or(1.0);
    Ok(if start.is_none() && scale == 1.0 {
        Clock::system()
    } else {
        Clock::new(start, scale)
    })
}

/// Runs the gate.
pub fn run(args: &Args, p: &mut Platform) -> Result<Finish, Failure> {
    let cwd = std::env::current_dir()
        .map_err(|e| Failure::Operational(anyhow::anyhow!("no working directory: {e}")))?;
    let spec = spec::resolve(args, p, &cwd)?;
    let clock = clock(p)?;
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
    match p.kind {
        Kind::Gitlab => gitlab::run(&spec, p, &clock, &cwd),
        Kind::Local if on_gitlab => gitlab::run(&spec, p, &clock, &cwd),
        Kind::Github | Kind::Local => runtime.block_on(github::run(&spec, p, &clock)),
    }
}
