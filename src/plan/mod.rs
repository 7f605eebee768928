//! `shipgate plan`: what an environment gets, resolved from the pipeline model.
//!
//! An environment gets every component in the tiers it receives, minus the groups it
//! switches off, with its component overrides applied (a component switched off is left
//! out; one switched on is included whatever its tier or group; a pinned version is
//! attached). `--tier` keeps one tier (the hotfix path), `--changes` keeps the components
//! that changed, and `--diff` compares two environments' plans (what promotion adds or
//! removes). Resolving is one pass over the components: linear in their number (a few
//! milliseconds for 10,000).

mod changes;
mod render;
pub mod request;

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::config::{self, Config};
use crate::error::Failure;
use crate::platform::{Outcome, Platform};

pub use changes::ChangeSet;
pub use render::Format;
pub use request::Request;

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

/// A component in a plan (its paths: [`Config::paths_of`]).
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

/// Resolves what `env` gets, optionally only `tier`. Unknown names are exit 2, with the
/// names that exist.
pub fn resolve(config: &Config, env: &str, tier: Option<&str>) -> Result<Plan, Failure> {
    let environment = config.environment(env).ok_or_else(|| {
        unknown(
            "env",
            "environment",
            env,
            config.environments().iter().map(|e| e.name.as_str()),
        )
    })?;
    if let Some(tier) = tier {
        if config.tier_rank(tier).is_none() {
            return Err(unknown(
                "tier",
                "tier",
                tier,
                config.tiers().iter().map(String::as_str),
            ));
        }
        if !environment.tiers.iter().any(|t| t == tier) {
            return Err(Failure::input(
                "tier",
                format!(
                    "environment '{env}' does not receive tier '{tier}' (it receives: {})",
                    environment.tiers.join(", ")
                ),
            ));
        }
    }
    let overrides: HashMap<&str, &config::ComponentOverride> = environment
        .component_overrides
        .iter()
        .map(|o| (o.component.as_str(), o))
        .collect();
    // Few groups are switched off and few tiers received: a scan beats hashing each time.
    let switched_off: Vec<(&str, &Option<String>)> = environment
        .group_switches
        .iter()
        .filter(|g| !g.enabled)
        .map(|g| (g.group.as_str(), &g.reason))
        .collect();
    let received: Vec<&str> = environment.tiers.iter().map(String::as_str).collect();
    let mut components = Vec::new();
    let mut held = Vec::new();
    let mut enabled = Vec::new();
    let mut excluded = Vec::new();
    for c in config.components() {
        let o = overrides.get(c.name.as_str()).copied();
        let group_off = c.group.as_deref().and_then(|g| {
            switched_off
                .iter()
                .find(|(name, _)| *name == g)
                .map(|(_, reason)| *reason)
        });
        let why = match o.and_then(|o| o.enabled) {
            Some(false) => Some(Why::SwitchedOff {
                reason: o.and_then(|o| o.reason.clone()),
            }),
            Some(true) => None,
            None if !received.contains(&c.tier.as_str()) => Some(Why::TierNotReceived),
            None => group_off.map(|reason| Why::GroupSwitchedOff {
                reason: reason.clone(),
            }),
        };
        if let Some(why) = why {
            excluded.push(Excluded {
                name: c.name.clone(),
                tier: c.tier.clone(),
                group: c.group.clone(),
                why,
            });
            continue;
        }
        let forced = o
            .filter(|o| o.enabled == Some(true))
            .filter(|_| !received.contains(&c.tier.as_str()) || group_off.is_some())
            .map(|o| {
                o.reason
                    .clone()
                    .unwrap_or_else(|| format!("switched on in {env}"))
            });
        let planned = Planned {
            name: c.name.clone(),
            tier: c.tier.clone(),
            group: c.group.clone(),
            version: o.and_then(|o| o.version.clone()),
            metadata: c.metadata.clone(),
            forced,
        };
        enabled.push(c.name.clone());
        // `--tier`: the environment still receives the other tiers' components; this run
        // only does not touch them.
        match tier.filter(|t| *t != c.tier) {
            Some(t) => {
                excluded.push(Excluded {
                    name: c.name.clone(),
                    tier: c.tier.clone(),
                    group: c.group.clone(),
                    why: Why::OtherTier {
                        planned: t.to_string(),
                    },
                });
                held.push(planned);
            }
            None => components.push(planned),
        }
    }
    let tiers = match tier {
        Some(t) => vec![t.to_string()],
        None => environment.tiers.clone(),
    };
    Ok(Plan {
        environment: environment.name.clone(),
        account: environment.account.clone(),
        url: environment.url.clone(),
        gate: environment.gate.clone(),
        tiers,
        tier_filter: tier.map(str::to_string),
        changes_only: false,
        variables: environment.variables.clone(),
        components,
        held,
        enabled,
        env_tiers: environment.tiers.clone(),
        excluded,
        disabled_groups: environment
            .group_switches
            .iter()
            .filter(|g| !g.enabled)
            .map(|g| DisabledGroup {
                group: g.group.clone(),
                reason: g.reason.clone(),
            })
            .collect(),
        all_tiers: config.tiers().to_vec(),
        total: config.components().len(),
    })
}

