//! `--format markdown`: a job summary or a merge request note.

use std::fmt::Write as _;

use super::{cell, removed_reason, version_text};
use crate::model::{Diff, Excluded, Plan};

/// `--format markdown`: a heading, notes and a table; what is left out in a `<details>`.
pub fn plan(plan: &Plan) -> String {
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

/// `--diff --format markdown`: a heading with the counts and one table row per change.
pub fn diff(diff: &Diff) -> String {
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
