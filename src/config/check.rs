//! The structural check: a YAML tree against the generated JSON Schema, reporting every
//! unknown key, missing key, wrong type and badly formed value at once, each at its position.
//!
//! Only the keywords the generator emits for our types are understood (a unit test keeps
//! it that way); the schema, not this file, says what is allowed where.

use std::collections::HashMap;

use serde_json::Value as Json;

use super::diag::{suggest, Diagnostic};
use super::schema::{DATE_PATTERN, DURATION_PATTERN, NAME_PATTERN, WINDOW_PATTERN};
use super::yaml::{Entry, Node, Span, Value};

/// Checks `root` against `schema`, returning every problem found.
pub fn check(root: &Node, schema: &Json) -> Vec<Diagnostic> {
    let compiled = Compiled::new(schema);
    let mut checker = Checker {
        schemas: &compiled,
        out: Vec::new(),
    };
    checker.node(root, 0, &mut Path::default(), None);
    checker.out
}

/// The schema with every lookup done once: `$ref`s resolved to indices, patterns compiled,
/// keywords read into fields. Checking a big file then costs no JSON lookups per node.
struct Compiled<'s> {
    schemas: Vec<Schema<'s>>,
}

#[derive(Default)]
struct Schema<'s> {
    /// `false`: nothing is allowed.
    nothing: bool,
    types: Option<&'s Json>,
    /// `types` as bits (see [`type_bits`]), to test each node without string compares.
    type_mask: Option<u8>,
    constant: Option<&'s Json>,
    /// `enum`, or a `oneOf`/`anyOf` whose branches are all `const` (an enum whose variants
    /// carry descriptions).
    options: Option<Vec<&'s Json>>,
    pattern: Option<Pattern<'s>>,
    min_length: Option<u64>,
    minimum: Option<f64>,
    maximum: Option<f64>,
    min_items: Option<u64>,
    items: Option<usize>,
    properties: Vec<(&'s str, usize)>,
    pattern_properties: Vec<(Pattern<'s>, usize)>,
    /// `additionalProperties`: `None` when absent (anything goes).
    additional: Option<Additional>,
    property_names: Option<Pattern<'s>>,
    required: Vec<&'s str>,
    all_of: Vec<usize>,
    any_of: Vec<usize>,
}

enum Additional {
    Forbidden,
    Schema(usize),
}

impl<'s> Compiled<'s> {
    fn new(root: &'s Json) -> Self {
        let mut compiled = Compiled {
            schemas: Vec::new(),
        };
        let mut seen = HashMap::new();
        compiled.compile(root, root, &mut seen);
        compiled
    }

    /// Compiles `schema` (following `$ref`s into `root`) and returns its index; each JSON
    /// schema object is compiled once.
    fn compile(
        &mut self,
        root: &'s Json,
        schema: &'s Json,
        seen: &mut HashMap<*const Json, usize>,
    ) -> usize {
        let mut target = schema;
        for _ in 0..8 {
            let Some(reference) = target.get("$ref").and_then(Json::as_str) else {
                break;
            };
            match reference.strip_prefix('#').and_then(|p| root.pointer(p)) {
                Some(next) => target = next,
                None => break,
            }
        }
        if let Some(&index) = seen.get(&(target as *const Json)) {
            return index;
        }
        let index = self.schemas.len();
        self.schemas.push(Schema::default());
        seen.insert(target as *const Json, index);
        let compiled = self.fill(root, target, seen);
        self.schemas[index] = compiled;
        index
    }

    fn fill(
        &mut self,
        root: &'s Json,
        schema: &'s Json,
        seen: &mut HashMap<*const Json, usize>,
    ) -> Schema<'s> {
        let Some(obj) = schema.as_object() else {
            return Schema {
                nothing: schema == &Json::Bool(false),
                ..Schema::default()
            };
        };
        let pattern = |p: &'s Json| p.as_str().map(Pattern::new);
        let mut out = Schema {
            types: obj.get("type"),
            type_mask: obj.get("type").map(type_bits),
            constant: obj.get("const"),
            options: obj
                .get("enum")
                .and_then(Json::as_array)
                .map(|all| all.iter().collect()),
            pattern: obj.get("pattern").and_then(pattern),
            min_length: obj.get("minLength").and_then(Json::as_u64),
            minimum: obj.get("minimum").and_then(Json::as_f64),
            // A number the types read as `u32` must fit one: the schema says so by its
            // `format`, and the check reports it at its position (not the conversion).
            maximum: obj
                .get("maximum")
                .and_then(Json::as_f64)
                .or_else(|| format_maximum(obj.get("format").and_then(Json::as_str))),
            min_items: obj.get("minItems").and_then(Json::as_u64),
            property_names: obj
                .get("propertyNames")
                .and_then(|p| p.get("pattern"))
                .and_then(pattern),
            required: obj
                .get("required")
                .and_then(Json::as_array)
                .map(|r| r.iter().filter_map(Json::as_str).collect())
                .unwrap_or_default(),
            ..Schema::default()
        };
        if let Some(items) = obj.get("items") {
            out.items = Some(self.compile(root, items, seen));
        }
        if let Some(props) = obj.get("properties").and_then(Json::as_object) {
            for (name, s) in props {
                let i = self.compile(root, s, seen);
                out.properties.push((name.as_str(), i));
            }
        }
        if let Some(props) = obj.get("patternProperties").and_then(Json::as_object) {
            for (p, s) in props {
                let i = self.compile(root, s, seen);
                out.pattern_properties.push((Pattern::new(p), i));
            }
        }
        out.additional = match obj.get("additionalProperties") {
            None | Some(Json::Bool(true)) => None,
            Some(Json::Bool(false)) => Some(Additional::Forbidden),
            Some(s) => Some(Additional::Schema(self.compile(root, s, seen))),
        };
        if let Some(all) = obj.get("allOf").and_then(Json::as_array) {
            out.all_of = all.iter().map(|s| self.compile(root, s, seen)).collect();
        }
        if let Some(any) = obj
            .get("anyOf")
            .or_else(|| obj.get("oneOf"))
            .and_then(Json::as_array)
        {
            out.any_of = any.iter().map(|s| self.compile(root, s, seen)).collect();
            let constants: Option<Vec<&Json>> = out
                .any_of
                .iter()
                .map(|&i| self.schemas[i].constant)
                .collect();
            if let Some(constants) = constants {
                out.options = Some(constants);
                out.any_of.clear();
            }
        }
        out
    }
}

