//! `plan --changes FILE`: which components changed, read from detect-changes' JSON output.
//!
//! Accepted shapes (the most precise one present wins):
//! - an object with `components`: the changed component names;
//! - an object with `changes` (paths-filter style: the filters that matched), or a bare
//!   array of names. A name may be a component, a group or a tier. Group and tier names
//!   stand for all their components, but only when the list names no component at all
//!   (a list that names components is already precise; its group names are summaries).
//!
//! A list may be a JSON array, a string holding a JSON array (step outputs are strings),
//! a comma- or space-separated string, or an object of `name: true/false`. Names that are
//! not in the config are ignored: detect-changes may have other filters too.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use crate::config::Config;
use crate::error::Failure;

/// The names of the components that changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeSet {
    names: HashSet<String>,
}

impl ChangeSet {
    /// A set of component names.
    pub fn from_names(names: impl IntoIterator<Item = String>) -> Self {
        ChangeSet {
            names: names.into_iter().collect(),
        }
    }

    /// Whether the component `name` changed.
    pub fn contains(&self, name: &str) -> bool {
        self.names.contains(name)
    }
}

/// Reads a detect-changes JSON file. A missing or unreadable file is exit 2.
pub fn read(path: &Path, config: &Config) -> Result<ChangeSet, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::input("changes", format!("cannot read {}: {e}", path.display())))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        Failure::input(
            "changes",
            format!("{} is not JSON ({e}); pass the JSON that `shipgate detect-changes --output json` writes", path.display()),
        )
    })?;
    from_json(&value, config).ok_or_else(|| {
        Failure::input(
            "changes",
            format!(
                "{} has neither `components` nor `changes`; pass the JSON that `shipgate detect-changes --output json` writes",
                path.display()
            ),
        )
    })
}

/// The change set in a detect-changes JSON value, or `None` when it has no list of names.
pub fn from_json(value: &Value, config: &Config) -> Option<ChangeSet> {
    if let Some(components) = value.get("components") {
        let names = names_in(components);
        return Some(ChangeSet::from_names(
            names.into_iter().filter(|n| config.component(n).is_some()),
        ));
    }
    let list = match value {
        Value::Array(_) => value,
        _ => value.get("changes")?,
    };
    let names = names_in(list);
    let components: Vec<String> = names
        .iter()
        .filter(|n| config.component(n).is_some())
        .cloned()
        .collect();
    if !components.is_empty() {
        return Some(ChangeSet::from_names(components));
    }
    let wide: HashSet<&str> = names.iter().map(String::as_str).collect();
    Some(ChangeSet::from_names(
        config
            .components()
            .iter()
            .filter(|c| {
                wide.contains(c.tier.as_str())
                    || c.group.as_deref().is_some_and(|g| wide.contains(g))
            })
            .map(|c| c.name.clone()),
    ))
}

/// The names in a list given in any of the accepted forms.
fn names_in(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        Value::Object(map) => map
            .iter()
            .filter(|(_, v)| v.as_bool() == Some(true) || v.as_str() == Some("true"))
            .map(|(k, _)| k.clone())
            .collect(),
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(inner @ (Value::Array(_) | Value::Object(_))) => names_in(&inner),
            _ => text
                .split([',', ' ', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        },
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config() -> Config {
        crate::config::from_str(
            "version: 1\ntiers: [experimental, stable]\nenvironments: [{name: prod}]\ngroups: {parking: {}, housing: {}}\ncomponents:\n  a: {tier: stable, group: parking}\n  b: {tier: experimental, group: parking}\n  c: {tier: stable, group: housing}\n",
            "x",
        )
        .unwrap()
    }

    fn sorted(set: Option<ChangeSet>) -> Vec<String> {
        let mut v: Vec<String> = set.expect("a change set").names.into_iter().collect();
        v.sort();
        v
    }

    #[test]
    fn components_key_wins_in_every_list_form() {
        let c = config();
        assert_eq!(
            sorted(from_json(
                &json!({"components": ["a", "zzz"], "changes": ["housing"]}),
                &c
            )),
            ["a"]
        );
        assert_eq!(
            sorted(from_json(&json!({"components": "[\"b\"]"}), &c)),
            ["b"]
        );
        assert_eq!(
            sorted(from_json(&json!({"components": "a, c"}), &c)),
            ["a", "c"]
        );
        assert_eq!(
            sorted(from_json(
                &json!({"components": {"a": true, "b": "false"}}),
                &c
            )),
            ["a"]
        );
    }

    #[test]
    fn group_and_tier_names_widen_only_when_no_component_is_named() {
        let c = config();
        assert_eq!(
            sorted(from_json(
                &json!({"changes": ["a", "parking", "stable"]}),
                &c
            )),
            ["a"]
        );
        assert_eq!(
            sorted(from_json(&json!({"changes": ["parking"]}), &c)),
            ["a", "b"]
        );
        assert_eq!(
            sorted(from_json(&json!(["stable", "docs"]), &c)),
            ["a", "c"]
        );
        assert!(from_json(&json!({"other": 1}), &c).is_none());
    }
}
