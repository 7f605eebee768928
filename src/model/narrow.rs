//! [`narrow`]: a plan cut down to the components that changed.

use super::{ChangeSet, Excluded, Plan, Planned, Why};

/// Keeps only the components in `changed`; the others move to `excluded` as unchanged.
pub fn narrow(mut plan: Plan, changed: &ChangeSet) -> Plan {
    let (kept, dropped): (Vec<Planned>, Vec<Planned>) = std::mem::take(&mut plan.components)
        .into_iter()
        .partition(|c| changed.contains(&c.name));
    plan.components = kept;
    plan.excluded.extend(dropped.iter().map(|c| Excluded {
        name: c.name.clone(),
        tier: c.tier.clone(),
        group: c.group.clone(),
        why: Why::Unchanged,
    }));
    plan.held.extend(dropped);
    plan.changes_only = true;
    plan
}