/// The largest value an integer `format` holds (`uint32` → 4294967295).
fn format_maximum(format: Option<&str>) -> Option<f64> {
    Some(match format? {
        "uint8" => f64::from(u8::MAX),
        "uint16" => f64::from(u16::MAX),
        "uint32" => f64::from(u32::MAX),
        "int32" => f64::from(i32::MAX),
        _ => return None,
    })
}

/// Where a node is, for messages: `components.job_1.tier`, `environments[2]`.
#[derive(Default, Clone)]
struct Path<'n>(Vec<Segment<'n>>);

#[derive(Clone)]
enum Segment<'n> {
    Key(&'n str),
    Index(usize),
}

impl Path<'_> {
    fn render(&self) -> String {
        let mut s = String::new();
        for seg in &self.0 {
            match seg {
                Segment::Key(k) => {
                    if !s.is_empty() {
                        s.push('.');
                    }
                    s.push_str(k);
                }
                Segment::Index(i) => s.push_str(&format!("[{i}]")),
            }
        }
        s
    }

    /// "in components.job_1" or "at the top level".
    fn where_(&self) -> String {
        if self.0.is_empty() {
            "at the top level".to_string()
        } else {
            format!("in {}", self.render())
        }
    }

    /// "components.job_1.tier: " or "" at the root.
    fn prefix(&self) -> String {
        if self.0.is_empty() {
            String::new()
        } else {
            format!("{}: ", self.render())
        }
    }
}

