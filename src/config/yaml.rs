//! YAML text to a tree of [`Node`]s that remember where they came from.
//!
//! Built straight from the event stream of serde-saphyr's parser (`granit-parser`): it
//! applies aliases and merge keys (`<<: *defaults`), resolves plain scalars with the YAML 1.2
//! core schema, and keeps every node's line and column so that any later check (unknown key,
//! wrong type, unknown tier) can point at the exact spot. Going through serde-saphyr's serde
//! layer with `Spanned<T>` on every node gives the same tree but was measured 3–4× slower
//! (≈100 ms against ≈30 ms for 10,000 components), which matters for `plan` on big configs.
//!
//! Deliberate choices: YAML 1.1 spellings (`yes`, `on`, octal `012`) stay strings;
//! integers with leading zeros (`012345678901`, an AWS account id) stay strings; duplicate
//! keys are reported (all of them), not silently resolved.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, ScanError, Span as ParserSpan, Tag};

/// Where a node starts in the source: 1-based line and column (in characters), and how many
/// characters of that line it covers (0 when unknown or when it spans several lines).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub line: u32,
    pub col: u32,
    pub len: u32,
}

impl Span {
    fn from_parser(span: &ParserSpan) -> Span {
        let start = span.start;
        let end = span.end;
        let len = if end.line() == start.line() {
            end.col().saturating_sub(start.col())
        } else {
            0
        };
        Span {
            line: u32::try_from(start.line()).unwrap_or(u32::MAX),
            col: u32::try_from(start.col() + 1).unwrap_or(u32::MAX),
            len: u32::try_from(len).unwrap_or(0),
        }
    }
}

/// A YAML value with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node<'a> {
    pub span: Span,
    pub value: Value<'a>,
}

/// The value of a [`Node`]. Mappings keep their keys in file order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    Seq(Vec<Node<'a>>),
    Map(Vec<Entry<'a>>),
}

/// One `key: value` pair of a mapping. Keys are always text (a key written `5` is `"5"`).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry<'a> {
    pub key: Cow<'a, str>,
    pub key_span: Span,
    pub value: Node<'a>,
}

impl<'a> Node<'a> {
    /// The entries when this is a mapping.
    pub fn as_map(&self) -> Option<&[Entry<'a>]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The items when this is a sequence.
    pub fn as_seq(&self) -> Option<&[Node<'a>]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The text when this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s.as_ref()),
            _ => None,
        }
    }

    /// The entry for `key` when this is a mapping (first match; duplicates are errors).
    pub fn entry(&self, key: &str) -> Option<&Entry<'a>> {
        self.as_map()?.iter().find(|e| e.key == key)
    }

    /// The value under `key` when this is a mapping.
    pub fn get(&self, key: &str) -> Option<&Node<'a>> {
        self.entry(key).map(|e| &e.value)
    }

    /// How a user would name this kind of value in an error ("a list", "a number", ...).
    pub fn kind_name(&self) -> &'static str {
        self.value.kind_name()
    }
}

impl Value<'_> {
    /// How a user would name this kind of value in an error.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Null => "nothing (null)",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// A problem found while reading the YAML, at a position.
#[derive(Debug, Clone, PartialEq)]
pub struct YamlError {
    pub span: Span,
    pub message: String,
}

/// The result of parsing: the tree, plus problems that did not stop parsing (duplicate
/// keys), so that they are reported together with every other problem in the file.
#[derive(Debug)]
pub struct Parsed<'a> {
    pub root: Node<'a>,
    pub problems: Vec<YamlError>,
}

/// Most nodes a file may expand to through aliases, against "billion laughs" inputs.
const MAX_NODES: usize = 5_000_000;

/// Most bytes of text (scalars and keys) a file may expand to through aliases: one long
/// string aliased many times is few nodes but many bytes, and every later step copies it.
/// A 10,000-component model expands to about 2 MB.
pub const MAX_EXPANDED_BYTES: usize = 32 * 1024 * 1024;

