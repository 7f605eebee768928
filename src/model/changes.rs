//! `plan --changes FILE`: which components changed, read from detect-changes' JSON output.
//!
//! Accepted shapes (the most precise one present wins):
//! - an object with `components`: the changed component names;
//! - an object with `changes` (paths-filter style: the filters that matched), or a bare
//!   array of names. A name may be a component, a group or a tier (also as detect-changes
//!   names their filters: `group-<name>`, `tier-<name>`). Group and tier names stand for all
//!   their components, but only when the list names no component at all (a list that names
//!   components is already precise; its group names are summaries).
//!
//! A list may be a JSON array of names, a string holding a JSON array (step outputs are
//! strings), a comma- or space-separated string, or an object of `name: true/false`. Names
//! that are not in the config are ignored: detect-changes may have other filters too.
//!
//! Every field is checked: a value of the wrong shape (`{"components": 5}`) is exit 2 naming
//! the field, never read as "nothing changed". detect-changes' other fields (`comparison`,
//! `filters`, `files`, `outputs`) are not used here but must have their shape too.

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

/// The largest `--changes` file read.
const MAX_CHANGES_BYTES: u64 = 64 * 1024 * 1024;

/// What to pass instead, for every message.
const EXPECTED: &str = "pass the JSON that `shipgate detect-changes --output json` writes";

/// Reads a detect-changes JSON file (any readable path, pipes included). A missing,
/// unreadable or badly shaped file is exit 2 naming the field at fault.
pub fn read(path: &Path, config: &Config) -> Result<ChangeSet, Failure> {
    let text = crate::config::read_text(path, "changes", MAX_CHANGES_BYTES)?;
    let shown = crate::error::quote(&path.display().to_string());
    let value: Value = serde_json::from_str(&text)
        .map_err(|e| Failure::input("changes", format!("{shown} is not JSON ({e}); {EXPECTED}")))?;
    match from_json(&value, config) {
        Ok(Some(set)) => Ok(set),
        Ok(None) => Err(Failure::input(
            "changes",
            format!("{shown} has neither `components` nor `changes`; {EXPECTED}"),
        )),
        Err(why) => Err(Failure::input(
            "changes",
            format!("{shown}: {why}; {EXPECTED}"),
        )),
    }
}

/// The change set in a detect-changes JSON value: `Ok(None)` when it has no list of
/// names, `Err` (naming the field) when a field has the wrong shape.
pub fn from_json(value: &Value, config: &Config) -> Result<Option<ChangeSet>, String> {
    let object = match value {
        Value::Array(_) => None,
        Value::Object(map) => Some(map),
        other => {
            return Err(format!(
                "expected an object (detect-changes' output) or a list of names, found {}",
                kind(other)
            ))
        }
    };
    if let Some(map) = object {
        for (field, wanted) in [
            ("comparison", Shape::TextOrNull),
            ("filters", Shape::List),
            ("files", Shape::List),
            ("outputs", Shape::Object),
        ] {
            if let Some(v) = map.get(field) {
                wanted.check(field, v)?;
            }
        }
        // Both lists are checked, even when only one is used.
        let components = map
            .get("components")
            .map(|v| names_in("components", v))
            .transpose()?;
        let changes = map
            .get("changes")
            .map(|v| names_in("changes", v))
            .transpose()?;
        if let Some(names) = components {
            return Ok(Some(ChangeSet::from_names(
                names.into_iter().filter(|n| config.component(n).is_some()),
            )));
        }
        return Ok(changes.map(|names| widen(names, config)));
    }
    Ok(Some(widen(names_in("", value)?, config)))
}

/// Component names as they are; group and tier names (plain or as detect-changes' filter
/// names) as all their components, when no component is named.
fn widen(names: Vec<String>, config: &Config) -> ChangeSet {
    let components: Vec<String> = names
        .iter()
        .filter(|n| config.component(n).is_some())
        .cloned()
        .collect();
    if !components.is_empty() {
        return ChangeSet::from_names(components);
    }
    let mut groups: HashSet<&str> = HashSet::new();
    let mut tiers: HashSet<&str> = HashSet::new();
    for n in &names {
        groups.insert(n.strip_prefix("group-").unwrap_or(n));
        tiers.insert(n.strip_prefix("tier-").unwrap_or(n));
    }
    ChangeSet::from_names(
        config
            .components()
            .iter()
            .filter(|c| {
                tiers.contains(c.tier.as_str())
                    || c.group.as_deref().is_some_and(|g| groups.contains(g))
            })
            .map(|c| c.name.clone()),
    )
}

