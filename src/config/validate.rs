//! The meaning check: references between parts of the file (a component's tier and group,
//! an environment's tiers and gate, overrides, gate policies) and duplicate names. Runs on
//! the YAML tree, after or alongside the structural check, and reports every problem it
//! finds; parts with the wrong shape are skipped (the structural check reports those).

use std::collections::HashMap;

use super::diag::{suggest, Diagnostic};
use super::yaml::{Node, Span, Value};
use crate::time::{parse_duration, Freeze, Window};

/// The zone windows and freezes are checked in when they name none: the gate's default
/// (`timezone` input, UTC). A window's validity does not depend on it.
const CHECK_ZONE: &str = "UTC";

/// tfvars keys shipgate writes itself; variables and tfvars names must not take them.
pub const TFVARS_FIXED_KEYS: [&str; 4] = ["environment", "account", "tiers", "component_versions"];
/// Default name of the tfvars list of enabled components.
pub const DEFAULT_COMPONENTS_VAR: &str = "enabled_components";
/// Default name of the tfvars list of the components a run touches.
pub const DEFAULT_SELECTED_VAR: &str = "selected_components";

/// Every reference and duplicate problem in the file.
pub fn validate(root: &Node) -> Vec<Diagnostic> {
    let mut v = Validator {
        out: Vec::new(),
        tiers: Names::default(),
        envs: Names::default(),
        groups: Names::default(),
        components: Names::default(),
        gates: Names::default(),
        approvers: Names::default(),
        accounts: Names::default(),
    };
    v.collect_names(root);
    v.environments(root);
    v.components(root);
    v.overrides(root);
    v.gates(root);
    v.tfvars(root);
    finite_numbers(root, &mut v.out);
    v.out
}

/// `.inf` and `.nan` anywhere (metadata, variables): JSON, Terraform and dotenv cannot
/// carry them, and serde would silently turn them into null.
fn finite_numbers(node: &Node, out: &mut Vec<Diagnostic>) {
    match &node.value {
        Value::Float(f) if !f.is_finite() => out.push(Diagnostic::new(
            node.span,
            "a number here must be finite (not .inf or .nan)",
        )),
        Value::Seq(items) => items.iter().for_each(|i| finite_numbers(i, out)),
        Value::Map(entries) => entries.iter().for_each(|e| finite_numbers(&e.value, out)),
        _ => {}
    }
}

/// Names defined in one part of the file, in order, with where each is defined.
#[derive(Default)]
struct Names<'a> {
    /// Whether the part was readable at all (a missing or malformed part makes every
    /// reference unknown; that is reported once by the structural check, not per reference).
    known: bool,
    order: Vec<&'a str>,
    index: HashMap<&'a str, usize>,
}

impl<'a> Names<'a> {
    fn contains(&self, name: &str) -> bool {
        // A handful of tiers or groups: comparing beats hashing.
        if self.order.len() <= 8 {
            return self.order.contains(&name);
        }
        self.index.contains_key(name)
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    fn insert(&mut self, name: &'a str) {
        if !self.index.contains_key(name) {
            self.index.insert(name, self.order.len());
            self.order.push(name);
        }
    }

    /// " (tiers: a, b); did you mean 'b'?" — the list, cut short when long.
    fn hint(&self, what: &str, wrong: &str) -> String {
        if self.order.is_empty() {
            return format!(" (no {what} are defined)");
        }
        let mut list: Vec<&str> = self.order.iter().take(12).copied().collect();
        if self.order.len() > 12 {
            list.push("...");
        }
        let guess = suggest(wrong, self.order.iter().copied())
            .map(|s| format!("; did you mean '{s}'?"))
            .unwrap_or_default();
        format!(" ({what}: {}){guess}", list.join(", "))
    }
}

struct Validator<'a> {
    out: Vec<Diagnostic>,
    tiers: Names<'a>,
    envs: Names<'a>,
    groups: Names<'a>,
    components: Names<'a>,
    gates: Names<'a>,
    approvers: Names<'a>,
    accounts: Names<'a>,
}

/// `(name, span)` for every string item of a list node.
fn string_items<'a>(node: Option<&'a Node<'_>>) -> Vec<(&'a str, Span)> {
    node.and_then(Node::as_seq)
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.as_str().map(|s| (s, i.span)))
                .collect()
        })
        .unwrap_or_default()
}

