//! The resolved pipeline: what each environment gets from the loaded `.shipgate.yml`.
//!
//! Pure (no inputs, environment variables or output; the one file read is a `--changes`
//! file, in [`changes::read`]), and shared: every verb that asks
//! "what does this environment get?" asks here, so they all answer it the same way:
//! `plan` renders it, `detect-changes` turns it into per-environment filters and finds what
//! a model edit changes, and promotion compares two environments with it.
//!
//! - [`resolve`]: what one environment gets (optionally only one tier, the hotfix path);
//! - [`narrow`]: only the components that changed (a [`ChangeSet`], read from
//!   detect-changes' output by [`changes::read`]);
//! - [`diff`]: what promotion from one environment to another adds, removes and re-pins.
//!
//! An environment gets every component in the tiers it receives, minus the groups it
//! switches off, with its component overrides applied (a component switched off is left
//! out; one switched on is included whatever its tier or group; a pinned version is
//! attached). Resolving is one pass over the components: linear in their number (a few
//! milliseconds for 10,000).

pub mod changes;
mod diff;
mod narrow;
mod resolve;

use std::collections::HashMap;

use serde_json::Value;

pub use changes::ChangeSet;
pub use diff::diff;
pub use narrow::narrow;
pub use resolve::resolve;

/// What one environment gets.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub environment: String,
    pub account: Option<String>,
    pub url: Option<String>,
    pub gate: Option<String>,
    /// The tiers covered: the environment's, or only the `--tier` one.
    pub tiers: Vec<String>,
    /// The `--tier` asked for, if any.
    pub tier_filter: Option<String>,
    /// True when narrowed to changed components (`--changes`).
    pub changes_only: bool,
    pub variables: Vec<(String, Value)>,
    /// The components deployed, in file order: those this run touches (all the environment
    /// receives, unless `--tier` or `--changes` narrowed the plan).
    pub components: Vec<Planned>,
    /// Components the environment receives that a narrowed plan does not touch (another
    /// tier, or unchanged), in file order. They stay deployed: `tfvars-json` keeps them in
    /// the full list, so Terraform never destroys what a hotfix leaves out.
    pub held: Vec<Planned>,
    /// The names of every component the environment receives (`components` and `held`),
    /// in file order.
    pub enabled: Vec<String>,
    /// Every tier the environment receives (`tiers` is only the covered ones).
    pub env_tiers: Vec<String>,
    /// The components left out, with why, in file order.
    pub excluded: Vec<Excluded>,
    /// Groups switched off in this environment.
    pub disabled_groups: Vec<DisabledGroup>,
    /// Every tier of the file (for per-tier outputs), least trusted first.
    pub all_tiers: Vec<String>,
    /// The number of components in the file.
    pub total: usize,
}

impl Plan {
    /// The bundle: what the environment has deployed once this plan is applied, by
    /// component name — every component it receives (touched by this run or held), as
    /// deployed. Two bundles differ exactly where a deployment would (detect-changes finds
    /// what a model edit changes this way).
    pub fn bundle(&self) -> HashMap<&str, Deployment<'_>> {
        self.components
            .iter()
            .chain(&self.held)
            .map(|p| {
                (
                    p.name.as_str(),
                    Deployment {
                        tier: &p.tier,
                        group: p.group.as_deref(),
                        version: p.version.as_deref(),
                        metadata: &p.metadata,
                    },
                )
            })
            .collect()
    }
}

/// One component as an environment has it deployed: its tier, group, pinned version and
/// metadata (whether an override forced it on is how, not what).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Deployment<'a> {
    pub tier: &'a str,
    pub group: Option<&'a str>,
    pub version: Option<&'a str>,
    pub metadata: &'a serde_json::Map<String, Value>,
}

/// A component in a plan (its paths: [`crate::config::Config::paths_of`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub name: String,
    pub tier: String,
    pub group: Option<String>,
    /// A version pinned for this environment.
    pub version: Option<String>,
    pub metadata: serde_json::Map<String, Value>,
    /// Set when an override switched it on although its tier or group would not have.
    pub forced: Option<String>,
}

/// A component left out of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Excluded {
    pub name: String,
    pub tier: String,
    pub group: Option<String>,
    pub why: Why,
}