/// The shape a field of detect-changes' output must have.
#[derive(Clone, Copy)]
enum Shape {
    TextOrNull,
    List,
    Object,
}

impl Shape {
    fn check(self, field: &str, value: &Value) -> Result<(), String> {
        let ok = match self {
            Shape::TextOrNull => matches!(value, Value::String(_) | Value::Null),
            Shape::List => value.is_array(),
            Shape::Object => value.is_object(),
        };
        if ok {
            return Ok(());
        }
        let wanted = match self {
            Shape::TextOrNull => "a string",
            Shape::List => "a list",
            Shape::Object => "an object",
        };
        Err(format!(
            "`{field}`: expected {wanted}, found {}",
            kind(value)
        ))
    }
}

/// How a user would name a JSON value's kind.
fn kind(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {}", crate::error::quote(s)),
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "an object".into(),
    }
}

/// The names in a list given in any of the accepted forms; `field` names it in errors.
fn names_in(field: &str, value: &Value) -> Result<Vec<String>, String> {
    let wrong = |at: String, found: &Value| {
        Err(format!(
            "`{at}`: expected a name (a string), found {}",
            kind(found)
        ))
    };
    match value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::String(s) => Ok(s.clone()),
                other => wrong(format!("{field}[{i}]"), other),
            })
            .collect(),
        Value::Object(map) => {
            let mut names = Vec::new();
            for (name, v) in map {
                let on = match v {
                    Value::Bool(b) => *b,
                    Value::String(s) if s == "true" => true,
                    Value::String(s) if s == "false" => false,
                    other => {
                        return Err(format!(
                            "`{field}.{name}`: expected true or false, found {}",
                            kind(other)
                        ))
                    }
                };
                if on {
                    names.push(name.clone());
                }
            }
            Ok(names)
        }
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(inner @ (Value::Array(_) | Value::Object(_))) => names_in(field, &inner),
            _ => Ok(text
                .split([',', ' ', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()),
        },
        other => Err(format!(
            "`{field}`: expected a list of names, found {}",
            kind(other)
        )),
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

    fn sorted(set: Result<Option<ChangeSet>, String>) -> Vec<String> {
        let mut v: Vec<String> = set
            .expect("a good shape")
            .expect("a change set")
            .names
            .into_iter()
            .collect();
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
        assert!(from_json(&json!({"other": 1}), &c).unwrap().is_none());
        assert_eq!(
            sorted(from_json(&json!({"changes": ["group-housing"]}), &c)),
            ["c"]
        );
        assert_eq!(
            sorted(from_json(&json!({"changes": ["tier-experimental"]}), &c)),
            ["b"]
        );
    }

    #[test]
    fn a_wrong_shape_names_the_field() {
        let c = config();
        let err = |v: serde_json::Value| from_json(&v, &c).unwrap_err();
        assert_eq!(
            err(json!({"components": 5})),
            "`components`: expected a list of names, found the number 5"
        );
        assert_eq!(
            err(json!({"components": ["a", 3]})),
            "`components[1]`: expected a name (a string), found the number 3"
        );
        assert_eq!(
            err(json!({"components": {"a": "yes"}})),
            "`components.a`: expected true or false, found the string 'yes'"
        );
        assert_eq!(
            err(json!({"components": ["a"], "changes": null})),
            "`changes`: expected a list of names, found null"
        );
        assert_eq!(
            err(json!({"changes": [], "files": {}})),
            "`files`: expected a list, found an object"
        );
        assert_eq!(
            err(json!(7)),
            "expected an object (detect-changes' output) or a list of names, found the number 7"
        );
        assert_eq!(
            err(json!([null])),
            "`[0]`: expected a name (a string), found null"
        );
    }
}