struct Checker<'s, 'c> {
    schemas: &'c Compiled<'s>,
    out: Vec<Diagnostic>,
}

/// A schema pattern, compiled the first time it is needed (most files never use the
/// gate patterns, and compiling a regex costs more than matching thousands of names).
struct Pattern<'s> {
    source: &'s str,
    regex: std::cell::OnceCell<Option<regex::Regex>>,
}

impl<'s> Pattern<'s> {
    fn new(source: &'s str) -> Self {
        Pattern {
            source,
            regex: std::cell::OnceCell::new(),
        }
    }

    /// Whether `text` matches (a pattern that does not compile checks nothing; the schema
    /// is ours, and a unit test compiles every pattern in it).
    fn matches(&self, text: &str) -> bool {
        // Names are checked thousands of times in a big file: this one pattern is
        // hand-written (a unit test keeps it equal to the regex).
        if self.source == NAME_PATTERN {
            return is_name(text);
        }
        self.regex
            .get_or_init(|| regex::Regex::new(self.source).ok())
            .as_ref()
            .is_none_or(|r| r.is_match(text))
    }
}

impl<'s, 'c> Checker<'s, 'c> {
    fn report(&mut self, span: Span, message: String) {
        self.out.push(Diagnostic::new(span, message));
    }

    /// Checks one node against schema number `index`. `key_span` is where the key naming
    /// this node is, used when the node itself has no useful position (an empty value).
    fn node<'n>(
        &mut self,
        node: &'n Node,
        index: usize,
        path: &mut Path<'n>,
        key_span: Option<Span>,
    ) {
        let schemas = self.schemas;
        let schema = &schemas.schemas[index];
        let at = value_span(node, key_span);
        if schema.nothing {
            self.report(at, format!("{}no value is allowed here", path.prefix()));
            return;
        }
        for &part in &schema.all_of {
            self.node(node, part, path, key_span);
        }
        if !schema.any_of.is_empty() {
            self.any_of(node, &schema.any_of, path, key_span);
            return;
        }
        if let (Some(types), Some(mask)) = (schema.types, schema.type_mask) {
            if mask & value_bits(&node.value) == 0 {
                self.report(at, type_message(path, types, node));
                return;
            }
        }
        if let Some(expected) = schema.constant {
            if !equals(expected, &node.value) {
                let found = scalar_text(node).unwrap_or_else(|| node.kind_name().to_string());
                let extra = if path.0.len() == 1
                    && matches!(&path.0[0], Segment::Key(k) if *k == "version")
                {
                    " (this shipgate reads version 1 files)"
                } else {
                    ""
                };
                self.report(
                    at,
                    format!("{}expected {expected}, found {found}{extra}", path.prefix()),
                );
            }
        }
        if let Some(options) = &schema.options {
            self.enumeration(node, options, path, at);
        }
        match &node.value {
            Value::Str(s) => self.string(s, schema, path, at),
            Value::Int(_) | Value::Float(_) => self.number(node, schema, path, at),
            Value::Seq(items) => self.sequence(items, schema, path, at),
            Value::Map(entries) => self.mapping(node, entries, schema, path, at),
            Value::Null | Value::Bool(_) => {}
        }
    }

    fn any_of<'n>(
        &mut self,
        node: &'n Node,
        branches: &[usize],
        path: &mut Path<'n>,
        key_span: Option<Span>,
    ) {
        let mut fitting = None;
        for &branch in branches {
            let mut trial = Checker {
                schemas: self.schemas,
                out: Vec::new(),
            };
            trial.node(node, branch, &mut path.clone(), key_span);
            if trial.out.is_empty() {
                return;
            }
            let fits = self.schemas.schemas[branch]
                .type_mask
                .is_none_or(|mask| mask & value_bits(&node.value) != 0);
            if fits && fitting.is_none() {
                fitting = Some(trial.out);
            }
        }
        match fitting {
            Some(problems) => self.out.extend(problems),
            None => {
                let mut types = Vec::new();
                for &branch in branches {
                    match self.schemas.schemas[branch].types {
                        Some(Json::Array(all)) => types.extend(all.iter().cloned()),
                        Some(other) => types.push(other.clone()),
                        None => {}
                    }
                }
                let at = value_span(node, key_span);
                self.report(at, type_message(path, &Json::Array(types), node));
            }
        }
    }

    fn enumeration(&mut self, node: &Node, options: &[&Json], path: &Path<'_>, at: Span) {
        if options.iter().any(|o| equals(o, &node.value)) {
            return;
        }
        let names: Vec<String> = options
            .iter()
            .map(|o| {
                o.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| o.to_string())
            })
            .collect();
        let found = scalar_text(node).unwrap_or_else(|| node.kind_name().to_string());
        let hint = node
            .as_str()
            .and_then(|s| suggest(s, names.iter().map(String::as_str)))
            .map(|s| format!("; did you mean '{s}'?"))
            .unwrap_or_default();
        self.report(
            at,
            format!(
                "{}'{found}' is not one of: {}{hint}",
                path.prefix(),
                names.join(", ")
            ),
        );
    }

    fn string(&mut self, s: &str, schema: &Schema<'s>, path: &Path<'_>, at: Span) {
        if let Some(min) = schema.min_length {
            if (s.chars().count() as u64) < min {
                self.report(at, format!("{}must not be empty", path.prefix()));
            }
        }
        if let Some(pattern) = &schema.pattern {
            // Windows, durations and dates are read by the gate's own parsers in the
            // meaning check (`validate`): one judge, so both always agree.
            let by_parser = matches!(
                pattern.source,
                DURATION_PATTERN | WINDOW_PATTERN | DATE_PATTERN
            );
            if !by_parser && !pattern.matches(s) {
                let meaning = super::schema::pattern_meaning(pattern.source);
                let value = crate::error::quote(s);
                self.report(at, format!("{}{value} is not {meaning}", path.prefix()));
            }
        }
    }

    fn number(&mut self, node: &Node, schema: &Schema<'s>, path: &Path<'_>, at: Span) {
        let value = match node.value {
            Value::Int(i) => i as f64,
            Value::Float(f) => f,
            _ => return,
        };
        if let Some(min) = schema.minimum {
            if value < min {
                self.report(at, format!("{}must be at least {min}", path.prefix()));
            }
        }
        if let Some(max) = schema.maximum {
            if value > max {
                self.report(at, format!("{}must be at most {max}", path.prefix()));
            }
        }
    }

    fn sequence<'n>(
        &mut self,
        items: &'n [Node],
        schema: &Schema<'s>,
        path: &mut Path<'n>,
        at: Span,
    ) {
        if let Some(min) = schema.min_items {
            if (items.len() as u64) < min {
                let plural = if min == 1 { "" } else { "s" };
                self.report(
                    at,
                    format!("{}must list at least {min} item{plural}", path.prefix()),
                );
            }
        }
        if let Some(item_schema) = schema.items {
            for (i, item) in items.iter().enumerate() {
                path.0.push(Segment::Index(i));
                self.node(item, item_schema, path, None);
                path.0.pop();
            }
        }
    }

    fn mapping<'n>(
        &mut self,
        node: &'n Node,
        entries: &'n [Entry],
        schema: &Schema<'s>,
        path: &mut Path<'n>,
        at: Span,
    ) {
        for entry in entries {
            if let Some(pattern) = &schema.property_names {
                if !pattern.matches(&entry.key) {
                    let meaning = super::schema::pattern_meaning(pattern.source);
                    self.report(
                        entry.key_span,
                        format!("{}'{}' is not {meaning}", path.prefix(), entry.key),
                    );
                    continue;
                }
            }
            let known = schema
                .properties
                .iter()
                .find(|(name, _)| *name == entry.key)
                .map(|&(_, i)| i)
                .or_else(|| {
                    schema
                        .pattern_properties
                        .iter()
                        .find(|(pattern, _)| pattern.matches(&entry.key))
                        .map(|&(_, i)| i)
                });
            let child = match (known, &schema.additional) {
                (Some(i), _) => i,
                (None, Some(Additional::Forbidden)) => {
                    self.unknown_key(&entry.key, entry.key_span, schema, path);
                    continue;
                }
                (None, Some(Additional::Schema(i))) => *i,
                (None, None) => continue,
            };
            path.0.push(Segment::Key(&entry.key));
            self.node(&entry.value, child, path, Some(entry.key_span));
            path.0.pop();
        }
        for name in &schema.required {
            if node.entry(name).is_none() {
                self.report(at, format!("missing key '{name}' {}", path.where_()));
            }
        }
    }

    fn unknown_key(&mut self, key: &str, span: Span, schema: &Schema<'s>, path: &Path<'_>) {
        let known: Vec<&str> = schema.properties.iter().map(|(name, _)| *name).collect();
        let hint = suggest(key, known.iter().copied())
            .map(|s| format!("; did you mean '{s}'?"))
            .unwrap_or_default();
        let expected = if known.is_empty() {
            String::new()
        } else {
            format!(" (expected one of: {})", known.join(", "))
        };
        self.report(
            span,
            format!("unknown key '{key}' {}{expected}{hint}", path.where_()),
        );
    }
}