/// Why a component is left out.
#[derive(Debug, Clone, PartialEq)]
pub enum Why {
    /// The environment does not receive the component's tier.
    TierNotReceived,
    /// `--tier` asked for another tier (the one planned).
    OtherTier { planned: String },
    /// Its group is switched off here.
    GroupSwitchedOff { reason: Option<String> },
    /// An override switched the component off here.
    SwitchedOff { reason: Option<String> },
    /// `--changes` says it did not change.
    Unchanged,
}

impl Why {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Why::TierNotReceived => "tier-not-received",
            Why::OtherTier { .. } => "other-tier",
            Why::GroupSwitchedOff { .. } => "group-switched-off",
            Why::SwitchedOff { .. } => "switched-off",
            Why::Unchanged => "unchanged",
        }
    }

    /// True when the environment still receives the component and only this (narrowed)
    /// run does not touch it: it stays deployed.
    pub fn stays_deployed(&self) -> bool {
        matches!(self, Why::OtherTier { .. } | Why::Unchanged)
    }

    /// A sentence for people, about `component` in `env`.
    pub fn describe(&self, env: &str, tier: &str, group: Option<&str>) -> String {
        let because = |reason: &Option<String>| {
            reason
                .as_ref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        };
        match self {
            Why::TierNotReceived => format!("{env} does not receive tier {tier}"),
            Why::OtherTier { planned } => format!("in tier {tier}; only tier {planned} is planned"),
            Why::GroupSwitchedOff { reason } => {
                format!(
                    "group {} is switched off in {env}{}",
                    group.unwrap_or("?"),
                    because(reason)
                )
            }
            Why::SwitchedOff { reason } => format!("switched off in {env}{}", because(reason)),
            Why::Unchanged => "unchanged".to_string(),
        }
    }
}

/// A group switched off in an environment.
#[derive(Debug, Clone, PartialEq)]
pub struct DisabledGroup {
    pub group: String,
    pub reason: Option<String>,
}

/// What promotion from one environment to another changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Diff {
    pub from: Plan,
    pub to: Plan,
    /// In `to` but not in `from`.
    pub added: Vec<Planned>,
    /// In `from` but not in `to`, with why `to` leaves them out.
    pub removed: Vec<(Planned, Option<Why>)>,
    /// In both, with a different pinned version: (name, from version, to version).
    pub changed: Vec<(String, Option<String>, Option<String>)>,
    /// In both and the same.
    pub unchanged: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, Config};

    const SEED: &str = "version: 1
tiers: [experimental, stable]
environments:
  - name: staging
  - name: prod
    tiers: [stable]
groups:
  parking: {}
  housing: {}
components:
  cash: { tier: stable, group: parking }
  ml: { tier: experimental, group: parking }
  rents: { tier: stable, group: housing }
  trial: { tier: experimental, group: housing }
  pinned: { tier: stable }
