//! `--format github`: step outputs, with the Markdown plan as the job summary.

use serde_json::{json, Value};

use super::{names, names_in_tier, received, variables_json};
use crate::config::Config;
use crate::model::{Diff, Plan};
use crate::platform::Report;

/// `--format github`: step outputs, and the Markdown plan as the job summary.
pub fn plan(plan: &Plan, config: &Config) -> Report {
    let mut report = Report::default();
    let list = |v: Vec<&str>| serde_json::to_string(&v).unwrap_or_default();
    report.set("environment", plan.environment.clone());
    report.set("account", plan.account.clone().unwrap_or_default());
    report.set("url", plan.url.clone().unwrap_or_default());
    report.set("gate", plan.gate.clone().unwrap_or_default());
    report.set(
        "tiers",
        serde_json::to_string(&plan.tiers).unwrap_or_default(),
    );
    report.set("components", list(names(&plan.components)));
    report.set("count", plan.components.len().to_string());
    report.set("enabled", list(received(plan)));
    report.set("any", (!plan.components.is_empty()).to_string());
    for tier in &plan.all_tiers {
        report.set(
            format!("components_{tier}"),
            list(names_in_tier(plan, tier)),
        );
    }
    report.set(
        "matrix",
        json!({ "component": names(&plan.components) }).to_string(),
    );
    report.set(
        "disabled_groups",
        list(
            plan.disabled_groups
                .iter()
                .map(|g| g.group.as_str())
                .collect(),
        ),
    );
    report.set("variables", Value::Object(variables_json(plan)).to_string());
    report.summary = Some(super::markdown::plan(plan));
    report.json = Some(super::json::plan(plan, config));
    report
}

/// `--diff --format github`: what is added, removed and changed as outputs; the
/// Markdown diff as the job summary.
pub fn diff(diff: &Diff) -> Report {
    let mut report = Report::default();
    let list = |v: Vec<&str>| serde_json::to_string(&v).unwrap_or_default();
    let removed: Vec<&str> = diff.removed.iter().map(|(c, _)| c.name.as_str()).collect();
    let changed: Vec<&str> = diff.changed.iter().map(|(n, _, _)| n.as_str()).collect();
    report.set("from", diff.from.environment.clone());
    report.set("to", diff.to.environment.clone());
    report.set("added", list(names(&diff.added)));
    report.set("removed", list(removed.clone()));
    report.set("changed", list(changed.clone()));
    report.set("added_count", diff.added.len().to_string());
    report.set("removed_count", removed.len().to_string());
    report.set("changed_count", changed.len().to_string());
    report.set(
        "has_changes",
        (!diff.added.is_empty() || !removed.is_empty() || !changed.is_empty()).to_string(),
    );
    report.summary = Some(super::markdown::diff(diff));
    report.json = Some(super::json::diff(diff));
    report
}
