//! Filters derived from the pipeline model (`.shipgate.yml`): one per component, one per
//! group (`group-<name>`) and one per tier (`tier-<name>`), so CI can ask "did the stable
//! tier change?" without a second list of paths to keep in step.

use std::collections::HashSet;

use super::filters::{Filter, Rule};
use crate::config::Config;
use crate::error::{quote, Failure};

/// What the model adds to a detect-changes run.
#[derive(Debug, Clone)]
pub struct Model {
    /// Indices (into the filters) of the per-component filters.
    pub component_filters: Vec<usize>,
    /// With an environment: the components it gets; `components` and `matrix` list only these.
    pub allowed: Option<HashSet<String>>,
    /// Per filter, what it is in the model (`component 'x'`, `group 'y'`), for messages.
    pub labels: Vec<String>,
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
        filters.push(filter(format!("tier-{tier}"), paths));
    }
    let allowed = match env {
        Some(env) => {
            let plan = crate::plan::resolve(config, env, None).map_err(|e| match e {
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
        },
    ))
}