/// Parses one YAML document. A syntax error stops parsing and is returned alone; duplicate
/// keys are collected in [`Parsed::problems`].
pub fn parse(text: &str) -> Result<Parsed<'_>, YamlError> {
    let mut builder = Builder::default();
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(scan_error)?;
        builder.event(event, &span)?;
    }
    let root = builder.root.take().unwrap_or(Node {
        span: Span {
            line: 1,
            col: 1,
            len: 0,
        },
        value: Value::Null,
    });
    Ok(Parsed {
        root,
        problems: builder.problems,
    })
}

fn scan_error(err: ScanError) -> YamlError {
    let mark = err.marker();
    YamlError {
        span: Span {
            line: u32::try_from(mark.line()).unwrap_or(u32::MAX),
            col: u32::try_from(mark.col() + 1).unwrap_or(u32::MAX),
            len: 1,
        },
        message: format!("invalid YAML: {}", err.info()),
    }
}

/// A collection being built.
enum Frame<'a> {
    Seq {
        span: Span,
        anchor: usize,
        items: Vec<Node<'a>>,
    },
    Map {
        span: Span,
        anchor: usize,
        entries: Vec<Entry<'a>>,
        /// Mappings to merge in (`<<`), in the order written.
        merges: Vec<Node<'a>>,
        /// The key waiting for its value.
        pending_key: Option<(Cow<'a, str>, Span, bool)>,
    },
}

#[derive(Default)]
struct Builder<'a> {
    stack: Vec<Frame<'a>>,
    anchors: HashMap<usize, Node<'a>>,
    root: Option<Node<'a>>,
    documents: usize,
    nodes: usize,
    /// Bytes of scalar text so far, aliases expanded (see [`MAX_EXPANDED_BYTES`]).
    bytes: usize,
    problems: Vec<YamlError>,
}