/// Keeps only the components in `changed`; the others move to `excluded` as unchanged.
pub fn narrow(mut plan: Plan, changed: &ChangeSet) -> Plan {
    let (kept, dropped): (Vec<Planned>, Vec<Planned>) = std::mem::take(&mut plan.components)
        .into_iter()
        .partition(|c| changed.contains(&c.name));
    plan.components = kept;
    plan.excluded.extend(dropped.iter().map(|c| Excluded {
        name: c.name.clone(),
        tier: c.tier.clone(),
        group: c.group.clone(),
        why: Why::Unchanged,
    }));
    plan.held.extend(dropped);
    plan.changes_only = true;
    plan
}

/// Compares two plans: what promotion from `from` to `to` adds, removes and changes.
pub fn diff(from: Plan, to: Plan) -> Diff {
    let in_from: HashMap<&str, &Planned> = from
        .components
        .iter()
        .map(|c| (c.name.as_str(), c))
        .collect();
    let in_to: HashMap<&str, &Planned> =
        to.components.iter().map(|c| (c.name.as_str(), c)).collect();
    let why_out: HashMap<&str, &Why> = to
        .excluded
        .iter()
        .map(|e| (e.name.as_str(), &e.why))
        .collect();
    let added = to
        .components
        .iter()
        .filter(|c| !in_from.contains_key(c.name.as_str()))
        .cloned()
        .collect();
    let removed = from
        .components
        .iter()
        .filter(|c| !in_to.contains_key(c.name.as_str()))
        .map(|c| {
            (
                c.clone(),
                why_out.get(c.name.as_str()).map(|w| (*w).clone()),
            )
        })
        .collect();
    let mut changed = Vec::new();
    let mut unchanged = 0;
    for c in &from.components {
        if let Some(other) = in_to.get(c.name.as_str()) {
            if other.version != c.version {
                changed.push((c.name.clone(), c.version.clone(), other.version.clone()));
            } else {
                unchanged += 1;
            }
        }
    }
    Diff {
        from,
        to,
        added,
        removed,
        changed,
        unchanged,
    }
}

fn unknown<'a>(
    input: &str,
    what: &str,
    name: &str,
    known: impl Iterator<Item = &'a str> + Clone,
) -> Failure {
    let list: Vec<&str> = known.clone().collect();
    let guess = config::suggest(name, known)
        .map(|s| format!("; did you mean '{s}'?"))
        .unwrap_or_default();
    Failure::input(
        input,
        format!(
            "unknown {what} '{name}' (known: {}){guess}",
            list.join(", ")
        ),
    )
}

/// Runs `shipgate plan` as `request` (see [`request::read`]) asks: resolves, narrows,
/// diffs, renders.
pub fn run(request: &Request) -> Result<Outcome, Failure> {
    let Request {
        format,
        env,
        tier,
        diff: other,
        changed,
        config,
    } = request;
    let format = *format;
    let plan_for = |name: &str| -> Result<Plan, Failure> {
        let plan = resolve(config, name, tier.as_deref())?;
        Ok(match &changed {
            Some(set) => narrow(plan, set),
            None => plan,
        })
    };
    let from = plan_for(env)?;
    match other {
        Some(other) => {
            let to = plan_for(other).map_err(|f| match f {
                Failure::Input { message, .. } if message.starts_with("unknown environment") => {
                    Failure::input("diff", message)
                }
                other => other,
            })?;
            render::diff(&diff(from, to), format)
        }
        None => render::plan(&from, config, format),
    }
}

/// Finds and loads the config for a verb: `--config`/`INPUT_CONFIG`, else `.shipgate.yml`
/// here or up to the repository root. No file is exit 2.
pub fn load_config(platform: &Platform, flag: Option<&str>) -> Result<Config, Failure> {
    let found = platform.find_config(flag, Path::new("."))?;
    let path = found.ok_or_else(|| {
        Failure::input(
            "config",
            "no .shipgate.yml found here or in a parent folder up to the repository root; pass --config PATH",
        )
    })?;
    config::load(&path)
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
}
