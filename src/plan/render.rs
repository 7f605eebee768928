//! Plans and diffs in each `--format`: `text` (people), `json` (the whole plan),
//! `tfvars-json` (a Terraform `-var-file`), `dotenv` (GitLab `artifacts:reports:dotenv`),
//! `github` (step outputs + job summary, through the platform) and `markdown` (a job
//! summary or MR note).

use std::fmt::Write as _;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::{Diff, Excluded, Plan, Planned, Why};
use crate::config::Config;
use crate::error::Failure;
use crate::platform::{gitlab, Outcome, Report};

/// An output format of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    TfvarsJson,
    Dotenv,
    Github,
    Markdown,
}

impl Format {
    /// The names accepted by `--format`.
    pub const NAMES: [&'static str; 6] = [
        "text",
        "json",
        "tfvars-json",
        "dotenv",
        "github",
        "markdown",
    ];

    /// Parses a `--format` value (exit 2 with the choices when unknown).
    pub fn parse(text: &str) -> Result<Format, Failure> {
        Ok(match text.trim().to_ascii_lowercase().as_str() {
            "text" => Format::Text,
            "json" => Format::Json,
            "tfvars-json" | "tfvars" => Format::TfvarsJson,
            "dotenv" | "env" => Format::Dotenv,
            "github" | "outputs" => Format::Github,
            "markdown" | "md" => Format::Markdown,
            other => {
                return Err(Failure::input(
                    "format",
                    format!(
                        "unknown format '{other}' (expected one of: {})",
                        Format::NAMES.join(", ")
                    ),
                ))
            }
        })
    }
}

/// Renders a plan in `format`.
pub fn plan(plan: &Plan, config: &Config, format: Format) -> Result<Outcome, Failure> {
    Ok(match format {
        Format::Text => Outcome::stdout(text(plan)),
        Format::Json => Outcome::stdout(pretty_text(&plan_view(plan, config))),
        Format::TfvarsJson => Outcome::stdout(tfvars_text(plan, config)),
        Format::Dotenv => dotenv(plan),
        Format::Github => Outcome::Report(plan_report(plan, config)),
        Format::Markdown => Outcome::stdout(markdown(plan)),
    })
}

/// Renders a diff in `format` (`tfvars-json` has no meaning for a diff).
pub fn diff(diff: &Diff, format: Format) -> Result<Outcome, Failure> {
    Ok(match format {
        Format::Text => Outcome::stdout(diff_text(diff)),
        Format::Json => Outcome::stdout(pretty(&diff_json(diff))),
        Format::Markdown => Outcome::stdout(diff_markdown(diff)),
        Format::Github => Outcome::Report(diff_report(diff)),
        Format::Dotenv => Outcome::stdout(diff_dotenv(diff)),
        Format::TfvarsJson => {
            return Err(Failure::input(
                "format",
                "tfvars-json describes one environment; use --format json, markdown or text with --diff",
            ))
        }
    })
}

fn pretty(value: &Value) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

fn names(components: &[Planned]) -> Vec<&str> {
    components.iter().map(|c| c.name.as_str()).collect()
}

/// Every component the environment receives, touched by this run or not, in file order
/// (the same as `components` unless `--tier` or `--changes` narrowed the plan).
fn received(plan: &Plan) -> Vec<&str> {
    plan.enabled.iter().map(String::as_str).collect()
}

fn names_in_tier<'a>(plan: &'a Plan, tier: &str) -> Vec<&'a str> {
    plan.components
        .iter()
        .filter(|c| c.tier == tier)
        .map(|c| c.name.as_str())
        .collect()
}

fn variables_json(plan: &Plan) -> Map<String, Value> {
    plan.variables
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn variable_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A mapping written in the order given (names are unique by construction).
struct Pairs<'a, V>(Vec<(&'a str, V)>);

impl<V: Serialize> Serialize for Pairs<'_, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

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
pub fn plan_json(plan: &Plan, config: &Config) -> Value {
    serde_json::to_value(plan_view(plan, config)).unwrap_or_default()
}

/// Pretty JSON text of anything serializable, with a final newline.
fn pretty_text<T: Serialize>(value: &T) -> String {
    let mut s = serde_json::to_string_pretty(value).unwrap_or_default();
    s.push('\n');
    s
}

/// A Terraform `-var-file` (`--format tfvars-json`): `environment`, `account` when set,
/// `tiers` (every tier the environment receives), the list of components the environment
/// receives under the configured name, the list of those this run touches (the selected
/// name), the metadata map when configured, `component_versions` when something is pinned,
/// and the variables.
///
/// A narrowed plan (`--tier`, `--changes`) differs from the full one only in the selected
/// list: the full list, the map and the pins still hold everything the environment
/// receives, so applying a hotfix plan never destroys (or changes) the other tier.
struct TfvarsView<'a> {
    plan: &'a Plan,
    vars: &'a crate::config::Tfvars,
    /// Every component the environment receives (touched or held), in file order.
    all: Vec<&'a Planned>,
}

