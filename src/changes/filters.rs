//! Named filters: the paths-filter YAML grammar, parsed with positions for error messages.
//!
//! ```yaml
//! backend: 'src/**'                      # one glob
//! docs: ['**/*.md', '!CHANGELOG.md']     # a list (nested lists from aliases are flattened)
//! api:
//!   - added|modified: 'api/**'           # rules limited to change kinds
//!   - *shared                            # anchors, aliases and merge keys work
//! ```
//!
//! Filter order follows JavaScript's `Object.entries` (as paths-filter does): keys that
//! look like array indices (`"2"`, `"10"`) first in ascending order, then the rest in file
//! order. That order is the order of outputs and of the `changes` array.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::error::quote;

/// A YAML value with its position, parsed loosely so we can say exactly what is wrong.
#[derive(Debug)]
enum Node {
    Str(String),
    /// A scalar that is not a string: its JavaScript-style type name.
    Other(&'static str),
    Null,
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<Key>, Spanned<Node>)>),
}

/// A mapping key: any scalar, as text (YAML `2:` is the key `"2"`, as in JavaScript).
#[derive(Debug)]
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar key")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Key, E> {
                Ok(Key(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Key, E> {
                Ok(Key("null".to_string()))
            }
            fn visit_none<E: de::Error>(self) -> Result<Key, E> {
                Ok(Key("null".to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a YAML value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Str(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
                Ok(Node::Str(v))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Node, E> {
                Ok(Node::Other("boolean"))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Node, E> {
                Ok(Node::Other("number"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Node, E> {
                Ok(Node::Other("number"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Node, E> {
                Ok(Node::Other("number"))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<Node>>()? {
                    items.push(item);
                }
                Ok(Node::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<Key>>()? {
                    let value = map.next_value::<Spanned<Node>>()?;
                    entries.push((key, value));
                }
                Ok(Node::Map(entries))
            }
        }
        d.deserialize_any(V)
    }
}

/// One rule of a filter: optional change kinds and the globs (any of them may match).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// `None`: any change kind. `Some(list)`: only these (lower-cased) kinds.
    pub statuses: Option<Vec<String>>,
    /// The globs, as written.
    pub patterns: Vec<String>,
    /// 1-based (line, column) of each glob in the YAML.
    pub positions: Vec<(u64, u64)>,
}

/// A named filter and its rules, in file order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub name: String,
    pub rules: Vec<Rule>,
    /// 1-based (line, column) of the name in the YAML; (0, 0) when derived from the model.
    pub position: (u64, u64),
}

/// A problem in the filters YAML, with its 1-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub line: u64,
    pub col: u64,
    pub message: String,
}

impl FilterError {
    fn at<T>(span: &Spanned<T>, message: impl Into<String>) -> Self {
        FilterError {
            line: span.referenced.line(),
            col: span.referenced.column(),
            message: message.into(),
        }
    }
}

/// The change kinds a status rule can name.
pub const KNOWN_STATUSES: &[&str] = &[
    "added",
    "modified",
    "deleted",
    "renamed",
    "copied",
    "changed",
    "unchanged",
];

/// Parses filter YAML. Warnings (unknown status names) are returned beside the filters.
pub fn parse(yaml: &str) -> Result<(Vec<Filter>, Vec<String>), FilterError> {
    // YAML 1.2 core schema, as js-yaml: `yes`, `on`, `y` are strings, not booleans.
    let mut options = super::yaml::options();
    options.strict_booleans = true;
    let root: Spanned<Node> = serde_saphyr::from_str_with_options(yaml, options).map_err(|e| {
        let (line, col, message) = super::yaml::error(&e);
        FilterError { line, col, message }
    })?;
    let entries = match root.value {
        Node::Map(entries) => entries,
        Node::Null => Vec::new(),
        _ => {
            return Err(FilterError::at(
                &root,
                "Invalid filter YAML format: Root element is not an object.",
            ))
        }
    };
    let mut warnings = Vec::new();
    let mut filters = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let mut rules = Vec::new();
        collect_rules(&key.value.0, &value, &mut rules, &mut warnings)?;
        filters.push(Filter {
            position: pos(&key),
            name: key.value.0,
            rules,
        });
    }
    Ok((js_key_order(filters), warnings))
}

fn collect_rules(
    filter: &str,
    node: &Spanned<Node>,
    rules: &mut Vec<Rule>,
    warnings: &mut Vec<String>,
) -> Result<(), FilterError> {
    match &node.value {
        Node::Str(glob) => rules.push(Rule {
            statuses: None,
            patterns: vec![glob.clone()],
            positions: vec![pos(node)],
        }),
        Node::Seq(items) => {
            for item in items {
                collect_rules(filter, item, rules, warnings)?;
            }
        }
        Node::Map(entries) => {
            for (key, value) in entries {
                let (patterns, positions): (Vec<String>, Vec<(u64, u64)>) = match &value.value {
                    Node::Str(glob) => (vec![glob.clone()], vec![pos(value)]),
                    Node::Seq(items) => items
                        .iter()
                        .map(|item| match &item.value {
                            Node::Str(glob) => Ok((glob.clone(), pos(item))),
                            other => Err(FilterError::at(
                                item,
                                format!(
                                    "filter {}: expected a glob string in the {} list, found {}",
                                    quote(filter),
                                    quote(&key.value.0),
                                    type_name(other)
                                ),
                            )),
                        })
                        .collect::<Result<Vec<_>, _>>()?
                        .into_iter()
                        .unzip(),
                    other => {
                        return Err(FilterError::at(
                            value,
                            format!(
                                "filter {}: Expected [key:string]= pattern:string | string[], but [{}:string]= {} found",
                                quote(filter),
                                quote(&key.value.0),
                                type_name(other)
                            ),
                        ))
                    }
                };
                let statuses: Vec<String> = key
                    .value
                    .0
                    .split('|')
                    .map(|s| s.trim().to_lowercase())
                    .filter(|s| !s.is_empty())
                    .collect();
                for s in &statuses {
                    if !KNOWN_STATUSES.contains(&s.as_str()) {
                        warnings.push(format!(
                            "filter {}: unknown change kind {} at line {} never matches (known: added, modified, deleted, renamed, copied)",
                            quote(filter),
                            quote(s),
                            key.referenced.line()
                        ));
                    }
                }
                rules.push(Rule {
                    statuses: Some(statuses),
                    patterns,
                    positions,
                });
            }
        }
        Node::Null => {
            return Err(FilterError::at(
                node,
                format!(
                    "filter {} has no rules (the value is empty); give a glob or a list of globs",
                    quote(filter)
                ),
            ))
        }
        other => {
            return Err(FilterError::at(
                node,
                format!(
                    "filter {}: Unexpected element type '{}'",
                    quote(filter),
                    type_name(other)
                ),
            ))
        }
    }
    Ok(())
}

fn pos<T>(span: &Spanned<T>) -> (u64, u64) {
    (span.referenced.line(), span.referenced.column())
}

fn type_name(node: &Node) -> &'static str {
    match node {
        Node::Str(_) => "string",
        Node::Other(t) => t,
        Node::Null => "null",
        Node::Seq(_) => "array",
        Node::Map(_) => "object",
    }
}

/// JavaScript's own-property order: array-index keys ascending, then insertion order.
fn js_key_order(filters: Vec<Filter>) -> Vec<Filter> {
    fn index(name: &str) -> Option<u32> {
        let canonical = name == "0" || (!name.starts_with('0') && !name.is_empty());
        if !canonical || !name.bytes().all(|b| b.is_ascii_digit()) || name.len() > 10 {
            return None;
        }
        name.parse::<u64>()
            .ok()
            .filter(|n| *n < u32::MAX as u64)
            .map(|n| n as u32)
    }
    let (mut numeric, named): (Vec<_>, Vec<_>) =
        filters.into_iter().partition(|f| index(&f.name).is_some());
    numeric.sort_by_key(|f| index(&f.name));
    numeric.extend(named);
    numeric
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(yaml: &str) -> Vec<String> {
        parse(yaml).unwrap().0.into_iter().map(|f| f.name).collect()
    }

    #[test]
    fn strings_lists_and_status_maps() {
        let (filters, warnings) =
            parse("a: 'src/**'\nb:\n  - '*.md'\n  - added|Modified: ['x/**', y]\n").unwrap();
        assert!(warnings.is_empty());
        assert_eq!(
            filters[0].rules,
            vec![Rule {
                statuses: None,
                patterns: vec!["src/**".into()],
                positions: vec![(1, 4)]
            }]
        );
        assert_eq!(filters[1].rules.len(), 2);
        assert_eq!(
            filters[1].rules[1],
            Rule {
                statuses: Some(vec!["added".into(), "modified".into()]),
                patterns: vec!["x/**".into(), "y".into()],
                positions: vec![(4, 22), (4, 30)],
            }
        );
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let yaml = "shared: &shared\n  - common/**\n  - config/**\nsrc:\n  - *shared\n  - src/**\nbase: &b { added: 'new/**' }\nmerged:\n  <<: *b\n";
        let (filters, _) = parse(yaml).unwrap();
        let src = &filters[1];
        let globs: Vec<_> = src.rules.iter().flat_map(|r| r.patterns.clone()).collect();
        assert_eq!(globs, vec!["common/**", "config/**", "src/**"]);
        assert_eq!(
            filters[3].rules[0].statuses,
            Some(vec!["added".to_string()])
        );
    }

    #[test]
    fn integer_like_keys_come_first_like_javascript() {
        // YAML 1.2 reads `01` as the integer 1, so its key is "1", as in js-yaml.
        assert_eq!(
            names("b: x\n10: y\na: z\n2: w\n01: v\n"),
            vec!["1", "2", "10", "b", "a"]
        );
    }

    #[test]
    fn errors_have_positions() {
        let e = parse("- a\n- b\n").unwrap_err();
        assert!(e.message.contains("Root element is not an object"), "{e:?}");
        let e = parse("a: x\nb: 5\n").unwrap_err();
        assert_eq!(
            (e.line, e.col, e.message.as_str()),
            (2, 4, "filter 'b': Unexpected element type 'number'")
        );
        let e = parse("a:\n").unwrap_err();
        assert!(e.message.contains("no rules"), "{e:?}");
        let e = parse("a: [x\n").unwrap_err();
        assert!(e.line >= 1 && !e.message.is_empty());
        let e = parse("a: x\na: y\n").unwrap_err();
        assert_eq!(e.line, 2, "{e:?}");
        let e = parse("a:\n  added: 3\n").unwrap_err();
        assert!(e.message.contains("Expected [key:string]"), "{e:?}");
    }

    #[test]
    fn yaml_1_1_booleans_are_strings_as_in_js_yaml() {
        let (filters, _) = parse("on: yes\nno: [y, off]\n").unwrap();
        assert_eq!(filters[0].name, "on");
        assert_eq!(filters[0].rules[0].patterns, vec!["yes"]);
        assert_eq!(filters[1].rules.len(), 2);
    }

    #[test]
    fn unknown_status_warns() {
        let (_, warnings) = parse("a:\n  - addded: 'x'\n").unwrap();
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].contains("addded"));
    }
}
