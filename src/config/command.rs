//! `shipgate config validate` and `shipgate config schema`.

use super::load_required as load_config;
use crate::error::Failure;
use crate::platform::{Outcome, Platform, Report};

use super::request::Request;
use super::Config;

/// Runs a `config` subcommand.
pub fn run(request: &Request, platform: &Platform) -> Result<Outcome, Failure> {
    match request {
        Request::Schema => Ok(Outcome::stdout(super::schema_text())),
        Request::Validate { config } => {
            let config = load_config(platform, config.as_deref())?;
            Ok(Outcome::Report(summary(&config)))
        }
    }
}

/// A valid file's summary: one line for people, counts as outputs.
fn summary(config: &Config) -> Report {
    let envs: Vec<&str> = config
        .environments()
        .iter()
        .map(|e| e.name.as_str())
        .collect();
    let line = format!(
        "{} is valid: {} ({}), {} ({}), {}, {}, {}, {}",
        config.file,
        count(envs.len(), "environment"),
        envs.join(" → "),
        count(config.tiers().len(), "tier"),
        config.tiers().join(", "),
        count(config.groups().len(), "group"),
        count(config.components().len(), "component"),
        count(config.gates().len(), "gate"),
        count(config.approvers().len(), "approver group"),
    );
    let mut report = Report::default();
    report.set("valid", "true");
    report.set(
        "environments",
        serde_json::to_string(&envs).unwrap_or_default(),
    );
    report.set(
        "tiers",
        serde_json::to_string(config.tiers()).unwrap_or_default(),
    );
    report.set("groups", config.groups().len().to_string());
    report.set("components", config.components().len().to_string());
    report.set(
        "gates",
        serde_json::to_string(
            &config
                .gates()
                .iter()
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>(),
        )
        .unwrap_or_default(),
    );
    report.summary = Some(line);
    report
}

/// "1 tier", "2 tiers".
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