impl<'a> TfvarsView<'a> {
    fn new(plan: &'a Plan, config: &'a Config) -> Self {
        let mut all: Vec<&Planned> = plan.components.iter().chain(&plan.held).collect();
        all.sort_by_key(|c| config.component_position(&c.name).unwrap_or(usize::MAX));
        TfvarsView {
            plan,
            vars: config.tfvars(),
            all,
        }
    }
}

impl Serialize for TfvarsView<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let plan = self.plan;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("environment", &plan.environment)?;
        if let Some(account) = &plan.account {
            map.serialize_entry("account", account)?;
        }
        map.serialize_entry("tiers", &plan.env_tiers)?;
        let all: Vec<&str> = self.all.iter().map(|c| c.name.as_str()).collect();
        map.serialize_entry(&self.vars.components, &all)?;
        map.serialize_entry(&self.vars.selected, &names(&plan.components))?;
        if let Some(metadata) = &self.vars.metadata {
            let per_component: Vec<(&str, ComponentVars)> = self
                .all
                .iter()
                .map(|&c| (c.name.as_str(), ComponentVars(c)))
                .collect();
            map.serialize_entry(metadata, &Pairs(per_component))?;
        }
        let pins: Vec<(&str, &String)> = self
            .all
            .iter()
            .filter_map(|c| c.version.as_ref().map(|v| (c.name.as_str(), v)))
            .collect();
        if !pins.is_empty() {
            map.serialize_entry("component_versions", &Pairs(pins))?;
        }
        for (k, v) in &plan.variables {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// One component in the tfvars metadata map: its metadata, then tier, group and version.
struct ComponentVars<'a>(&'a Planned);

impl Serialize for ComponentVars<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let c = self.0;
        let mut map = s.serialize_map(None)?;
        for (k, v) in &c.metadata {
            if !matches!(k.as_str(), "tier" | "group" | "version") {
                map.serialize_entry(k, v)?;
            }
        }
        map.serialize_entry("tier", &c.tier)?;
        map.serialize_entry("group", &c.group)?;
        map.serialize_entry("version", &c.version)?;
        map.end()
    }
}

/// The tfvars JSON text.
pub fn tfvars_text(plan: &Plan, config: &Config) -> String {
    pretty_text(&TfvarsView::new(plan, config))
}

