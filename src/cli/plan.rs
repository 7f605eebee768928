//! `shipgate plan` flags. Every flag is also read from `INPUT_<NAME>` when not given.

use clap::Args as ClapArgs;

pub const AFTER_HELP: &str = "What ENV gets: the components in the tiers it receives, minus the groups it switches off,
with its overrides (components switched off or on, pinned versions) from .shipgate.yml.

Formats:
  text         one line per component, then what is left out and why (default)
  json         the whole plan (components with tier, group, version, paths, metadata; left-out ones with reasons)
  tfvars-json  a Terraform -var-file: environment, tiers, the enabled list (tfvars.components, default
               enabled_components: always every component the environment gets), the selected list
               (tfvars.selected, default selected_components: what this run touches), account,
               variables; write it to plan.auto.tfvars.json
  dotenv       SHIPGATE_ENVIRONMENT, SHIPGATE_COMPONENTS (comma-separated: what this run touches),
               SHIPGATE_ENABLED (all the environment keeps), SHIPGATE_COMPONENTS_<TIER>, SHIPGATE_COUNT,
               SHIPGATE_ACCOUNT, SHIPGATE_URL, and the variables (GitLab artifacts:reports:dotenv)
  github       step outputs: components (JSON: what this run touches), enabled (all the environment keeps),
               count, any, components_<tier>, matrix, tiers, account, url, gate, disabled_groups, variables;
               the Markdown plan as the job summary
  markdown     a table for a job summary or merge-request note

With --diff OTHER: what promotion from ENV to OTHER adds (+), removes (-, with why) and re-pins (~).

Exit codes:
  0  done   2  bad input or configuration (unknown environment or tier, invalid .shipgate.yml)";

#[derive(Debug, Clone, Default, ClapArgs)]
pub struct Args {
    /// The environment to plan (a name under `environments`).
    #[arg(long, visible_alias = "environment", value_name = "ENV")]
    pub env: Option<String>,
    /// Only this tier: the hotfix path (e.g. --tier stable). The other tiers stay deployed:
    /// tfvars-json keeps them in the enabled list and names the touched ones in the selected list.
    #[arg(long, value_name = "TIER")]
    pub tier: Option<String>,
    /// Output format: text, json, tfvars-json, dotenv, github or markdown.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Compare with another environment: what promotion from --env to it adds or removes.
    #[arg(long, value_name = "OTHER_ENV")]
    pub diff: Option<String>,
    /// The JSON that detect-changes wrote: plan only the components that changed.
    #[arg(long, value_name = "FILE")]
    pub changes: Option<String>,
    /// The pipeline model (default: .shipgate.yml here or up to the repository root).
    #[arg(long, value_name = "PATH")]
    pub config: Option<String>,
}
