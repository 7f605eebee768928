//! The pipeline model: `.shipgate.yml` found, loaded with positions, checked and resolved.
//!
//! Loading runs in four steps, and every problem of the file is reported at once (exit 2,
//! each with file:line:col, the source line and a caret):
//! 1. `yaml`: text to a tree of positioned nodes (merge keys and aliases applied; duplicate
//!    keys collected);
//! 2. `check`: the tree against the JSON Schema generated from the types in `schema`
//!    (unknown keys, missing keys, wrong types, bad names);
//! 3. `validate`: references and duplicates (a component's tier and group, an environment's
//!    tiers and gate, overrides, gates);
//! 4. the checked tree becomes a [`Config`].
//!
//! A component's paths: its own `paths` when it has any, else its group's `paths` with
//! `{component}` replaced by its name, else none (see [`Config::paths_of`]).

mod check;
pub mod command;
mod de;
mod diag;
pub mod request;
pub mod schema;
mod validate;
pub use validate::output_key;
pub mod yaml;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{Failure, Location};

pub use diag::suggest;
pub use schema::{ApproverGroupDef, GateDef};
pub use validate::{DEFAULT_COMPONENTS_VAR, DEFAULT_SELECTED_VAR};

/// In a group's paths, stands for the name of each component of the group.
pub const COMPONENT_PLACEHOLDER: &str = "{component}";

/// `pattern` with every `{component}` replaced by `name` (a byte scan for `{`: this runs
/// once per component of a big plan).
fn expand_placeholder(pattern: &str, name: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + name.len());
    let mut rest = pattern;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        if rest[i..].starts_with(COMPONENT_PLACEHOLDER) {
            out.push_str(name);
            rest = &rest[i + COMPONENT_PLACEHOLDER.len()..];
        } else {
            out.push('{');
            rest = &rest[i + 1..];
        }
    }
    out.push_str(rest);
    out
}

/// The file names looked for, in order, in the repository root.
pub const FILE_NAMES: [&str; 2] = [".shipgate.yml", ".shipgate.yaml"];

/// The loaded, checked pipeline model.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file as named in messages (relative when it was found relative).
    pub file: String,
    tiers: Vec<String>,
    environments: Vec<Environment>,
    groups: Vec<Group>,
    components: Vec<Component>,
    approvers: Vec<(String, ApproverGroupDef)>,
    gates: Vec<(String, GateDef)>,
    tfvars: Tfvars,
    notify: schema::NotifyDef,
    env_index: HashMap<String, usize>,
    group_index: HashMap<String, usize>,
    component_index: HashMap<String, usize>,
}

/// One environment on the promotion path, with its overrides.
#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    pub name: String,
    /// The tiers it receives, in the order of the file's `tiers` (least trusted first).
    pub tiers: Vec<String>,
    pub account: Option<String>,
    pub url: Option<String>,
    /// The name of its gate policy.
    pub gate: Option<String>,
    /// Its variables (strings, numbers or booleans), in file order.
    pub variables: Vec<(String, serde_json::Value)>,
    pub description: Option<String>,
    /// Groups switched on or off here, in file order.
    pub group_switches: Vec<GroupSwitch>,
    /// Components switched or pinned here, in file order.
    pub component_overrides: Vec<ComponentOverride>,
}

/// A group switched on or off in one environment.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupSwitch {
    pub group: String,
    pub enabled: bool,
    pub reason: Option<String>,
}

/// A component switched on/off or pinned in one environment.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentOverride {
    pub component: String,
    pub enabled: Option<bool>,
    pub version: Option<String>,
    pub reason: Option<String>,
}

/// A group of components (a department).
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub name: String,
    pub paths: Vec<String>,
    pub description: Option<String>,
}

/// A deployable component.
#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub name: String,
    pub tier: String,
    pub group: Option<String>,
    /// Its own paths (may be empty; see [`Config::paths_of`]).
    pub paths: Vec<String>,
    pub metadata: serde_json::Map<String, serde_json::Value>,
    pub description: Option<String>,
}