/// A dotenv-safe key part for a tier name (`experimental` → `EXPERIMENTAL`).
fn key_part(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// `--format dotenv`: `SHIPGATE_*` keys (lists comma-separated) and the variables.
fn dotenv(plan: &Plan) -> Outcome {
    let mut pairs: Vec<(String, String)> = vec![
        ("SHIPGATE_ENVIRONMENT".into(), plan.environment.clone()),
        ("SHIPGATE_TIERS".into(), plan.tiers.join(",")),
        (
            "SHIPGATE_COMPONENTS".into(),
            names(&plan.components).join(","),
        ),
        ("SHIPGATE_COUNT".into(), plan.components.len().to_string()),
        ("SHIPGATE_ENABLED".into(), received(plan).join(",")),
    ];
    for tier in &plan.all_tiers {
        pairs.push((
            format!("SHIPGATE_COMPONENTS_{}", key_part(tier)),
            names_in_tier(plan, tier).join(","),
        ));
    }
    if let Some(account) = &plan.account {
        pairs.push(("SHIPGATE_ACCOUNT".into(), account.clone()));
    }
    if let Some(url) = &plan.url {
        pairs.push(("SHIPGATE_URL".into(), url.clone()));
    }
    for (k, v) in &plan.variables {
        pairs.push((k.clone(), variable_text(v)));
    }
    dotenv_output(pairs)
}

fn dotenv_output(pairs: Vec<(String, String)>) -> Outcome {
    let mut text = String::new();
    let mut warnings = Vec::new();
    for (k, v) in &pairs {
        if v.contains('\n') {
            warnings.push(format!(
                "{k} holds a line break: dotenv cannot carry it; it is written with \\n"
            ));
        }
        let _ = writeln!(text, "{k}={}", v.replace('\n', "\\n"));
    }
    if pairs.len() > gitlab::DOTENV_MAX_VARIABLES || text.len() > gitlab::DOTENV_MAX_BYTES {
        warnings.push(format!(
            "this dotenv has {} variables and {} bytes; GitLab's default limits for artifacts:reports:dotenv are {} variables and {} bytes — use --format json as an artifact instead",
            pairs.len(),
            text.len(),
            gitlab::DOTENV_MAX_VARIABLES,
            gitlab::DOTENV_MAX_BYTES
        ));
    }
    Outcome::Stdout { text, warnings }
}

/// `--format github`: step outputs, and the Markdown plan as the job summary.
pub fn plan_report(plan: &Plan, config: &Config) -> Report {
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
    report.summary = Some(markdown(plan));
    report.json = Some(plan_json(plan, config));
    report
}

/// One line saying what a plan covers.
fn headline(plan: &Plan) -> String {
    let scope = match &plan.tier_filter {
        Some(t) => format!("tier {t} only"),
        None => format!("tiers: {}", plan.tiers.join(", ")),
    };
    let changed = if plan.changes_only {
        ", changed only"
    } else {
        ""
    };
    let held = if plan.held.is_empty() {
        String::new()
    } else {
        let verb = if plan.held.len() == 1 {
            "stays"
        } else {
            "stay"
        };
        format!("; {} more {verb} deployed, not touched", plan.held.len())
    };
    format!(
        "{}: {} of {} components ({scope}{changed}{held})",
        plan.environment,
        plan.components.len(),
        plan.total
    )
}

fn details(plan: &Plan) -> Vec<String> {
    let mut parts = Vec::new();
    if let Some(a) = &plan.account {
        parts.push(format!("account {a}"));
    }
    if let Some(g) = &plan.gate {
        parts.push(format!("gate {g}"));
    }
    if let Some(u) = &plan.url {
        parts.push(u.clone());
    }
    parts
}

/// `--format text`: a headline, then one aligned line per component, then what is left out.
pub fn text(plan: &Plan) -> String {
    let mut out = headline(plan);
    out.push('\n');
    let details = details(plan);
    if !details.is_empty() {
        let _ = writeln!(out, "  {}", details.join(" · "));
    }
    for g in &plan.disabled_groups {
        let reason = g
            .reason
            .as_ref()
            .map(|r| format!(": {r}"))
            .unwrap_or_default();
        let _ = writeln!(out, "  group {} is switched off{reason}", g.group);
    }
    let rows: Vec<[String; 4]> = plan
        .components
        .iter()
        .map(|c| {
            let mut note = Vec::new();
            if let Some(v) = &c.version {
                note.push(format!("version {v}"));
            }
            if let Some(f) = &c.forced {
                note.push(format!("switched on: {f}"));
            }
            [
                c.tier.clone(),
                c.group.clone().unwrap_or_default(),
                c.name.clone(),
                note.join("; "),
            ]
        })
        .collect();
    if !rows.is_empty() {
        out.push('\n');
        out.push_str(&table(&rows));
    }
    let (held, left_out): (Vec<&Excluded>, Vec<&Excluded>) =
        plan.excluded.iter().partition(|e| e.why.stays_deployed());
    for (title, list) in [
        ("not touched by this run, stay deployed", held),
        ("left out", left_out),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{title} ({}):", list.len());
        let rows: Vec<[String; 4]> = list
            .iter()
            .map(|e| {
                [
                    e.tier.clone(),
                    e.group.clone().unwrap_or_default(),
                    e.name.clone(),
                    e.why
                        .describe(&plan.environment, &e.tier, e.group.as_deref()),
                ]
            })
            .collect();
        out.push_str(&table(&rows));
    }
    out
}

/// Aligned columns, two spaces apart, no trailing spaces.
fn table(rows: &[[String; 4]]) -> String {
    let mut widths = [0usize; 4];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::from("  ");
        for (i, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if i + 1 < row.len() {
                let pad = widths[i] - cell.chars().count() + 2;
                line.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Escapes a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// `--format markdown`: a heading, notes and a table; what is left out in a `<details>`.
pub fn markdown(plan: &Plan) -> String {
    let mut out = format!(
        "### Plan for `{}`: {} of {} components\n\n",
        plan.environment,
        plan.components.len(),
        plan.total
    );
    let mut facts = vec![format!(
        "Tiers: {}",
        plan.tiers
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(", ")
    )];
    if plan.tier_filter.is_some() {
        facts.push("this tier only".into());
    }
    if plan.changes_only {
        facts.push("changed components only".into());
    }
    if let Some(a) = &plan.account {
        facts.push(format!("Account: `{a}`"));
    }
    if let Some(g) = &plan.gate {
        facts.push(format!("Gate: `{g}`"));
    }
    if let Some(u) = &plan.url {
        facts.push(format!("URL: {u}"));
    }
    let _ = writeln!(out, "{}\n", facts.join(" · "));
    for g in &plan.disabled_groups {
        let reason = g
            .reason
            .as_ref()
            .map(|r| format!(": {}", cell(r)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "> Group `{}` is switched off in `{}`{reason}\n",
            g.group, plan.environment
        );
    }
    if plan.components.is_empty() {
        out.push_str("Nothing to deploy.\n");
    } else {
        out.push_str("| Component | Tier | Group | Version |\n|---|---|---|---|\n");
        for c in &plan.components {
            let mut version = c.version.clone().unwrap_or_default();
            if let Some(f) = &c.forced {
                version = format!("{version} (switched on: {})", cell(f))
                    .trim()
                    .to_string();
            }
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&c.name),
                c.tier,
                c.group.as_deref().unwrap_or(""),
                version
            );
        }
    }
    let (held, left_out): (Vec<&Excluded>, Vec<&Excluded>) =
        plan.excluded.iter().partition(|e| e.why.stays_deployed());
    for (title, list) in [
        ("Not touched by this run, stay deployed", held),
        ("Left out", left_out),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "\n<details><summary>{title} ({})</summary>\n\n| Component | Tier | Group | Why |\n|---|---|---|---|\n",
            list.len()
        );
        for e in list {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                cell(&e.name),
                e.tier,
                e.group.as_deref().unwrap_or(""),
                cell(
                    &e.why
                        .describe(&plan.environment, &e.tier, e.group.as_deref())
                )
            );
        }
        out.push_str("\n</details>\n");
    }
    out
}

fn removed_reason(diff: &Diff, why: &Option<Why>, c: &Planned) -> String {
    match why {
        Some(w) => w.describe(&diff.to.environment, &c.tier, c.group.as_deref()),
        None => format!("not in {}", diff.to.environment),
    }
}

fn diff_json(diff: &Diff) -> Value {
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

fn version_text(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "release".into())
}

/// `--diff` as text: `+` added, `-` removed (with why), `~` re-pinned.
pub fn diff_text(diff: &Diff) -> String {
    let mut out = format!(
        "{} → {}: {} added, {} removed, {} changed, {} the same\n",
        diff.from.environment,
        diff.to.environment,
        diff.added.len(),
        diff.removed.len(),
        diff.changed.len(),
        diff.unchanged
    );
    for c in &diff.added {
        let _ = writeln!(
            out,
            "+ {}  ({}{})",
            c.name,
            c.tier,
            c.group
                .as_ref()
                .map(|g| format!(", {g}"))
                .unwrap_or_default()
        );
    }
    for (c, why) in &diff.removed {
        let _ = writeln!(out, "- {}  ({})", c.name, removed_reason(diff, why, c));
    }
    for (name, from, to) in &diff.changed {
        let _ = writeln!(
            out,
            "~ {name}  (version {} → {})",
            version_text(from),
            version_text(to)
        );
    }
    out
}

fn diff_markdown(diff: &Diff) -> String {
    let mut out = format!(
        "### Promotion `{}` → `{}`\n\n{} added · {} removed · {} changed · {} the same\n",
        diff.from.environment,
        diff.to.environment,
        diff.added.len(),
        diff.removed.len(),
        diff.changed.len(),
        diff.unchanged
    );
    if diff.added.is_empty() && diff.removed.is_empty() && diff.changed.is_empty() {
        return out;
    }
    out.push_str("\n| | Component | Tier | Group | Note |\n|---|---|---|---|---|\n");
    for c in &diff.added {
        let _ = writeln!(
            out,
            "| + | {} | {} | {} | |",
            cell(&c.name),
            c.tier,
            c.group.as_deref().unwrap_or("")
        );
    }
    for (c, why) in &diff.removed {
        let _ = writeln!(
            out,
            "| − | {} | {} | {} | {} |",
            cell(&c.name),
            c.tier,
            c.group.as_deref().unwrap_or(""),
            cell(&removed_reason(diff, why, c))
        );
    }
    for (name, from, to) in &diff.changed {
        let _ = writeln!(
            out,
            "| ~ | {} | | | version {} → {} |",
            cell(name),
            version_text(from),
            version_text(to)
        );
    }
    out
}

fn diff_report(diff: &Diff) -> Report {
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
    report.summary = Some(diff_markdown(diff));
    report.json = Some(diff_json(diff));
    report
}

fn diff_dotenv(diff: &Diff) -> String {
    let removed: Vec<&str> = diff.removed.iter().map(|(c, _)| c.name.as_str()).collect();
    let changed: Vec<&str> = diff.changed.iter().map(|(n, _, _)| n.as_str()).collect();
    let mut text = String::new();
    let _ = writeln!(text, "SHIPGATE_FROM={}", diff.from.environment);
    let _ = writeln!(text, "SHIPGATE_TO={}", diff.to.environment);
    let _ = writeln!(text, "SHIPGATE_ADDED={}", names(&diff.added).join(","));
    let _ = writeln!(text, "SHIPGATE_REMOVED={}", removed.join(","));
    let _ = writeln!(text, "SHIPGATE_CHANGED={}", changed.join(","));
    text
}
