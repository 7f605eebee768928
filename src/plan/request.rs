//! The plan request: its flags and `INPUT_*` variables, the pipeline model and the
//! `changes` file, read and checked before anything is resolved. The one file of `plan`
//! that names `cli::*`.

use std::path::Path;

use super::Format;
use crate::cli::plan::Args;
use crate::config::load_required as load_config;
use crate::config::Config;
use crate::error::Failure;
use crate::model::changes::{self, ChangeSet};
use crate::platform::Platform;

/// What `shipgate plan` is asked for.
#[derive(Debug)]
pub struct Request {
    pub format: Format,
    /// The environment to plan.
    pub env: String,
    /// `--tier`: keep one tier.
    pub tier: Option<String>,
    /// `--diff`: the environment to compare with.
    pub diff: Option<String>,
    /// `--changes`: keep the components that changed.
    pub changed: Option<ChangeSet>,
    pub config: Config,
}

/// Reads the request, in the order its problems are reported: the format, the
/// environment, the config, then the changes file.
pub fn read(args: &Args, platform: &Platform) -> Result<Request, Failure> {
    let format = format(args, platform)?;
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
    let diff = platform.input("diff", args.diff.as_deref());
    let changes_file = platform.input("changes", args.changes.as_deref());
    let config = load_config(platform, args.config.as_deref())?;
    let changed = match &changes_file {
        Some(path) => Some(changes::read(Path::new(path), &config)?),
        None => None,
    };
    Ok(Request {
        format,
        env,
        tier,
        diff,
        changed,
        config,
    })
}

/// `--format`, else JSON under `--output json`, else text.
fn format(args: &Args, platform: &Platform) -> Result<Format, Failure> {
    match platform.input("format", args.format.as_deref()) {
        Some(text) => Format::parse(&text),
        None if platform.format == crate::platform::OutputFormat::Json => Ok(Format::Json),
        None => Ok(Format::Text),
    }
}