fn map_names<'a>(node: Option<&'a Node>, names: &mut Names<'a>) {
    if let Some(entries) = node.and_then(Node::as_map) {
        names.known = true;
        for e in entries {
            names.insert(&e.key);
        }
    } else if node.is_none() {
        // Absent means "none defined": references to it are errors worth reporting.
        names.known = true;
    }
}

/// The output-name form of a name, as plans write it (`experimental` →
/// `EXPERIMENTAL`, `a-b` → `A_B`): letters and digits upper-cased, anything else `_`. The
/// checker refuses two tiers with the same form, so plan never writes one key twice.
pub fn output_key(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

impl<'a> Validator<'a> {
    fn report(&mut self, span: Span, message: String) {
        self.out.push(Diagnostic::new(span, message));
    }

    fn collect_names(&mut self, root: &'a Node) {
        if root.get("tiers").and_then(Node::as_seq).is_some() {
            self.tiers.known = true;
            let mut first_line: HashMap<&str, u32> = HashMap::new();
            // Plans name outputs after tiers (`components_<tier>`, `SHIPGATE_COMPONENTS_<TIER>`):
            // two tiers that differ only in case or in `-`/`_`/`.` would write one output twice.
            let mut outputs: HashMap<String, &str> = HashMap::new();
            for (name, span) in string_items(root.get("tiers")) {
                if let Some(line) = first_line.get(name) {
                    let message = format!("tier '{name}' is listed twice{}", earlier(*line, span));
                    self.report(span, message);
                } else if let Some(other) = outputs.get(&output_key(name)) {
                    let message = format!(
                        "tiers '{other}' and '{name}' become the same output name (SHIPGATE_COMPONENTS_{}): rename one",
                        output_key(name)
                    );
                    self.report(span, message);
                } else {
                    first_line.insert(name, span.line);
                    outputs.insert(output_key(name), name);
                    self.tiers.insert(name);
                }
            }
        }
        if let Some(envs) = root.get("environments").and_then(Node::as_seq) {
            self.envs.known = true;
            let mut first_line: HashMap<&str, u32> = HashMap::new();
            for env in envs {
                let Some(name_node) = env.get("name") else {
                    continue;
                };
                let Some(name) = name_node.as_str() else {
                    continue;
                };
                if let Some(line) = first_line.get(name) {
                    let message =
                        format!("duplicate environment '{name}' (first defined on line {line})");
                    self.report(name_node.span, message);
                } else {
                    first_line.insert(name, name_node.span.line);
                    self.envs.insert(name);
                }
            }
        }
        map_names(root.get("groups"), &mut self.groups);
        // Only overrides refer to components by name: index them only when they do.
        let overrides_name_components = root
            .get("overrides")
            .and_then(Node::as_map)
            .is_some_and(|all| all.iter().any(|o| o.value.get("components").is_some()));
        if overrides_name_components {
            map_names(root.get("components"), &mut self.components);
        }
        map_names(root.get("gates"), &mut self.gates);
        map_names(root.get("approvers"), &mut self.approvers);
        map_names(root.get("accounts"), &mut self.accounts);
        if let Some(accounts) = root.get("accounts").and_then(Node::as_map) {
            for a in accounts {
                if !a.key.starts_with(|c: char| c.is_ascii_alphabetic()) {
                    let message = format!(
                        "account name {} must start with a letter (a value of digits is always an account id)",
                        crate::error::quote(&a.key)
                    );
                    self.report(a.key_span, message);
                }
            }
        }
    }

    /// An environment's `account`: an id, or a name defined under `accounts`.
    fn account(&mut self, env: &str, node: &Node) {
        let Some(account) = node.as_str() else { return };
        let is_id = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
        let is_name = account.starts_with(|c: char| c.is_ascii_alphabetic());
        if is_id || !is_name || !self.accounts.known || self.accounts.contains(account) {
            return;
        }
        let hint = if self.accounts.order.is_empty() {
            format!(" (no accounts are defined: add `accounts: {{{account}: \"123456789012\"}}` at the top level, or write the 12-digit id)")
        } else {
            self.accounts.hint("accounts", account)
        };
        self.report(
            node.span,
            format!(
                "environment '{env}' uses unknown account {}{hint}",
                crate::error::quote(account)
            ),
        );
    }

    fn environments(&mut self, root: &Node) {
        let Some(envs) = root.get("environments").and_then(Node::as_seq) else {
            return;
        };
        let reserved = reserved_tfvars_keys(root);
        for env in envs {
            let name = env.get("name").and_then(Node::as_str).unwrap_or("?");
            let mut seen: HashMap<&str, u32> = HashMap::new();
            for (tier, span) in string_items(env.get("tiers")) {
                if let Some(line) = seen.get(tier) {
                    let message = format!(
                        "environment '{name}' lists tier '{tier}' twice (first on line {line})"
                    );
                    self.report(span, message);
                    continue;
                }
                seen.insert(tier, span.line);
                if self.tiers.known && !self.tiers.contains(tier) {
                    let hint = self.tiers.hint("tiers", tier);
                    self.report(
                        span,
                        format!("environment '{name}' receives unknown tier '{tier}'{hint}"),
                    );
                }
            }
            if let Some(account) = env.get("account") {
                self.account(name, account);
            }
            if let Some(gate_node) = env.get("gate") {
                if let Some(gate) = gate_node.as_str() {
                    if self.gates.known && !self.gates.contains(gate) {
                        let hint = self.gates.hint("gates", gate);
                        self.report(
                            gate_node.span,
                            format!("environment '{name}' uses unknown gate '{gate}'{hint}"),
                        );
                    } else {
                        self.gate_order(root, name, gate, gate_node.span);
                    }
                }
            }
            if let Some(vars) = env.get("variables").and_then(Node::as_map) {
                for var in vars {
                    if reserved.iter().any(|r| r == &var.key) {
                        let message = format!(
                            "environment '{name}': variable '{}' would collide with the '{}' that `plan --format tfvars-json` writes; rename it",
                            var.key, var.key
                        );
                        self.report(var.key_span, message);
                    }
                }
            }
        }
    }

    /// A gate that waits for another environment must wait for an earlier one.
    fn gate_order(&mut self, root: &Node, env: &str, gate: &str, span: Span) {
        let Some(after) = root
            .get("gates")
            .and_then(|g| g.get(gate))
            .and_then(|g| g.get("after"))
            .and_then(|a| a.get("environment"))
            .and_then(Node::as_str)
        else {
            return;
        };
        let (Some(this), Some(that)) = (self.envs.position(env), self.envs.position(after)) else {
            return;
        };
        if that >= this {
            let relation = if that == this {
                "itself"
            } else {
                "an environment later on the path"
            };
            let message = format!(
                "environment '{env}' uses gate '{gate}', which waits for '{after}' ({relation}); a gate can only wait for an earlier environment"
            );
            self.report(span, message);
        }
    }

    fn components(&mut self, root: &Node) {
        let Some(components) = root.get("components").and_then(Node::as_map) else {
            return;
        };
        let single_tier = self.tiers.order.len() == 1;
        for c in components {
            let name = &c.key;
            match c.value.get("tier") {
                Some(tier_node) => {
                    if let Some(tier) = tier_node.as_str() {
                        if self.tiers.known && !self.tiers.contains(tier) {
                            let hint = self.tiers.hint("tiers", tier);
                            self.report(
                                tier_node.span,
                                format!("component '{name}' is in unknown tier '{tier}'{hint}"),
                            );
                        }
                    }
                }
                None if self.tiers.known && !single_tier && c.value.as_map().is_some() => {
                    let tiers = self.tiers.order.join(", ");
                    self.report(
                        c.key_span,
                        format!("component '{name}' has no tier: add `tier:` (one of: {tiers})"),
                    );
                }
                None => {}
            }
            if let Some(group_node) = c.value.get("group") {
                if let Some(group) = group_node.as_str() {
                    if self.groups.known && !self.groups.contains(group) {
                        let hint = self.groups.hint("groups", group);
                        self.report(
                            group_node.span,
                            format!("component '{name}' is in unknown group '{group}'{hint}"),
                        );
                    }
                }
            }
        }
    }

    fn overrides(&mut self, root: &Node) {
        let Some(overrides) = root.get("overrides").and_then(Node::as_map) else {
            return;
        };
        for o in overrides {
            let env = &o.key;
            if self.envs.known && !self.envs.contains(env) {
                let hint = self.envs.hint("environments", env);
                self.report(
                    o.key_span,
                    format!("overrides for unknown environment '{env}'{hint}"),
                );
            }
            if let Some(groups) = o.value.get("groups").and_then(Node::as_map) {
                for g in groups {
                    if self.groups.known && !self.groups.contains(&g.key) {
                        let hint = self.groups.hint("groups", &g.key);
                        self.report(
                            g.key_span,
                            format!("overrides for '{env}' name unknown group '{}'{hint}", g.key),
                        );
                    }
                }
            }
            if let Some(components) = o.value.get("components").and_then(Node::as_map) {
                for c in components {
                    if self.components.known && !self.components.contains(&c.key) {
                        let hint = self.components.hint("components", &c.key);
                        self.report(
                            c.key_span,
                            format!(
                                "overrides for '{env}' name unknown component '{}'{hint}",
                                c.key
                            ),
                        );
                    }
                }
            }
        }
    }

    fn gates(&mut self, root: &Node) {
        let Some(gates) = root.get("gates").and_then(Node::as_map) else {
            return;
        };
        for g in gates {
            let gate = &g.key;
            if let Some(env_node) = g.value.get("after").and_then(|a| a.get("environment")) {
                if let Some(env) = env_node.as_str() {
                    if self.envs.known && !self.envs.contains(env) {
                        let hint = self.envs.hint("environments", env);
                        self.report(
                            env_node.span,
                            format!("gate '{gate}' waits for unknown environment '{env}'{hint}"),
                        );
                    }
                }
            }
            if let Some(approvals) = g.value.get("approvals") {
                for list in ["all_of", "any_of"] {
                    let Some(rules) = approvals.get(list).and_then(Node::as_seq) else {
                        continue;
                    };
                    for rule in rules {
                        let Some(group_node) = rule.get("group") else {
                            continue;
                        };
                        let Some(group) = group_node.as_str() else {
                            continue;
                        };
                        if self.approvers.known && !self.approvers.contains(group) {
                            let hint = self.approvers.hint("approver groups", group);
                            self.report(
                                group_node.span,
                                format!(
                                    "gate '{gate}' names unknown approver group '{group}'{hint}"
                                ),
                            );
                        } else {
                            self.reachable(root, gate, group, rule);
                        }
                    }
                }
            }
            // `veto: [group, ...]` names approver groups too: the gate refuses an unknown one
            // at run time, so the checker does here.
            if let Some(groups) = g.value.get("veto").and_then(Node::as_seq) {
                for group_node in groups {
                    let Some(group) = group_node.as_str() else {
                        continue;
                    };
                    if self.approvers.known && !self.approvers.contains(group) {
                        let hint = self.approvers.hint("approver groups", group);
                        self.report(
                            group_node.span,
                            format!(
                                "gate '{gate}' vetoes by unknown approver group '{group}'{hint}"
                            ),
                        );
                    }
                }
            }
            self.gate_times(gate, &g.value);
        }
    }

    /// A rule that asks more approvals of a group than it has people can never hold (when
    /// the group lists only users: team sizes are known at run time only).
    fn reachable(&mut self, root: &Node, gate: &str, group: &str, rule: &Node) {
        let Some(def) = root.get("approvers").and_then(|a| a.get(group)) else {
            return;
        };
        if def
            .get("teams")
            .and_then(Node::as_seq)
            .is_some_and(|t| !t.is_empty())
        {
            return;
        }
        let mut users: Vec<&str> = string_items(def.get("users"))
            .into_iter()
            .map(|(u, _)| u)
            .collect();
        users.sort_unstable();
        users.dedup();
        let Some(min_node) = rule.get("min") else {
            return;
        };
        let Value::Int(min) = min_node.value else {
            return;
        };
        if usize::try_from(min).is_ok_and(|m| m > users.len()) {
            let people = match users.len() {
                1 => "1 person".to_string(),
                n => format!("{n} people"),
            };
            self.report(
                min_node.span,
                format!("gate '{gate}' asks {min} approvals of '{group}', which lists {people} and no teams: it can never pass"),
            );
        }
    }

    /// Windows, freezes and durations of a gate, read by the gate's own parsers
    /// (`crate::time`, the gate's own): what passes here is what the gate accepts at deploy time.
    fn gate_times(&mut self, gate: &str, def: &Node) {
        if let Some(windows) = def.get("windows").and_then(Node::as_seq) {
            for window in windows {
                let Some(text) = window.as_str() else {
                    continue;
                };
                if let Err(e) = Window::parse(text, CHECK_ZONE) {
                    self.report(window.span, format!("gate '{gate}': {e}"));
                }
            }
        }
        if let Some(freezes) = def.get("freezes").and_then(Node::as_seq) {
            for freeze in freezes {
                self.freeze(gate, freeze);
            }
        }
        // Every duration a gate takes, so none is left to the schema's looser pattern.
        let timeout = def.get("timeout").map(|n| ("timeout", n));
        let wait = def.get("wait").map(|n| ("wait", n));
        let soak = def
            .get("after")
            .and_then(|a| a.get("soak"))
            .map(|n| ("after.soak", n));
        for (key, node) in timeout.into_iter().chain(wait).chain(soak) {
            let Some(text) = node.as_str() else { continue };
            if let Err(e) = parse_duration(text) {
                self.report(node.span, format!("gate '{gate}': {key}: {e}"));
            }
        }
    }

    fn freeze(&mut self, gate: &str, freeze: &Node) {
        let mut dates = Vec::new();
        for key in ["from", "to"] {
            let Some(node) = freeze.get(key) else {
                continue;
            };
            let Some(text) = node.as_str() else { continue };
            // One day at a time first, to point at the date that is wrong.
            match Freeze::new(text, text, None, CHECK_ZONE) {
                Ok(_) => dates.push((text, node.span)),
                Err(e) => self.report(node.span, format!("gate '{gate}': freeze {key}: {e}")),
            }
        }
        if let [(from, _), (to, to_span)] = dates.as_slice() {
            if let Err(e) = Freeze::new(from, to, None, CHECK_ZONE) {
                self.report(*to_span, format!("gate '{gate}': {e}"));
            }
        }
    }

    fn tfvars(&mut self, root: &Node) {
        let Some(tfvars) = root.get("tfvars") else {
            return;
        };
        // Each name, given or defaulted, must differ from the others and from the fixed keys.
        let mut names: Vec<(&str, &str)> = Vec::new();
        for (key, default) in [
            ("components", Some(DEFAULT_COMPONENTS_VAR)),
            ("metadata", None),
            ("selected", Some(DEFAULT_SELECTED_VAR)),
        ] {
            let node = tfvars.get(key);
            let Some(name) = node.and_then(Node::as_str).or(default) else {
                continue;
            };
            if let Some(node) = node.filter(|n| n.as_str().is_some()) {
                if TFVARS_FIXED_KEYS.contains(&name) {
                    self.report(
                        node.span,
                        format!("tfvars.{key}: '{name}' is a name shipgate already writes; choose another"),
                    );
                }
                if let Some((other, _)) = names.iter().find(|(_, n)| *n == name) {
                    let given = if tfvars.get(other).is_some() {
                        ""
                    } else {
                        " (by default)"
                    };
                    self.report(
                        node.span,
                        format!("tfvars.{key}: '{name}' is already used for tfvars.{other}{given}"),
                    );
                }
            }
            names.push((key, name));
        }
    }
}

/// " (first on line 4)", or nothing when the first is on the same line.
fn earlier(first_line: u32, here: Span) -> String {
    if first_line == here.line {
        String::new()
    } else {
        format!(" (first on line {first_line})")
    }
}

/// The tfvars keys a plan of this file writes (variables must avoid them).
fn reserved_tfvars_keys(root: &Node) -> Vec<String> {
    let mut keys: Vec<String> = TFVARS_FIXED_KEYS.iter().map(|s| s.to_string()).collect();
    let tfvars = root.get("tfvars");
    let components = tfvars
        .and_then(|t| t.get("components"))
        .and_then(Node::as_str)
        .unwrap_or(DEFAULT_COMPONENTS_VAR);
    keys.push(components.to_string());
    let selected = tfvars
        .and_then(|t| t.get("selected"))
        .and_then(Node::as_str)
        .unwrap_or(DEFAULT_SELECTED_VAR);
    keys.push(selected.to_string());
    if let Some(metadata) = tfvars
        .and_then(|t| t.get("metadata"))
        .and_then(Node::as_str)
    {
        keys.push(metadata.to_string());
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::yaml::parse;

    fn problems(text: &str) -> Vec<String> {
        validate(&parse(text).unwrap().root)
            .into_iter()
            .map(|d| format!("{}:{}: {}", d.span.line, d.span.col, d.message))
            .collect()
    }

    #[test]
    fn gates_wait_only_for_earlier_environments() {
        let text = "version: 1\ntiers: [a]\nenvironments:\n  - name: one\n    gate: g\n  - name: two\ngates:\n  g: {after: {environment: two}}\n";
        assert_eq!(
            problems(text),
            vec!["5:11: environment 'one' uses gate 'g', which waits for 'two' (an environment later on the path); a gate can only wait for an earlier environment"]
        );
    }

    #[test]
    fn freezes_must_be_real_and_in_order() {
        let text = "gates:\n  g:\n    freezes:\n      - {from: 2026-02-30, to: 2026-03-01}\n      - {from: 2026-12-20, to: 2026-12-01}\n";
        assert_eq!(
            problems(text),
            vec![
                "4:16: gate 'g': freeze from: '2026-02-30' is not a date written YYYY-MM-DD",
                "5:32: gate 'g': freeze 2026-12-20..2026-12-01 ends before it starts",
            ]
        );
    }

    #[test]
    fn gate_times_are_read_by_the_gate_parsers() {
        let text = "gates:\n  g:\n    windows: [\"Mon 09:00-09:00\", \"mon-fri 09:00-17:00\", \"Mon 09:00-10:00 Mars/Base\"]\n    timeout: 0.5\n    after: {environment: x, soak: 30 minutes}\n";
        assert_eq!(
            problems(text),
            vec![
                "3:15: gate 'g': window 'Mon 09:00-09:00': the window is empty (expected e.g. 'Mon-Thu 09:00-16:00 Europe/London')",
                "3:57: gate 'g': window 'Mon 09:00-10:00 Mars/Base': unknown time zone 'Mars/Base' (use an IANA name such as Europe/London) (expected e.g. 'Mon-Thu 09:00-16:00 Europe/London')",
                "5:35: gate 'g': after.soak: '30 minutes' is not a duration such as 30m, 2h, 1h30m or 7d",
            ]
        );
    }

    #[test]
    fn named_accounts_must_be_defined() {
        let text = "accounts: {tm-nonprod: \"111111111111\", 9lives: \"222222222222\"}\nenvironments:\n  - {name: a, account: tm-nonprod}\n  - {name: b, account: tm-prod}\n  - {name: c, account: \"333333333333\"}\n";
        assert_eq!(
            problems(text),
            vec![
                "1:40: account name '9lives' must start with a letter (a value of digits is always an account id)",
                "4:24: environment 'b' uses unknown account 'tm-prod' (accounts: tm-nonprod, 9lives); did you mean 'tm-nonprod'?",
            ]
        );
        let none = "environments:\n  - {name: a, account: tm-nonprod}\n";
        assert_eq!(
            problems(none),
            vec!["2:24: environment 'a' uses unknown account 'tm-nonprod' (no accounts are defined: add `accounts: {tm-nonprod: \"123456789012\"}` at the top level, or write the 12-digit id)"]
        );
    }

    #[test]
    fn rules_cannot_ask_more_people_than_a_group_lists() {
        let text = "approvers:\n  leads: {users: [ada, bo, ada]}\n  ops: {teams: [org/ops]}\ngates:\n  g:\n    approvals:\n      all_of: [{group: leads, min: 3}, {group: ops, min: 9}]\n      any_of: [{group: leads, min: 2}]\n";
        assert_eq!(
            problems(text),
            vec!["7:36: gate 'g' asks 3 approvals of 'leads', which lists 2 people and no teams: it can never pass"]
        );
    }

    #[test]
    fn numbers_must_be_finite() {
        let text = "components:\n  a: {metadata: {x: .inf, y: [1, .nan]}}\n";
        assert_eq!(
            problems(text),
            vec![
                "2:21: a number here must be finite (not .inf or .nan)",
                "2:34: a number here must be finite (not .inf or .nan)",
            ]
        );
    }

    #[test]
    fn variables_cannot_shadow_what_tfvars_writes() {
        let text = "tfvars: {components: enabled_jobs}\nenvironments:\n  - name: prod\n    variables: {enabled_jobs: x, tiers: y, region: eu-west-2}\n";
        let found = problems(text);
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains("variable 'enabled_jobs' would collide"),
            "{found:?}"
        );
    }
}
