//! [`diff`]: what promotion from one environment to another changes.

use std::collections::HashMap;

use super::{Diff, Plan, Planned, Why};

/// Compares two plans: what promotion from `from` to `to` adds, removes and changes.
pub fn diff(from: Plan, to: Plan) -> Diff {
    let in_from: HashMap<&str, &Planned> = from
        .components
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    let in_to: HashMap<&str, &Planned> =
        to.components.iter().map(|c| (c.name.as_str(), c)).collect();
    let why_out: HashMap<&str, &Why> = to
        .excluded
        .iter()
        .map(|e| (e.name.as_str(), &e.why))
        .collect();
    let added = to
        .components
        .iter()
        .filter(|c| !in_from.contains_key(c.name.as_str()))
        .cloned()
        .collect();
    let removed = from
        .components
        .iter()
        .filter(|c| !in_to.contains_key(c.name.as_str()))
        .map(|c| {
            (
                c.clone(),
                why_out.get(c.name.as_str()).map(|w| (*w).clone()),
            )
        })
        .collect();
    let mut changed = Vec::new();
    let mut unchanged = 0;
    for c in &from.components {
        if let Some(other) = in_to.get(c.name.as_str()) {
            if other.version != c.version {
                changed.push((c.name.clone(), c.version.clone(), other.version.clone()));
            } else {
                unchanged += 1;
            }
        }
    }
    Diff {
        from,
        to,
        added,
        removed,
        changed,
        unchanged,
    }
}
