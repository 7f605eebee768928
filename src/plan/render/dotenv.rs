//! `--format dotenv`: `KEY=value` lines for GitLab's `artifacts:reports:dotenv`.

use std::fmt::Write as _;

use super::{names, names_in_tier, received, variable_text};
use crate::config::output_key;
use crate::model::{Diff, Plan};
use crate::platform::gitlab;
use crate::platform::Outcome;

/// `--format dotenv`: `SHIPGATE_*` keys (lists comma-separated) and the variables.
pub fn plan(plan: &Plan) -> Outcome {
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
            format!("SHIPGATE_COMPONENTS_{}", output_key(tier)),
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

/// `--diff --format dotenv`: `SHIPGATE_FROM`, `_TO`, `_ADDED`, `_REMOVED`, `_CHANGED`.
pub fn diff(diff: &Diff) -> String {
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