/// `NAME_PATTERN` without a regex: a letter or digit, then letters, digits, `.`, `_`, `-`.
fn is_name(text: &str) -> bool {
    let mut bytes = text.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Where to point for a value: the value itself, or its key when the value is empty.
fn value_span(node: &Node, key_span: Option<Span>) -> Span {
    match (&node.value, key_span) {
        (Value::Null, Some(k)) if node.span.len == 0 => k,
        _ => node.span,
    }
}

/// JSON Schema type names as bits: null, boolean, string, integer, number, array, object.
fn type_bits(types: &Json) -> u8 {
    let bit = |t: &str| match t {
        "null" => 1,
        "boolean" => 2,
        "string" => 4,
        "integer" => 8,
        "number" => 16,
        "array" => 32,
        "object" => 64,
        _ => 0,
    };
    match types {
        Json::String(t) => bit(t),
        Json::Array(all) => all
            .iter()
            .filter_map(Json::as_str)
            .fold(0, |acc, t| acc | bit(t)),
        _ => u8::MAX,
    }
}

/// The type bits a value satisfies (a whole number is both an integer and a number).
fn value_bits(value: &Value) -> u8 {
    match value {
        Value::Null => 1,
        Value::Bool(_) => 2,
        Value::Str(_) => 4,
        Value::Int(_) => 8 | 16,
        Value::Float(f) if f.fract() == 0.0 => 8 | 16,
        Value::Float(_) => 16,
        Value::Seq(_) => 32,
        Value::Map(_) => 64,
    }
}

fn type_name(t: &str) -> &'static str {
    match t {
        "null" => "nothing",
        "boolean" => "a boolean",
        "string" => "a string",
        "integer" => "a whole number",
        "number" => "a number",
        "array" => "a list",
        "object" => "a mapping",
        _ => "a value",
    }
}

