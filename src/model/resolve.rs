//! [`resolve`]: what one environment gets.

use std::collections::HashMap;

use super::{DisabledGroup, Excluded, Plan, Planned, Why};
use crate::config::{self, Config};
use crate::error::Failure;

/// Resolves what `env` gets, optionally only `tier`. Unknown names are exit 2, with the
/// names that exist.
///
/// What an environment gets: the components of the tiers it receives, minus its switched-off
/// groups, with its overrides (a component switched on whatever its tier, a pinned version):
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
///   parking: {}
/// components:
///   cash: { tier: stable, group: parking }
///   ml: { tier: experimental, group: parking }
///   trial: { tier: experimental }
/// overrides:
///   prod:
///     components:
///       trial: { enabled: true, reason: pilot }
///       cash: { version: "1.4.2" }
/// "#,
///     ".shipgate.yml",
/// )?;
///
/// let prod = shipgate::model::resolve(&config, "prod", None)?;
/// let gets: Vec<(&str, Option<&str>)> = prod
///     .components
///     .iter()
///     .map(|c| (c.name.as_str(), c.version.as_deref()))
///     .collect();
/// assert_eq!(gets, [("cash", Some("1.4.2")), ("trial", None)]);
/// assert_eq!(prod.components[1].forced.as_deref(), Some("pilot"));
/// let left_out = &prod.excluded[0];
/// assert_eq!(left_out.name, "ml");
/// assert_eq!(
///     left_out.why.describe("prod", &left_out.tier, None),
///     "prod does not receive tier experimental"
/// );
///
/// // The hotfix path: only the stable tier; the rest stays deployed, untouched.
/// let hotfix = shipgate::model::resolve(&config, "staging", Some("stable"))?;
/// assert_eq!(hotfix.components.len(), 1);
/// assert_eq!(hotfix.enabled, ["cash", "ml", "trial"]);
///
/// // An unknown name is bad input (exit 2), with the names that exist.
/// let err = shipgate::model::resolve(&config, "prd", None).unwrap_err();
/// assert_eq!(err.exit_code(), 2);
/// assert_eq!(
///     err.to_string(),
///     "input 'env': unknown environment 'prd' (known: staging, prod); did you mean 'prod'?"
/// );
/// # Ok::<(), shipgate::error::Failure>(())
/// ```
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
