//! `--format json`: the whole plan (with each component's paths and what is left out), or
//! the diff, as pretty JSON.

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::{names_in_tier, received, removed_reason, Pairs};
use crate::config::Config;
use crate::model::{Diff, Plan, Why};

/// The whole plan, borrowed, in the shape `--format json` prints.
#[derive(Serialize)]
struct PlanView<'a> {
    environment: &'a str,
    account: Option<&'a str>,
    url: Option<&'a str>,
    gate: Option<&'a str>,
    tiers: &'a [String],
    tier_filter: Option<&'a str>,
    changes_only: bool,
    variables: Pairs<'a, &'a Value>,
    count: usize,
    total: usize,
    components: Vec<PlannedView<'a>>,
    /// Every component the environment keeps (also those a narrowed run does not touch).
    enabled: Vec<&'a str>,
    by_tier: Pairs<'a, Vec<&'a str>>,
    by_group: Pairs<'a, Vec<&'a str>>,
    disabled_groups: Vec<DisabledView<'a>>,
    excluded: Vec<ExcludedView<'a>>,
}

/// A component as `--format json` shows it, with its effective paths.
#[derive(Serialize)]
struct PlannedView<'a> {
    name: &'a str,
    tier: &'a str,
    group: Option<&'a str>,
    version: Option<&'a str>,
    paths: Vec<String>,
    metadata: &'a Map<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    forced: Option<&'a str>,
}

#[derive(Serialize)]
struct DisabledView<'a> {
    group: &'a str,
    reason: Option<&'a str>,
}

#[derive(Serialize)]
struct ExcludedView<'a> {
    name: &'a str,
    tier: &'a str,
    group: Option<&'a str>,
    reason: &'static str,
    detail: String,
}

fn plan_view<'a>(plan: &'a Plan, config: &'a Config) -> PlanView<'a> {
    let mut by_group: Vec<(&str, Vec<&str>)> = Vec::new();
    let mut group_index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for c in &plan.components {
        if let Some(g) = c.group.as_deref() {
            let i = *group_index.entry(g).or_insert_with(|| {
                by_group.push((g, Vec::new()));
                by_group.len() - 1
            });
            by_group[i].1.push(&c.name);
        }
    }
    PlanView {
        environment: &plan.environment,
        account: plan.account.as_deref(),
        url: plan.url.as_deref(),
        gate: plan.gate.as_deref(),
        tiers: &plan.tiers,
        tier_filter: plan.tier_filter.as_deref(),
        changes_only: plan.changes_only,
        variables: Pairs(
            plan.variables
                .iter()
                .map(|(k, v)| (k.as_str(), v))
                .collect(),
        ),
        count: plan.components.len(),
        total: plan.total,
        components: plan
            .components
            .iter()
            .map(|c| PlannedView {
                name: &c.name,
                tier: &c.tier,
                group: c.group.as_deref(),
                version: c.version.as_deref(),
                paths: config
                    .component(&c.name)
                    .map(|def| config.paths_of(def))
                    .unwrap_or_default(),
                metadata: &c.metadata,
                forced: c.forced.as_deref(),
            })
            .collect(),
        enabled: received(plan),
        by_tier: Pairs(
            plan.all_tiers
                .iter()
                .map(|t| (t.as_str(), names_in_tier(plan, t)))
                .collect(),
        ),
        by_group: Pairs(by_group),
        disabled_groups: plan
            .disabled_groups
            .iter()
            .map(|g| DisabledView {
                group: &g.group,
                reason: g.reason.as_deref(),
            })
            .collect(),
        excluded: plan
            .excluded
            .iter()
            .map(|e| ExcludedView {
                name: &e.name,
                tier: &e.tier,
                group: e.group.as_deref(),
                reason: e.why.code(),
                detail: e
                    .why
                    .describe(&plan.environment, &e.tier, e.group.as_deref()),
            })
            .collect(),
    }
}

/// The whole plan as JSON (`--format json`).
pub fn plan(plan: &Plan, config: &Config) -> Value {
    serde_json::to_value(plan_view(plan, config)).unwrap_or_default()
}

/// `--format json` text of a plan.
pub fn plan_text(plan: &Plan, config: &Config) -> String {
    pretty(&plan_view(plan, config))
}

/// Pretty JSON text of anything serializable, with a final newline.
pub fn pretty<T: Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

/// A diff as JSON (`--diff --format json`).
pub fn diff(diff: &Diff) -> Value {
    json!({
        "from": diff.from.environment,
        "to": diff.to.environment,
        "added": diff.added.iter().map(|c| json!({"name": c.name, "tier": c.tier, "group": c.group, "version": c.version})).collect::<Vec<_>>(),
        "removed": diff.removed.iter().map(|(c, why)| json!({
            "name": c.name,
            "tier": c.tier,
            "group": c.group,
            "reason": why.as_ref().map(Why::code),
            "detail": removed_reason(diff, why, c),
        })).collect::<Vec<_>>(),
        "changed": diff.changed.iter().map(|(name, from, to)| json!({"name": name, "from_version": from, "to_version": to})).collect::<Vec<_>>(),
        "unchanged": diff.unchanged,
    })
}