impl<'a> Builder<'a> {
    /// Handles one event.
    fn event(&mut self, event: Event<'a>, span: &ParserSpan) -> Result<(), YamlError> {
        let at = Span::from_parser(span);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
            Event::DocumentStart(..) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(YamlError {
                        span: at,
                        message:
                            "the file holds more than one YAML document (`---`); shipgate reads one"
                                .into(),
                    });
                }
            }
            Event::Alias(id) => {
                let node = self.anchors.get(&id).cloned().ok_or_else(|| YamlError {
                    span: at,
                    message: "alias to an unknown anchor".into(),
                })?;
                self.nodes = self.nodes.saturating_add(count_nodes(&node));
                if self.nodes > MAX_NODES {
                    return Err(YamlError {
                        span: at,
                        message: format!("aliases expand to more than {MAX_NODES} values"),
                    });
                }
                self.bytes = self.bytes.saturating_add(count_bytes(&node));
                if self.bytes > MAX_EXPANDED_BYTES {
                    return Err(YamlError {
                        span: at,
                        message: format!(
                            "aliases expand to more than {} MiB of text",
                            MAX_EXPANDED_BYTES / (1024 * 1024)
                        ),
                    });
                }
                // An alias keeps the anchored value's positions: errors inside point at the
                // definition, which is where a fix goes.
                self.push_value(node, at, false)?;
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.bytes = self.bytes.saturating_add(text.len());
                if self.bytes > MAX_EXPANDED_BYTES {
                    return Err(YamlError {
                        span: at,
                        message: format!(
                            "the file expands to more than {} MiB of text",
                            MAX_EXPANDED_BYTES / (1024 * 1024)
                        ),
                    });
                }
                let value = resolve_scalar(text, style, tag.as_deref())
                    .map_err(|message| YamlError { span: at, message })?;
                let plain = style == ScalarStyle::Plain && tag.is_none();
                let node = Node { span: at, value };
                if anchor != 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.count(at)?;
                self.push_value(node, at, plain)?;
            }
            Event::SequenceStart(_, anchor, _) => {
                self.count(at)?;
                self.stack.push(Frame::Seq {
                    span: at,
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(_, anchor, _) => {
                self.count(at)?;
                self.stack.push(Frame::Map {
                    span: at,
                    anchor,
                    entries: Vec::new(),
                    merges: Vec::new(),
                    pending_key: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = self.stack.pop() else {
                    return Ok(());
                };
                let (node, anchor) = match frame {
                    Frame::Seq {
                        span,
                        anchor,
                        items,
                    } => (
                        Node {
                            span,
                            value: Value::Seq(items),
                        },
                        anchor,
                    ),
                    Frame::Map {
                        span,
                        anchor,
                        entries,
                        merges,
                        ..
                    } => (
                        Node {
                            span,
                            value: Value::Map(finish_map(entries, merges, &mut self.problems)),
                        },
                        anchor,
                    ),
                };
                if anchor != 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                let span = node.span;
                self.push_value(node, span, false)?;
            }
            #[allow(unreachable_patterns)]
            _ => {}
        }
        Ok(())
    }

    fn count(&mut self, at: Span) -> Result<(), YamlError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Err(YamlError {
                span: at,
                message: format!("the file expands to more than {MAX_NODES} values"),
            });
        }
        Ok(())
    }

    /// Adds a finished value to the collection being built (as an item, a key or a value),
    /// or makes it the document root. `plain` says whether a scalar was written unquoted
    /// and untagged (only a plain `<<` is a merge key).
    fn push_value(&mut self, node: Node<'a>, at: Span, plain: bool) -> Result<(), YamlError> {
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(node);
            return Ok(());
        };
        match frame {
            Frame::Seq { items, .. } => items.push(node),
            Frame::Map {
                entries,
                merges,
                pending_key,
                ..
            } => match pending_key.take() {
                None => {
                    let key = match node.value {
                        Value::Str(s) => s,
                        Value::Null => Cow::Borrowed(""),
                        Value::Bool(b) => Cow::Owned(b.to_string()),
                        Value::Int(i) => Cow::Owned(i.to_string()),
                        Value::Float(f) => Cow::Owned(f.to_string()),
                        Value::Seq(_) | Value::Map(_) => {
                            return Err(YamlError {
                                span: at,
                                message: "a mapping key must be plain text, not a list or mapping"
                                    .into(),
                            })
                        }
                    };
                    let is_merge = plain && key == "<<";
                    *pending_key = Some((key, node.span, is_merge));
                }
                Some((key, key_span, true)) => {
                    let _ = (key, key_span);
                    match node.value {
                        Value::Map(_) => merges.push(node),
                        Value::Seq(items) => {
                            for item in items {
                                if item.as_map().is_none() {
                                    return Err(YamlError {
                                        span: item.span,
                                        message: "a merge key (`<<`) takes a mapping or a list of mappings".into(),
                                    });
                                }
                                merges.push(item);
                            }
                        }
                        _ => {
                            return Err(YamlError {
                                span: node.span,
                                message: "a merge key (`<<`) takes a mapping or a list of mappings"
                                    .into(),
                            })
                        }
                    }
                }
                Some((key, key_span, false)) => {
                    // Small maps are checked as they grow; big ones once, when complete
                    // (see `finish_map`), which costs a sort instead of a hash per key.
                    let first = if entries.len() < LINEAR_LIMIT {
                        entries.iter().find(|e| e.key == key)
                    } else {
                        None
                    };
                    match first {
                        Some(first) => {
                            self.problems
                                .push(duplicate(&key, key_span, first.key_span))
                        }
                        None => entries.push(Entry {
                            key,
                            key_span,
                            value: node,
                        }),
                    }
                }
            },
        }
        Ok(())
    }
}

/// Maps up to this size are checked for duplicate keys as they are built.
const LINEAR_LIMIT: usize = 16;

fn duplicate(key: &str, here: Span, first: Span) -> YamlError {
    YamlError {
        span: here,
        message: format!(
            "duplicate key '{key}' (first defined on line {})",
            first.line
        ),
    }
}

