//! `--format tfvars-json`: a Terraform `-var-file`.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::{names, Pairs};
use crate::config::Config;
use crate::model::{Plan, Planned};

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
pub fn text(plan: &Plan, config: &Config) -> String {
    super::json::pretty(&TfvarsView::new(plan, config))
}