fn type_message(path: &Path<'_>, types: &Json, node: &Node) -> String {
    let mut names: Vec<&str> = match types {
        Json::String(t) => vec![type_name(t)],
        Json::Array(all) => all
            .iter()
            .filter_map(Json::as_str)
            .filter(|t| *t != "null")
            .map(type_name)
            .collect(),
        _ => vec![],
    };
    names.dedup();
    let expected = match names.len() {
        0 => "a value".to_string(),
        1 if names[0] == "a boolean" => "true or false".to_string(),
        1 => names[0].to_string(),
        _ => {
            let (last, rest) = names.split_last().unwrap_or((&"a value", &[]));
            format!("{} or {last}", rest.join(", "))
        }
    };
    let found = match &node.value {
        Value::Str(s) => format!("the string '{s}'"),
        Value::Int(i) => format!("the number {i}"),
        Value::Float(f) => format!("the number {f}"),
        Value::Bool(b) => format!("{b}"),
        other => other.kind_name().to_string(),
    };
    let wants_string = names == ["a string"];
    let hint = match &node.value {
        Value::Int(_) | Value::Float(_) | Value::Bool(_) if wants_string => {
            "; quote it to make it a string"
        }
        Value::Str(_) if names == ["a list"] => {
            "; write a list, e.g. [\"a\", \"b\"] or one \"- item\" per line"
        }
        _ => "",
    };
    format!("{}expected {expected}, found {found}{hint}", path.prefix())
}