/// Completes a mapping: reports and drops duplicate keys of a big map (the first one
/// stays), then applies merges (YAML merge: keys written in the mapping win; among merged
/// mappings the first that has a key wins).
fn finish_map<'a>(
    mut entries: Vec<Entry<'a>>,
    merges: Vec<Node<'a>>,
    problems: &mut Vec<YamlError>,
) -> Vec<Entry<'a>> {
    if entries.len() > LINEAR_LIMIT {
        let mut order: Vec<usize> = (0..entries.len()).collect();
        order.sort_by(|&a, &b| entries[a].key.cmp(&entries[b].key).then(a.cmp(&b)));
        let mut keep = vec![true; entries.len()];
        for pair in order.windows(2) {
            let (first, next) = (pair[0], pair[1]);
            if entries[first].key == entries[next].key {
                // `first` may itself be a duplicate: point at the first of the run.
                let original = order
                    .iter()
                    .find(|&&i| entries[i].key == entries[next].key)
                    .copied()
                    .unwrap_or(first);
                problems.push(duplicate(
                    &entries[next].key,
                    entries[next].key_span,
                    entries[original].key_span,
                ));
                keep[next] = false;
            }
        }
        if keep.iter().any(|k| !k) {
            let mut index = 0;
            entries.retain(|_| {
                index += 1;
                keep[index - 1]
            });
        }
    }
    if merges.is_empty() {
        return entries;
    }
    let mut present: HashSet<Cow<'a, str>> = entries.iter().map(|e| e.key.clone()).collect();
    for source in merges {
        if let Value::Map(merged) = source.value {
            for entry in merged {
                if present.insert(entry.key.clone()) {
                    entries.push(entry);
                }
            }
        }
    }
    entries
}

/// The bytes of text in a node: its strings and its keys (what later steps copy).
fn count_bytes(node: &Node<'_>) -> usize {
    match &node.value {
        Value::Str(s) => s.len(),
        Value::Seq(items) => items.iter().map(count_bytes).fold(0, usize::saturating_add),
        Value::Map(entries) => entries
            .iter()
            .map(|e| e.key.len().saturating_add(count_bytes(&e.value)))
            .fold(0, usize::saturating_add),
        _ => 8,
    }
}

fn count_nodes(node: &Node<'_>) -> usize {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        Value::Map(entries) => {
            1 + entries
                .iter()
                .map(|e| 1 + count_nodes(&e.value))
                .sum::<usize>()
        }
        _ => 1,
    }
}

/// The value of a scalar: quoted and block scalars are strings; plain ones follow the YAML
/// 1.2 core schema; core tags (`!!str`, `!!int`, ...) force a type; other tags are refused.
fn resolve_scalar<'a>(
    text: Cow<'a, str>,
    style: ScalarStyle,
    tag: Option<&Tag>,
) -> Result<Value<'a>, String> {
    if let Some(tag) = tag {
        let Some(suffix) = tag.core_suffix() else {
            return Err(format!("unsupported YAML tag '{}'", tag.original()));
        };
        return match suffix {
            "str" => Ok(Value::Str(text)),
            "null" => Ok(Value::Null),
            "bool" => parse_bool(&text)
                .map(Value::Bool)
                .ok_or_else(|| format!("'{text}' is not a boolean")),
            "int" => parse_int(&text)
                .map(Value::Int)
                .ok_or_else(|| format!("'{text}' is not an integer")),
            "float" => parse_float(&text)
                .or_else(|| parse_int(&text).map(|i| i as f64))
                .map(Value::Float)
                .ok_or_else(|| format!("'{text}' is not a number")),
            // `!!map` / `!!seq` belong on collections; on a scalar they are a mistake.
            other => Err(format!("the tag '!!{other}' does not fit a scalar")),
        };
    }
    if style != ScalarStyle::Plain {
        return Ok(Value::Str(text));
    }
    resolve_plain(text)
}