/// Names used by `plan --format tfvars-json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tfvars {
    /// The list of enabled components (default `enabled_components`).
    pub components: String,
    /// The map of component metadata, when wanted.
    pub metadata: Option<String>,
    /// The list of the components this run touches (default `selected_components`).
    pub selected: String,
}

impl Config {
    /// The tiers, least trusted first.
    pub fn tiers(&self) -> &[String] {
        &self.tiers
    }

    /// The environments in promotion order.
    pub fn environments(&self) -> &[Environment] {
        &self.environments
    }

    /// The environment called `name`.
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.env_index.get(name).map(|&i| &self.environments[i])
    }

    /// The groups in file order.
    pub fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// The group called `name`.
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.group_index.get(name).map(|&i| &self.groups[i])
    }

    /// The components in file order.
    pub fn components(&self) -> &[Component] {
        &self.components
    }

    /// The component called `name`.
    pub fn component(&self, name: &str) -> Option<&Component> {
        self.component_index.get(name).map(|&i| &self.components[i])
    }

    /// The paths that belong to a component: its own when it has any, else its group's with
    /// `{component}` replaced by the component's name, else none. (A component without paths
    /// of its own, in a group whose paths have no `{component}`, changes when anything in its
    /// group changes: deploying a little too much is safer than missing a change.)
    pub fn paths_of(&self, component: &Component) -> Vec<String> {
        if !component.paths.is_empty() {
            return component.paths.clone();
        }
        component
            .group
            .as_deref()
            .and_then(|g| self.group(g))
            .map(|g| {
                g.paths
                    .iter()
                    .map(|p| expand_placeholder(p, &component.name))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The paths that belong to a group as a whole: its `paths`, with `{component}` matching
    /// any name (`*`).
    pub fn group_paths(&self, group: &Group) -> Vec<String> {
        group
            .paths
            .iter()
            .map(|p| p.replace(COMPONENT_PLACEHOLDER, "*"))
            .collect()
    }

    /// Named approver groups, in file order.
    pub fn approvers(&self) -> &[(String, ApproverGroupDef)] {
        &self.approvers
    }

    /// Gate policies, in file order.
    pub fn gates(&self) -> &[(String, GateDef)] {
        &self.gates
    }

    /// The gate policy called `name`.
    pub fn gate(&self, name: &str) -> Option<&GateDef> {
        self.gates.iter().find(|(n, _)| n == name).map(|(_, g)| g)
    }

    /// The tfvars variable names.
    pub fn tfvars(&self) -> &Tfvars {
        &self.tfvars
    }

    /// Notification targets and identities (`shipgate notify`).
    pub fn notify(&self) -> &schema::NotifyDef {
        &self.notify
    }

    /// The position of the component `name` in the file.
    pub fn component_position(&self, name: &str) -> Option<usize> {
        self.component_index.get(name).copied()
    }

    /// The position of `tier` from least (0) to most trusted.
    pub fn tier_rank(&self, tier: &str) -> Option<usize> {
        self.tiers.iter().position(|t| t == tier)
    }
}

/// Finds the config file: `explicit` when given (any readable path that is not a folder:
/// a file, a pipe such as `--config <(git show HEAD~1:.shipgate.yml)`, a device), else
/// `.shipgate.yml` (or `.yaml`) in `start_dir` or the nearest parent up to the repository
/// root (the folder with `.git`). `Ok(None)` when there is none. Costs a few `stat` calls.
pub fn find(start_dir: &Path, explicit: Option<&Path>) -> Result<Option<PathBuf>, Failure> {
    if let Some(path) = explicit {
        let full = if path.is_absolute() {
            path.to_path_buf()
        } else {
            start_dir.join(path)
        };
        return match std::fs::metadata(&full) {
            Ok(meta) if meta.is_dir() => Err(Failure::input(
                "config",
                format!("{} is a folder, not a file", quote_path(path)),
            )),
            Ok(_) => Ok(Some(full)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Failure::input(
                "config",
                format!("{} does not exist", quote_path(path)),
            )),
            Err(e) => Err(Failure::input(
                "config",
                format!("cannot read {}: {e}", quote_path(path)),
            )),
        };
    }
    let mut dir = start_dir.to_path_buf();
    loop {
        for name in FILE_NAMES {
            let candidate = dir.join(name);
            match std::fs::metadata(&candidate) {
                Ok(meta) if !meta.is_dir() => return Ok(Some(candidate)),
                Ok(_) => {}
                // There but unreadable (a dangling link, no permission): say so rather than
                // run as if there were no model.
                Err(e) if std::fs::symlink_metadata(&candidate).is_ok() => {
                    return Err(Failure::input(
                        "config",
                        format!("cannot read {}: {e}", quote_path(&candidate)),
                    ))
                }
                Err(_) => {}
            }
        }
        if dir.join(".git").exists() {
            return Ok(None);
        }
        let parent = match dir.canonicalize() {
            Ok(abs) => abs.parent().map(Path::to_path_buf),
            Err(_) => None,
        };
        match parent {
            Some(p) if p != dir => dir = p,
            _ => return Ok(None),
        }
    }
}

/// A path as messages quote it (one line, bounded).
fn quote_path(path: &Path) -> String {
    crate::error::quote(&path.display().to_string())
}

/// The largest model file read (a 10,000-component model is about 1 MB).
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a text file for `input` (exit 2 on any problem): at most `max` bytes, from any
/// readable path (pipes included), and UTF-8, or an error at the line and column of the
/// first bad byte.
pub fn read_text(path: &Path, input: &str, max: u64) -> Result<String, Failure> {
    use std::io::Read;
    let shown = display_path(path);
    let cannot = |e: std::io::Error| {
        Failure::input(
            input,
            format!("cannot read {}: {e}", crate::error::quote(&shown)),
        )
    };
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > max {
        return Err(Failure::input(
            input,
            format!(
                "{} is larger than {}",
                crate::error::quote(&shown),
                if max >= 1024 * 1024 {
                    format!("{} MiB", max / (1024 * 1024))
                } else {
                    format!("{max} bytes")
                }
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let before = String::from_utf8_lossy(&e.as_bytes()[..valid]);
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Failure::input_at(
            input,
            Location {
                file: shown.clone(),
                line: u64::try_from(line).unwrap_or(u64::MAX),
                col: u64::try_from(col).unwrap_or(u64::MAX),
            },
            format!("the file is not UTF-8 text (invalid byte at offset {valid})"),
        )
    })
}

/// Finds and loads the model for a verb that cannot work without one (`plan`, `config
/// validate`): `--config`, else discovery from the working directory up; none is exit 2.
pub fn load_required(
    platform: &crate::platform::Platform,
    flag: Option<&str>,
) -> Result<Config, Failure> {
    let found = platform.find_config(flag, std::path::Path::new("."))?;
    let path = found.ok_or_else(|| {
        Failure::input(
            "config",
            "no .shipgate.yml found here or in a parent folder up to the repository root; pass --config PATH",
        )
    })?;
    load(&path)
}

/// Reads and checks the file at `path`. Any problem is exit 2, with every diagnostic.
pub fn load(path: &Path) -> Result<Config, Failure> {
    let text = read_text(path, "config", MAX_FILE_BYTES)?;
    from_str(&text, &display_path(path))
}

/// The file's name for messages and annotations: without a leading `./`.
fn display_path(path: &Path) -> String {
    let text = path.display().to_string();
    match text.strip_prefix("./") {
        Some(rest) => rest.to_string(),
        None => text,
    }
}

/// Checks YAML text as a config file named `file` (for messages).
///
/// A small model loads; a component's paths are its own, else its group's with
/// `{component}` replaced by its name:
///
/// ```
/// let config = shipgate::config::from_str(
///     r#"
/// version: 1
/// tiers: [experimental, stable]
/// environments:
///   - name: staging
///   - name: prod
///     tiers: [stable]
/// groups:
///   backend: { paths: ["services/{component}/**"] }
/// components:
///   api: { tier: stable, group: backend }
///   search: { tier: experimental, group: backend, paths: ["infra/search/**"] }
/// "#,
///     ".shipgate.yml",
/// )?;
/// let names: Vec<&str> = config.environments().iter().map(|e| e.name.as_str()).collect();
/// assert_eq!(names, ["staging", "prod"]);
/// let api = config.component("api").unwrap();
/// assert_eq!(config.paths_of(api), ["services/api/**"]);
/// let search = config.component("search").unwrap();
/// assert_eq!(config.paths_of(search), ["infra/search/**"]);
/// # Ok::<(), shipgate::error::Failure>(())
/// ```
///
/// A mistake is bad input (exit 2) at its file:line:col, with a suggestion when a name is
/// close to one that exists:
///
/// ```
/// let text = "version: 1
/// tiers: [stable]
/// environments:
///   - name: prod
/// components:
///   api: { tier: stabel }
/// ";
/// let err = shipgate::config::from_str(text, ".shipgate.yml").unwrap_err();
/// assert_eq!(err.exit_code(), 2);
/// assert_eq!(
///     err.to_string(),
///     ".shipgate.yml:6:16: input 'config': component 'api' is in unknown tier 'stabel' \
///      (tiers: stable); did you mean 'stable'?"
/// );
///
/// // Unknown keys too: every key of the file is checked against the schema.
/// let text = "version: 1\ntiers: [stable]\nenvironments:\n  - name: prod\n    colour: blue\n";
/// let err = shipgate::config::from_str(text, ".shipgate.yml").unwrap_err();
/// assert!(err
///     .to_string()
///     .starts_with(".shipgate.yml:5:5: input 'config': unknown key 'colour' in environments[0]"));
/// ```
pub fn from_str(text: &str, file: &str) -> Result<Config, Failure> {
    let parsed = yaml::parse(text).map_err(|e| {
        diag::into_failure(file, text, vec![diag::Diagnostic::new(e.span, e.message)])
    })?;
    let root = parsed.root;
    if root.as_map().is_none() {
        let message = "expected a mapping with `version: 1`, `tiers` and `environments` (see `shipgate config schema`)";
        return Err(diag::into_failure(
            file,
            text,
            vec![diag::Diagnostic::new(root.span, message)],
        ));
    }
    let mut problems: Vec<diag::Diagnostic> = parsed
        .problems
        .into_iter()
        .map(|p| diag::Diagnostic::new(p.span, p.message))
        .collect();
    // The checks and the conversion only read the tree: on a big file, doing them side by
    // side saves a third of the time after parsing. The conversion's result counts only
    // when the checks find nothing (their messages are the better ones).
    let schema = schema_value();
    let (found, def) = std::thread::scope(|scope| {
        let checks = scope.spawn(|| {
            let mut found = check::check(&root, schema);
            found.extend(validate::validate(&root));
            found
        });
        let def = to_def(&root);
        let found = checks.join().unwrap_or_else(|_| {
            vec![diag::Diagnostic::new(
                root.span,
                "the checks of this file failed unexpectedly",
            )]
        });
        (found, def)
    });
    problems.extend(found);
    if !problems.is_empty() {
        return Err(diag::into_failure(file, text, problems));
    }
    let def = def.map_err(|d| diag::into_failure(file, text, vec![d]))?;
    Ok(build(def, file))
}

/// Reads YAML given as the value of an input (the gate's inline `policy`) as a `T`, with
/// the model loader's limits (aliases, expanded bytes). Every problem is exit 2 on one line
/// naming `input`, with `line L, column C` inside the text and the source line as a separate
/// excerpt.
pub fn from_input<T: serde::de::DeserializeOwned>(text: &str, input: &str) -> Result<T, Failure> {
    let lines = diag::yaml_lines(text);
    let fail = |span: yaml::Span, message: String| {
        let at = if span.line == 0 {
            String::new()
        } else {
            format!("line {}, column {}: ", span.line, span.col)
        };
        Failure::input(input, format!("{at}{message}"))
            .with_snippet(diag::render_snippet(&lines, span))
    };
    let parsed = yaml::parse(text).map_err(|e| fail(e.span, e.message))?;
    if let Some(first) = parsed.problems.into_iter().next() {
        return Err(fail(first.span, first.message));
    }
    if parsed.root.as_map().is_none() {
        let found = parsed.root.kind_name();
        return Err(fail(
            parsed.root.span,
            format!("expected a mapping of keys and values, found {found}"),
        ));
    }
    de::from_node::<T>(&parsed.root, false).map_err(|e| {
        let span = e.span.unwrap_or(parsed.root.span);
        let mut message = e.message.replace('`', "'");
        // serde names our Rust types ("expected struct RuleDef"); say what to write.
        if let Some(cut) = message.find(", expected struct ") {
            message.truncate(cut);
            message.push_str(", expected a mapping");
        }
        for (rust, words) in [
            (
                "expected u32",
                "expected a whole number from 0 to 4294967295",
            ),
            ("expected u64", "expected a whole number from 0"),
        ] {
            message = message.replace(rust, words);
        }
        fail(span, message)
    })
}

/// The generated JSON Schema, made once per process.
fn schema_value() -> &'static serde_json::Value {
    static SCHEMA: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    SCHEMA.get_or_init(schema::json_schema)
}

/// The JSON Schema of `.shipgate.yml`, pretty-printed.
pub fn schema_text() -> String {
    let mut text = serde_json::to_string_pretty(schema_value()).unwrap_or_default();
    text.push('\n');
    text
}

/// The checked tree as the schema types (top-level `x-` keys dropped).
/// The checked tree as the schema types (top-level `x-` keys skipped). The checks above
/// accept only what these types accept; a failure here is a bug, but still reported as a
/// config error at the node concerned rather than a crash.
fn to_def(root: &yaml::Node) -> Result<schema::FileDef, diag::Diagnostic> {
    de::from_node(root, true).map_err(|e| {
        diag::Diagnostic::new(
            e.span.unwrap_or(root.span),
            format!("cannot read the file: {e}"),
        )
    })
}

fn build(def: schema::FileDef, file: &str) -> Config {
    let tiers: Vec<String> = def.tiers.into_iter().map(|t| t.0).collect();
    let mut overrides: HashMap<String, schema::OverrideDef> = def.overrides.0.into_iter().collect();
    // Named accounts become their ids here, once: every plan carries the id.
    let accounts: HashMap<String, String> = def
        .accounts
        .0
        .into_iter()
        .map(|(name, id)| (name, id.0))
        .collect();
    let environments: Vec<Environment> = def
        .environments
        .into_iter()
        .map(|e| {
            let name = e.name.0;
            let received: Vec<String> = match e.tiers {
                Some(list) => {
                    let wanted: Vec<String> = list.into_iter().map(|t| t.0).collect();
                    tiers
                        .iter()
                        .filter(|t| wanted.contains(t))
                        .cloned()
                        .collect()
                }
                None => tiers.clone(),
            };
            let o = overrides.remove(&name).unwrap_or_default();
            Environment {
                tiers: received,
                account: e
                    .account
                    .map(|a| accounts.get(&a.0).cloned().unwrap_or(a.0)),
                url: e.url,
                gate: e.gate.map(|g| g.0),
                variables: e.variables.0,
                description: e.description,
                group_switches: o
                    .groups
                    .0
                    .into_iter()
                    .map(|(group, g)| GroupSwitch {
                        group,
                        enabled: g.enabled,
                        reason: g.reason,
                    })
                    .collect(),
                component_overrides: o
                    .components
                    .0
                    .into_iter()
                    .map(|(component, c)| ComponentOverride {
                        component,
                        enabled: c.enabled,
                        version: c.version,
                        reason: c.reason,
                    })
                    .collect(),
                name,
            }
        })
        .collect();
    let groups: Vec<Group> = def
        .groups
        .0
        .into_iter()
        .map(|(name, g)| Group {
            name,
            paths: g.paths,
            description: g.description,
        })
        .collect();
    let only_tier = if tiers.len() == 1 {
        tiers.first().cloned()
    } else {
        None
    };
    let components: Vec<Component> = def
        .components
        .0
        .into_iter()
        .map(|(name, c)| Component {
            name,
            tier: c
                .tier
                .map(|t| t.0)
                .or_else(|| only_tier.clone())
                .unwrap_or_default(),
            group: c.group.map(|g| g.0),
            paths: c.paths,
            metadata: c.metadata,
            description: c.description,
        })
        .collect();
    let index = |names: Vec<&String>| -> HashMap<String, usize> {
        names
            .into_iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect()
    };
    Config {
        file: file.to_string(),
        env_index: index(environments.iter().map(|e| &e.name).collect()),
        group_index: index(groups.iter().map(|g| &g.name).collect()),
        component_index: index(components.iter().map(|c| &c.name).collect()),
        tiers,
        environments,
        groups,
        components,
        approvers: def.approvers.0,
        gates: def.gates.0,
        tfvars: Tfvars {
            components: def
                .tfvars
                .components
                .map(|v| v.0)
                .unwrap_or_else(|| DEFAULT_COMPONENTS_VAR.to_string()),
            metadata: def.tfvars.metadata.map(|v| v.0),
            selected: def
                .tfvars
                .selected
                .map(|v| v.0)
                .unwrap_or_else(|| DEFAULT_SELECTED_VAR.to_string()),
        },
        notify: def.notify,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "version: 1
tiers: [experimental, stable]
environments:
  - name: staging
  - name: prod
    tiers: [stable]
    account: \"222222222222\"
groups:
  parking: { paths: [\"etl/parking/**\"] }
  housing: { paths: [\"etl/housing/{component}.py\"] }
components:
  cash: { tier: stable, group: parking }
  ml: { tier: experimental, group: parking, paths: [\"etl/parking/ml/**\"] }
  rents: { tier: stable, group: housing }
overrides:
  prod: { groups: { parking: { enabled: false, reason: corrupt } } }
";

    #[test]
    fn loads_the_model_with_defaults_filled_in() {
        let config = from_str(SEED, ".shipgate.yml").unwrap();
        assert_eq!(config.tiers(), ["experimental", "stable"]);
        let staging = config.environment("staging").unwrap();
        assert_eq!(staging.tiers, ["experimental", "stable"]);
        let prod = config.environment("prod").unwrap();
        assert_eq!(prod.account.as_deref(), Some("222222222222"));
        assert_eq!(prod.group_switches[0].group, "parking");
        assert!(!prod.group_switches[0].enabled);
        let cash = config.component("cash").unwrap();
        assert_eq!(config.paths_of(cash), ["etl/parking/**"]);
        let ml = config.component("ml").unwrap();
        assert_eq!(config.paths_of(ml), ["etl/parking/ml/**"]);
        let rents = config.component("rents").unwrap();
        assert_eq!(config.paths_of(rents), ["etl/housing/rents.py"]);
        assert_eq!(
            config.group_paths(config.group("housing").unwrap()),
            ["etl/housing/*.py"]
        );
        assert_eq!(config.tfvars().components, "enabled_components");
    }

    #[test]
    fn placeholders_expand_and_other_braces_stay() {
        assert_eq!(
            expand_placeholder("a/{component}/{x,y}/{component}.py", "j"),
            "a/j/{x,y}/j.py"
        );
        assert_eq!(expand_placeholder("plain/**", "j"), "plain/**");
        assert_eq!(expand_placeholder("{", "j"), "{");
    }

    #[test]
    fn environment_tiers_follow_the_tier_order() {
        let text = SEED.replace(
            "    tiers: [stable]\n",
            "    tiers: [stable, experimental]\n",
        );
        let config = from_str(&text, "x").unwrap();
        assert_eq!(
            config.environment("prod").unwrap().tiers,
            ["experimental", "stable"]
        );
    }

    #[test]
    fn a_single_tier_needs_no_tier_on_components() {
        let text =
            "version: 1\ntiers: [main]\nenvironments: [{name: prod}]\ncomponents:\n  api: {}\n";
        let config = from_str(text, "x").unwrap();
        assert_eq!(config.component("api").unwrap().tier, "main");
    }

    #[test]
    fn every_problem_is_reported_at_once_with_positions_and_snippets() {
        let text = "version: 1\ntiers: [experimental, stable]\nenvironments:\n  - name: prod\n    tiers: [gold]\n  - name: prod\ncomponents:\n  a: {tier: stabel, group: nope}\n  b: {tier: stable, colour: red}\n";
        let err = from_str(text, ".shipgate.yml").unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let lines: Vec<String> = err.leaves().iter().map(|f| f.to_string()).collect();
        assert_eq!(
            lines,
            vec![
                ".shipgate.yml:5:13: input 'config': environment 'prod' receives unknown tier 'gold' (tiers: experimental, stable)",
                ".shipgate.yml:6:11: input 'config': duplicate environment 'prod' (first defined on line 4)",
                ".shipgate.yml:8:13: input 'config': component 'a' is in unknown tier 'stabel' (tiers: experimental, stable); did you mean 'stable'?",
                ".shipgate.yml:8:28: input 'config': component 'a' is in unknown group 'nope' (no groups are defined)",
                ".shipgate.yml:9:21: input 'config': unknown key 'colour' in components.b (expected one of: tier, group, paths, metadata, description)",
            ]
        );
        let snippet = err.leaves()[2].snippet().unwrap().to_string();
        assert_eq!(
            snippet,
            "  |\n8 |   a: {tier: stabel, group: nope}\n  |             ^^^^^^"
        );
    }

    #[test]
    fn yaml_syntax_errors_stop_with_a_position() {
        let err = from_str("version: 1\ntiers: [a\n", "f.yml").unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert!(err.to_string().starts_with("f.yml:"), "{err}");
        assert!(err.to_string().contains("invalid YAML"), "{err}");
    }

    #[test]
    fn an_empty_file_says_what_is_expected() {
        let err = from_str("", "f.yml").unwrap_err();
        assert!(
            err.to_string()
                .contains("expected a mapping with `version: 1`"),
            "{err}"
        );
    }

    #[test]
    fn find_prefers_explicit_then_walks_up_to_the_repo_root() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        assert_eq!(find(&root.join("a/b"), None).unwrap(), None);
        std::fs::write(root.join(".shipgate.yml"), SEED).unwrap();
        let found = find(&root.join("a/b"), None).unwrap().unwrap();
        assert_eq!(
            found.canonicalize().unwrap(),
            root.join(".shipgate.yml").canonicalize().unwrap()
        );
        let err = find(root, Some(Path::new("missing.yml"))).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        std::fs::write(root.join("other.yml"), SEED).unwrap();
        assert_eq!(
            find(root, Some(Path::new("other.yml"))).unwrap(),
            Some(root.join("other.yml"))
        );
        // A dangling link is an error, not "no model".
        let sub = root.join("a/b");
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(sub.join("gone.yml"), sub.join(".shipgate.yml")).unwrap();
            let err = find(&sub, None).unwrap_err();
            assert!(err.to_string().contains("cannot read"), "{err}");
        }
    }
}
