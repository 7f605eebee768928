//! `--format text`: for people reading a terminal or a job log.

use std::fmt::Write as _;

use super::{removed_reason, version_text};
use crate::model::{Diff, Excluded, Plan};

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
pub fn plan(plan: &Plan) -> String {
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

/// `--diff` as text: `+` added, `-` removed (with why), `~` re-pinned.
pub fn diff(diff: &Diff) -> String {
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