/// A plain scalar by the core schema. A whole number too large for 64 bits is an error
/// (it would otherwise turn silently into text or lose digits).
fn resolve_plain(text: Cow<'_, str>) -> Result<Value<'_>, String> {
    if matches!(text.as_ref(), "" | "~" | "null" | "Null" | "NULL") {
        return Ok(Value::Null);
    }
    if let Some(b) = parse_bool(&text) {
        return Ok(Value::Bool(b));
    }
    // Only a digit, a sign or a dot can start a number: most scalars are names.
    if !text.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '-' | '+' | '.')) {
        return Ok(Value::Str(text));
    }
    if let Some(i) = parse_int(&text) {
        return Ok(Value::Int(i));
    }
    if looks_like_int(&text) {
        return Err(format!(
            "the number {} does not fit in 64 bits (at most {}); quote it to keep it as text",
            crate::error::quote(&text),
            i64::MAX
        ));
    }
    if let Some(f) = parse_float(&text) {
        return Ok(Value::Float(f));
    }
    Ok(Value::Str(text))
}

/// Whether `text` is written as a core-schema integer (whatever its size).
fn looks_like_int(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if let Some(hex) = digits.strip_prefix("0x") {
        return !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit());
    }
    if let Some(oct) = digits.strip_prefix("0o") {
        return !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b));
    }
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !(digits.len() > 1 && digits.starts_with('0'))
}

fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// Decimal (no redundant leading zeros), `0x` hex and `0o` octal integers.
fn parse_int(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let magnitude = if let Some(hex) = digits.strip_prefix("0x") {
        (!hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| i64::from_str_radix(hex, 16).ok())??
    } else if let Some(oct) = digits.strip_prefix("0o") {
        (!oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b)))
            .then(|| i64::from_str_radix(oct, 8).ok())??
    } else {
        let valid = !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !(digits.len() > 1 && digits.starts_with('0'));
        valid.then(|| digits.parse::<i64>().ok())??
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// Core-schema floats: `1.5`, `-.5`, `1e3`, `.inf`, `.nan` (no leading-zero integers parts
/// such as `01.5`).
fn parse_float(text: &str) -> Option<f64> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let int_ok = int_part.bytes().all(|b| b.is_ascii_digit())
        && !(int_part.len() > 1 && int_part.starts_with('0'));
    let frac_ok = frac_part.is_none_or(|f| f.bytes().all(|b| b.is_ascii_digit()));
    let has_digits = !int_part.is_empty() || frac_part.is_some_and(|f| !f.is_empty());
    let exp_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    // A bare integer is not a float here (it was tried as an int first).
    let looks_float = frac_part.is_some() || exponent.is_some();
    if int_ok && frac_ok && has_digits && exp_ok && looks_float {
        text.parse::<f64>().ok()
    } else {
        None
    }
}