fn equals(expected: &Json, value: &Value) -> bool {
    match (expected, value) {
        (Json::String(e), Value::Str(s)) => e == s,
        (Json::Bool(e), Value::Bool(b)) => e == b,
        (Json::Number(e), Value::Int(i)) => e.as_i64() == Some(*i),
        (Json::Number(e), Value::Float(f)) => e.as_f64() == Some(*f),
        (Json::Null, Value::Null) => true,
        _ => false,
    }
}

fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.to_string()),
        Value::Int(i) => Some(i.to_string()),
        Value::Float(f) => Some(f.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml::parse;

    /// Keywords this checker applies or knowingly ignores (annotations).
    const KNOWN_KEYWORDS: &[&str] = &[
        "$ref",
        "type",
        "const",
        "enum",
        "pattern",
        "minimum",
        "maximum",
        "minLength",
        "minItems",
        "properties",
        "required",
        "additionalProperties",
        "patternProperties",
        "propertyNames",
        "items",
        "anyOf",
        "oneOf",
        "allOf",
        // annotations
        "$schema",
        "title",
        "description",
        "default",
        "format",
        "definitions",
    ];

    fn problems(text: &str) -> Vec<String> {
        let root = parse(text).unwrap().root;
        check(&root, &crate::config::schema::json_schema())
            .into_iter()
            .map(|d| format!("{}:{}: {}", d.span.line, d.span.col, d.message))
            .collect()
    }

    const MINIMAL: &str = "version: 1\ntiers: [stable]\nenvironments:\n  - name: prod\n";

    #[test]
    fn a_minimal_file_passes() {
        assert_eq!(problems(MINIMAL), Vec::<String>::new());
    }

    #[test]
    fn the_schema_uses_only_keywords_the_checker_knows() {
        fn walk(v: &Json, path: &str, bad: &mut Vec<String>) {
            match v {
                Json::Object(obj) => {
                    for (k, child) in obj {
                        let is_map_of_schemas = matches!(
                            k.as_str(),
                            "properties" | "patternProperties" | "definitions"
                        );
                        if is_map_of_schemas {
                            if let Json::Object(children) = child {
                                for (name, s) in children {
                                    walk(s, &format!("{path}/{k}/{name}"), bad);
                                }
                            }
                            continue;
                        }
                        if !KNOWN_KEYWORDS.contains(&k.as_str()) {
                            bad.push(format!("{path}/{k}"));
                        }
                        if matches!(
                            k.as_str(),
                            "const" | "enum" | "default" | "required" | "type" | "pattern"
                        ) {
                            continue;
                        }
                        walk(child, &format!("{path}/{k}"), bad);
                    }
                }
                Json::Array(items) => {
                    for (i, item) in items.iter().enumerate() {
                        walk(item, &format!("{path}/{i}"), bad);
                    }
                }
                _ => {}
            }
        }
        let mut bad = Vec::new();
        walk(&crate::config::schema::json_schema(), "", &mut bad);
        assert!(
            bad.is_empty(),
            "keywords the checker does not apply: {bad:?}"
        );
    }

    #[test]
    fn the_hand_written_name_check_agrees_with_the_pattern() {
        let regex = regex::Regex::new(NAME_PATTERN).unwrap();
        let samples = [
            "a",
            "A1",
            "job_00001",
            "Cash_Collection_Date",
            "prod-1",
            "v1.2",
            "0abc",
            "",
            "_x",
            "-x",
            ".x",
            "a b",
            "a/b",
            "é",
            "aé",
            "a\n",
            "x-",
            "a:b",
            "ab$",
        ];
        for s in samples {
            assert_eq!(is_name(s), regex.is_match(s), "{s:?}");
        }
    }

    #[test]
    fn every_pattern_in_the_schema_compiles() {
        fn walk(v: &Json, found: &mut Vec<String>) {
            match v {
                Json::Object(obj) => {
                    if let Some(Json::String(p)) = obj.get("pattern") {
                        found.push(p.clone());
                    }
                    if let Some(Json::Object(by_pattern)) = obj.get("patternProperties") {
                        found.extend(by_pattern.keys().cloned());
                    }
                    obj.values().for_each(|c| walk(c, found));
                }
                Json::Array(items) => items.iter().for_each(|c| walk(c, found)),
                _ => {}
            }
        }
        let mut found = Vec::new();
        walk(&crate::config::schema::json_schema(), &mut found);
        assert!(found.len() >= 6, "{found:?}");
        for p in found {
            assert!(
                regex::Regex::new(&p).is_ok(),
                "pattern {p} does not compile"
            );
        }
    }

    #[test]
    fn unknown_keys_wrong_types_and_missing_keys_are_all_reported() {
        let text = "version: 1\ntiers: stable\nenvironments:\n  - name: prod\n    acount: \"111111111111\"\n  - tiers: [stable]\ncomponents:\n  job:\n    tierr: stable\n    paths: 5\n";
        assert_eq!(
            problems(text),
            vec![
                "2:8: tiers: expected a list, found the string 'stable'; write a list, e.g. [\"a\", \"b\"] or one \"- item\" per line",
                "5:5: unknown key 'acount' in environments[0] (expected one of: name, tiers, account, url, gate, variables, description); did you mean 'account'?",
                "6:5: missing key 'name' in environments[1]",
                "9:5: unknown key 'tierr' in components.job (expected one of: tier, group, paths, metadata, description); did you mean 'tier'?",
                "10:12: components.job.paths: expected a list, found the number 5",
            ]
        );
    }

    #[test]
    fn patterns_and_enums_explain_themselves() {
        let text = format!(
            "{MINIMAL}    account: 1234\n  - name: qa\n    account: \"1234\"\ncomponents:\n  bad name: {{}}\ngates:\n  g:\n    exclude: [initator]\n    after: {{environment: prod, soak: 30 minutes}}\n"
        );
        assert_eq!(
            problems(&text),
            vec![
                "5:14: environments[0].account: expected a string, found the number 1234; quote it to make it a string",
                "7:14: environments[1].account: '1234' is not a 12-digit AWS account id (quoted, e.g. \"012345678901\") or the name of one under `accounts` (starting with a letter, e.g. tm-nonprod)",
                "9:3: components: 'bad name' is not a valid name (letters, digits, '.', '_' and '-', starting with a letter or digit)",
                "12:15: gates.g.exclude[0]: 'initator' is not one of: initiator, commit-authors, pr-author, rerun-actor; did you mean 'initiator'?",
            ]
        );
        // Durations, windows and dates are the gate parsers' to judge (see validate.rs).
    }

    #[test]
    fn version_must_be_one() {
        let text = MINIMAL.replace("version: 1", "version: 2");
        assert_eq!(
            problems(&text),
            vec!["1:10: version: expected 1, found 2 (this shipgate reads version 1 files)"]
        );
    }

    #[test]
    fn x_keys_at_the_top_are_allowed_for_anchors() {
        let text =
            format!("x-defaults: &d {{tier: stable}}\n{MINIMAL}components:\n  a: {{<<: *d}}\n");
        assert_eq!(problems(&text), Vec::<String>::new());
    }
}
