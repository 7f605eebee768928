//! `shipgate plan`: what an environment gets, resolved by [`crate::model`] and rendered.
//!
//! `--tier` keeps one tier (the hotfix path), `--changes` keeps the components that changed,
//! and `--diff` compares two environments' plans (what promotion adds or removes).

mod render;

use std::path::Path;

use crate::cli::plan::Args;
use crate::config::{self, Config};
use crate::error::Failure;
use crate::model::{changes, diff, narrow, resolve, Plan};
use crate::platform::Platform;

pub use render::{Format, Output};

/// Runs `shipgate plan`: finds and loads the config, resolves, narrows, diffs, renders.
pub fn run(args: &Args, platform: &Platform) -> Result<Output, Failure> {
    let format_text = platform.input("format", args.format.as_deref());
    let format = match format_text.as_deref() {
        Some(text) => Format::parse(text)?,
        None if platform.format == crate::platform::OutputFormat::Json => Format::Json,
        None => Format::Text,
    };
    let env = platform
        .input("env", args.env.as_deref())
        .or_else(|| platform.input("environment", None))
        .ok_or_else(|| {
            Failure::input(
                "env",
                "which environment? pass --env NAME (see `shipgate config validate` for the list)",
            )
        })?;
    let tier = platform.input("tier", args.tier.as_deref());
    let other = platform.input("diff", args.diff.as_deref());
    let changes_file = platform.input("changes", args.changes.as_deref());
    let config = load_config(platform, args.config.as_deref())?;
    let changed = match &changes_file {
        Some(path) => Some(changes::read(Path::new(path), &config)?),
        None => None,
    };
    let plan_for = |name: &str| -> Result<Plan, Failure> {
        let plan = resolve(&config, name, tier.as_deref())?;
        Ok(match &changed {
            Some(set) => narrow(plan, set),
            None => plan,
        })
    };
    let from = plan_for(&env)?;
    match other {
        Some(other) => {
            let to = plan_for(&other).map_err(|f| match f {
                Failure::Input { message, .. } if message.starts_with("unknown environment") => {
                    Failure::input("diff", message)
                }
                other => other,
            })?;
            render::diff(&diff(from, to), format)
        }
        None => render::plan(&from, &config, format),
    }
}

/// Finds and loads the config for a verb: `--config`/`INPUT_CONFIG`, else `.shipgate.yml`
/// here or up to the repository root. No file is exit 2.
pub fn load_config(platform: &Platform, flag: Option<&str>) -> Result<Config, Failure> {
    let explicit = platform.input("config", flag);
    let found = config::find(Path::new("."), explicit.as_deref().map(Path::new))?;
    let path = found.ok_or_else(|| {
        Failure::input(
            "config",
            "no .shipgate.yml found here or in a parent folder up to the repository root; pass --config PATH",
        )
    })?;
    config::load(&path)
}