/// The node as JSON (mappings keep their order), to compare with other YAML readers.
#[cfg(test)]
pub fn to_json(node: &Node<'_>) -> serde_json::Value {
    use serde_json::Value as J;
    match &node.value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .unwrap_or(J::Null),
        Value::Str(s) => J::String(s.to_string()),
        Value::Seq(items) => J::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => J::Object(
            entries
                .iter()
                .map(|e| (e.key.to_string(), to_json(&e.value)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(text: &str) -> serde_json::Value {
        to_json(&parse(text).expect("parses").root)
    }

    #[test]
    fn scalars_follow_the_core_schema_with_safe_choices() {
        let v = json(
            "a: 1\nb: -2\nc: 1.5\nd: true\ne: yes\nf: ~\ng: 012345678901\nh: '5'\ni: 2026-12-20\nj: 0x1F\nk: 09:00\nl: 1e3\nm:\n",
        );
        assert_eq!(
            v,
            serde_json::json!({"a": 1, "b": -2, "c": 1.5, "d": true, "e": "yes", "f": null,
                "g": "012345678901", "h": "5", "i": "2026-12-20", "j": 31, "k": "09:00", "l": 1000.0, "m": null})
        );
    }

    #[test]
    fn numbers_too_large_for_64_bits_are_errors_at_their_position() {
        let err = parse("a: 1\nb: 99999999999999999999\n").unwrap_err();
        assert_eq!((err.span.line, err.span.col), (2, 4));
        assert!(
            err.message.contains("does not fit in 64 bits"),
            "{}",
            err.message
        );
        assert!(parse("c: 0xFFFFFFFFFFFFFFFFFF\n").is_err());
        // Leading zeros (an account id) and quoted numbers stay text.
        assert_eq!(
            json("a: 00999999999999999999\nb: '99999999999999999999'\n")["a"],
            "00999999999999999999"
        );
    }

    #[test]
    fn merge_keys_and_aliases_apply_with_explicit_keys_winning() {
        let v = json("base: &b {tier: stable, group: parking}\nx:\n  <<: *b\n  tier: experimental\ny: [*b]\n");
        assert_eq!(
            v["x"],
            serde_json::json!({"tier": "experimental", "group": "parking"})
        );
        assert_eq!(v["y"][0]["group"], "parking");
        let v = json("a: &a {k: 1}\nb: &b {k: 2, j: 3}\nc:\n  <<: [*a, *b]\n");
        assert_eq!(v["c"], serde_json::json!({"k": 1, "j": 3}));
    }

    #[test]
    fn quoted_merge_key_is_an_ordinary_key() {
        let v = json("a: {'<<': 1}\n");
        assert_eq!(v["a"]["<<"], 1);
    }

    #[test]
    fn positions_are_one_based_with_lengths() {
        let parsed = parse("components:\n  job:\n    tier: stabel\n").unwrap();
        let tier = parsed
            .root
            .get("components")
            .and_then(|c| c.get("job"))
            .and_then(|j| j.entry("tier"))
            .unwrap();
        assert_eq!(
            tier.key_span,
            Span {
                line: 3,
                col: 5,
                len: 4
            }
        );
        assert_eq!(
            tier.value.span,
            Span {
                line: 3,
                col: 11,
                len: 6
            }
        );
    }

    #[test]
    fn every_duplicate_key_is_reported_and_the_first_kept() {
        let parsed = parse("a: 1\nb: 2\na: 3\nb: 4\n").unwrap();
        assert_eq!(parsed.problems.len(), 2);
        assert_eq!(parsed.problems[0].span.line, 3);
        assert!(parsed.problems[0]
            .message
            .contains("duplicate key 'a' (first defined on line 1)"));
        assert_eq!(to_json(&parsed.root), serde_json::json!({"a": 1, "b": 2}));
    }

    #[test]
    fn duplicates_in_big_maps_are_found_too() {
        let mut text: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        text.push_str("k7: again\n");
        let parsed = parse(&text).unwrap();
        assert_eq!(parsed.problems.len(), 1);
        assert_eq!(parsed.problems[0].span.line, 41);
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let err = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.message.starts_with("invalid YAML"), "{}", err.message);
        assert!(err.span.line >= 1);
    }

    #[test]
    fn a_second_document_is_refused() {
        let err = parse("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(err.span.line, 2);
    }

    #[test]
    fn alias_bombs_are_stopped() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let prev = i - 1;
            text.push_str(&format!("a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
        }
        let err = parse(&text).unwrap_err();
        assert!(err.message.contains("more than"), "{}", err.message);
    }

    #[test]
    fn agrees_with_serde_saphyr_on_every_example() {
        let examples = [
            include_str!("../../examples/data-platform/.shipgate.yml"),
            include_str!("../../examples/four-envs-gitlab/.shipgate.yml"),
            include_str!("../../examples/web-service/.shipgate.yml"),
        ];
        for text in examples {
            let theirs: serde_json::Value = serde_saphyr::from_str(text).unwrap();
            assert_eq!(json(text), theirs);
        }
    }

    #[test]
    fn agrees_with_serde_saphyr_on_ordinary_documents() {
        let text = "version: 1\nlist: [a, 'b', \"c\"]\nnested:\n  x: 1.25\n  y: [ {k: v}, null ]\n  z: |\n    block\n    text\n";
        let ours = json(text);
        let theirs: serde_json::Value = serde_saphyr::from_str(text).unwrap();
        assert_eq!(ours, theirs);
    }
}