overrides:
  prod:
    groups: { housing: { enabled: false, reason: corrupt source } }
    components:
      trial: { enabled: true, reason: pilot }
      pinned: { version: \"1.4.2\" }
  staging:
    components:
      cash: { enabled: false }
";

    fn config() -> Config {
        config::from_str(SEED, "x").unwrap()
    }

    fn names(plan: &Plan) -> Vec<&str> {
        plan.components.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn staging_gets_both_tiers_minus_its_overrides() {
        let plan = resolve(&config(), "staging", None).unwrap();
        assert_eq!(names(&plan), ["ml", "rents", "trial", "pinned"]);
        assert_eq!(plan.excluded[0].why, Why::SwitchedOff { reason: None });
    }

    #[test]
    fn prod_gets_stable_minus_switched_off_groups_plus_forced_components() {
        let plan = resolve(&config(), "prod", None).unwrap();
        assert_eq!(names(&plan), ["cash", "trial", "pinned"]);
        assert_eq!(plan.components[1].forced.as_deref(), Some("pilot"));
        assert_eq!(plan.components[2].version.as_deref(), Some("1.4.2"));
        let why: Vec<(&str, &str)> = plan
            .excluded
            .iter()
            .map(|e| (e.name.as_str(), e.why.code()))
            .collect();
        assert_eq!(
            why,
            [("ml", "tier-not-received"), ("rents", "group-switched-off")]
        );
    }

    #[test]
    fn tier_filter_is_the_hotfix_path() {
        let plan = resolve(&config(), "staging", Some("stable")).unwrap();
        assert_eq!(names(&plan), ["rents", "pinned"]);
        let err = resolve(&config(), "prod", Some("experimental")).unwrap_err();
        assert_eq!(err.to_string(), "input 'tier': environment 'prod' does not receive tier 'experimental' (it receives: stable)");
        let err = resolve(&config(), "prod", Some("stabel")).unwrap_err();
        assert!(err.to_string().ends_with("did you mean 'stable'?"), "{err}");
    }

    #[test]
    fn unknown_environment_lists_the_known_ones() {
        let err = resolve(&config(), "prd", None).unwrap_err();
        assert_eq!(err.exit_code(), 2);
        assert_eq!(
            err.to_string(),
            "input 'env': unknown environment 'prd' (known: staging, prod); did you mean 'prod'?"
        );
    }

    #[test]
    fn diff_shows_what_promotion_adds_removes_and_repins() {
        let c = config();
        let d = diff(
            resolve(&c, "staging", None).unwrap(),
            resolve(&c, "prod", None).unwrap(),
        );
        let added: Vec<&str> = d.added.iter().map(|p| p.name.as_str()).collect();
        let removed: Vec<(&str, &str)> = d
            .removed
            .iter()
            .map(|(p, w)| (p.name.as_str(), w.as_ref().map(Why::code).unwrap_or("")))
            .collect();
        assert_eq!(added, ["cash"]);
        assert_eq!(
            removed,
            [("ml", "tier-not-received"), ("rents", "group-switched-off")]
        );
        assert_eq!(
            d.changed,
            [("pinned".to_string(), None, Some("1.4.2".to_string()))]
        );
        assert_eq!(d.unchanged, 1);
    }

    #[test]
    fn narrowing_keeps_changed_components_only() {
        let c = config();
        let set = ChangeSet::from_names(["rents", "ml"].map(String::from));
        let plan = narrow(resolve(&c, "staging", None).unwrap(), &set);
        assert_eq!(names(&plan), ["ml", "rents"]);
        assert!(plan.changes_only);
        assert_eq!(
            plan.excluded
                .iter()
                .filter(|e| e.why == Why::Unchanged)
                .count(),
            2
        );
    }

    #[test]
    fn the_bundle_is_what_stays_deployed_whatever_the_run_touches() {
        let c = config();
        let full = resolve(&c, "prod", None).unwrap();
        let hotfix = resolve(&c, "prod", Some("stable")).unwrap();
        let changed = narrow(
            resolve(&c, "prod", None).unwrap(),
            &ChangeSet::from_names(["cash".to_string()]),
        );
        assert_eq!(hotfix.bundle(), full.bundle());
        assert_eq!(changed.bundle(), full.bundle());
        let bundle = full.bundle();
        let mut names: Vec<&str> = bundle.keys().copied().collect();
        names.sort_unstable();
        assert_eq!(names, ["cash", "pinned", "trial"]);
        assert_eq!(bundle["pinned"].version, Some("1.4.2"));
        assert_eq!(bundle["trial"].tier, "experimental");
    }

    /// The `.rs` files under `src/<dir>`, with their text.
    fn sources(dir: &str) -> Vec<(std::path::PathBuf, String)> {
        let mut out = Vec::new();
        let mut todo = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("src")
            .join(dir)];
        while let Some(dir) = todo.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    todo.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    out.push((path, text));
                }
            }
        }
        assert!(!out.is_empty(), "no sources under src/{dir}");
        out
    }

    #[test]
    fn no_verb_imports_another_and_no_floor_imports_a_verb() {
        let verbs = ["plan", "changes", "gate", "notify", "cli"];
        for (path, text) in sources("model") {
            for verb in verbs {
                let import = format!("crate::{verb}::");
                assert!(!text.contains(&import), "{} names {import}", path.display());
            }
        }
        // No verb imports another verb (DESIGN §3); the shared floors import none.
        let all = ["changes", "gate", "notify", "plan"];
        for dir in all {
            for (path, text) in sources(dir) {
                for other in all.iter().filter(|v| **v != dir) {
                    for form in [format!("crate::{other}::"), format!("crate::{other};")] {
                        assert!(
                            !text.contains(&form),
                            "{} imports the {other} verb; what verbs share lives in model/, ledger/, forge/ or platform/",
                            path.display()
                        );
                    }
                }
            }
        }
        for floor in ["config", "forge", "ledger", "platform"] {
            for (path, text) in sources(floor) {
                for verb in all {
                    assert!(
                        !text.contains(&format!("crate::{verb}::")),
                        "{} (a shared floor) imports the {verb} verb",
                        path.display()
                    );
                }
            }
        }
    }
}
