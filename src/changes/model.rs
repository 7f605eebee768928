//! Filters derived from the pipeline model (`.shipgate.yml`): one per component, one per
//! group (`group-<name>`) and one per tier (`tier-<name>`), so CI can ask "did the stable
//! tier change?" without a second list of paths to keep in step.

use std::collections::{HashMap, HashSet};

use super::filters::{Filter, Rule};
use crate::config::Config;
use crate::error::{quote, Failure};
use crate::model::Plan;

/// What the model adds to a detect-changes run.
#[derive(Debug, Clone)]
pub struct Model {
    /// Indices (into the filters) of the per-component filters.
    pub component_filters: Vec<usize>,
    /// With an environment: the components it gets; `components` and `matrix` list only these.
    pub allowed: Option<HashSet<String>>,
    /// Per filter, what it is in the model (`component 'x'`, `group 'y'`), for messages.
    pub labels: Vec<String>,
    /// Filter index of each group's and each tier's filter, by name.
    pub group_filters: HashMap<String, usize>,
    pub tier_filters: HashMap<String, usize>,
    /// The environment asked for, if any.
    pub env: Option<String>,
}

fn filter(name: String, paths: Vec<String>) -> Filter {
    let positions = vec![(0, 0); paths.len()];
    let rules = if paths.is_empty() {
        Vec::new()
    } else {
        vec![Rule {
            statuses: None,
            patterns: paths,
            positions,
        }]
    };
    Filter {
        name,
        rules,
        position: (0, 0),
    }
}

/// The filters of a model, components first (file order), then groups, then tiers.
pub fn filters(config: &Config, env: Option<&str>) -> Result<(Vec<Filter>, Model), Failure> {
    let mut filters = Vec::new();
    let mut component_filters = Vec::new();
    let mut labels = Vec::new();
    let mut group_filters = HashMap::new();
    let mut tier_filters = HashMap::new();
    for component in config.components() {
        component_filters.push(filters.len());
        labels.push(format!("component {}", quote(&component.name)));
        filters.push(filter(component.name.clone(), config.paths_of(component)));
    }
    for group in config.groups() {
        let mut paths = config.group_paths(group);
        for c in config
            .components()
            .iter()
            .filter(|c| c.group.as_deref() == Some(group.name.as_str()))
        {
            for p in config.paths_of(c) {
                if !paths.contains(&p) {
                    paths.push(p);
                }
            }
        }
        labels.push(format!("group {}", quote(&group.name)));
        group_filters.insert(group.name.clone(), filters.len());
        filters.push(filter(format!("group-{}", group.name), paths));
    }
    for tier in config.tiers() {
        let mut paths: Vec<String> = Vec::new();
        for c in config.components().iter().filter(|c| &c.tier == tier) {
            for p in config.paths_of(c) {
                if !paths.contains(&p) {
                    paths.push(p);
                }
            }
        }
        labels.push(format!("tier {}", quote(tier)));
        tier_filters.insert(tier.clone(), filters.len());
        filters.push(filter(format!("tier-{tier}"), paths));
    }
    let allowed = match env {
        Some(env) => {
            let plan = crate::model::resolve(config, env, None).map_err(|e| match e {
                Failure::Input { message, .. } => Failure::input("env", message),
                other => other,
            })?;
            Some(plan.components.into_iter().map(|c| c.name).collect())
        }
        None => None,
    };
    Ok((
        filters,
        Model {
            component_filters,
            allowed,
            labels,
            group_filters,
            tier_filters,
            env: env.map(str::to_string),
        },
    ))
}

/// The filters a model edit changes: a component (and its group's and tier's filters, old
/// and new) counts as changed when its resolved plan — enabled, tier, group, version,
/// metadata — differs between `base` and `config` in `model.env`, or without one in any
/// environment of `config`. `base: None` is a model that did not exist (every deployed
/// component is new). Plans come from [`crate::model::resolve`], as `plan` makes them, and
/// are compared as [`crate::model::Plan::bundle`]s.
pub fn changed_filters(
    model: &Model,
    config: &Config,
    base: Option<&Config>,
) -> Result<Vec<usize>, Failure> {
    let envs: Vec<&str> = match &model.env {
        Some(env) => vec![env.as_str()],
        None => config
            .environments()
            .iter()
            .map(|e| e.name.as_str())
            .collect(),
    };
    let mut changed = HashSet::new();
    for env in envs {
        let now = crate::model::resolve(config, env, None).map_err(|e| match e {
            Failure::Input { message, .. } => Failure::input("env", message),
            other => other,
        })?;
        // An environment the base did not have (or cannot resolve) got nothing there.
        let before = base.and_then(|b| crate::model::resolve(b, env, None).ok());
        let now = now.bundle();
        let before = before.as_ref().map(Plan::bundle).unwrap_or_default();
        for (i, c) in config.components().iter().enumerate() {
            let (a, b) = (before.get(c.name.as_str()), now.get(c.name.as_str()));
            if a == b {
                continue;
            }
            if let Some(&f) = model.component_filters.get(i) {
                changed.insert(f);
            }
            for d in [a, b].into_iter().flatten() {
                changed.extend(model.tier_filters.get(d.tier).copied());
                changed.extend(d.group.and_then(|g| model.group_filters.get(g)).copied());
            }
        }
    }
    let mut list: Vec<usize> = changed.into_iter().collect();
    list.sort_unstable();
    Ok(list)
}
