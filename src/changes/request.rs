//! The detect-changes request: its flags and `INPUT_*` variables, read and checked before
//! any git or API call. The one file of detect-changes that names `cli::*`.

use std::path::PathBuf;

use super::format::ListFormat;
use super::matcher::Quantifier;
use super::source::{self, SourceOptions};
use super::Options;
use crate::cli::detect_changes::Args;
use crate::error::{quote, Failure};
use crate::glob::Dialect;
use crate::platform::inputs::{boolean, integer};
use crate::platform::{Kind, Platform};

/// What detect-changes is asked for.
#[derive(Debug, Clone)]
pub struct Request {
    /// Every setting, checked.
    pub options: Options,
    /// `env`: the environment whose components the model's filters are for.
    pub env: Option<String>,
    /// `config`: the pipeline model, when given.
    pub config: Option<String>,
    /// `filters`: inline YAML or a file.
    pub filters: Option<String>,
}

/// Reads the request. The token is registered as a secret the moment it is read.
pub fn read(args: &Args, platform: &mut Platform) -> Result<Request, Failure> {
    if let Some(token) = platform.input("token", args.token.as_deref()) {
        platform.add_secret(&token);
    }
    let options = options(args, platform)?;
    Ok(Request {
        options,
        env: platform.input("env", args.env.as_deref()),
        config: platform.input("config", args.config.as_deref()),
        filters: platform.input("filters", args.filters.as_deref()),
    })
}

fn options(args: &Args, platform: &mut Platform) -> Result<Options, Failure> {
    let input = |name: &str, flag: &Option<String>| platform.input(name, flag.as_deref());

    let dir = match input("working-directory", &args.working_directory) {
        Some(d) => {
            let p = PathBuf::from(&d);
            if !p.is_dir() {
                return Err(Failure::input(
                    "working-directory",
                    format!("{} is not a directory", quote(&d)),
                ));
            }
            p
        }
        None => PathBuf::from("."),
    };
    let list_files = match input("list-files", &args.list_files) {
        Some(v) => v
            .parse()
            .map_err(|e: String| Failure::input("list-files", e))?,
        None => ListFormat::None,
    };
    let quantifier = match input("predicate-quantifier", &args.predicate_quantifier) {
        Some(v) => v
            .parse()
            .map_err(|e: String| Failure::input("predicate-quantifier", e))?,
        None => Quantifier::Some,
    };
    let dialect = match input("glob-dialect", &args.glob_dialect) {
        Some(v) => v
            .to_lowercase()
            .parse()
            .map_err(|e: String| Failure::input("glob-dialect", e))?,
        None => Dialect::Picomatch,
    };
    let fetch_depth = match input("initial-fetch-depth", &args.initial_fetch_depth) {
        Some(v) => integer("initial-fetch-depth", &v, 1, source::MAX_FETCH_DEPTH)?,
        None => 100,
    };
    let dir_depth = match input("dir-names-max-depth", &args.dir_names_max_depth) {
        Some(v) => Some(integer("dir-names-max-depth", &v, 1, MAX_DIR_DEPTH)?),
        None => None,
    };
    let on_ci = platform.kind != Kind::Local;
    let summary = boolean("summary", input("summary", &args.summary))?.unwrap_or(on_ci);
    let source = SourceOptions {
        base: input("base", &args.base),
        git_ref: input("ref", &args.git_ref),
        compare_to: input("compare-to", &args.compare_to),
        fetch_depth,
        token: input("token", &args.token),
        use_api: boolean("use-api", input("use-api", &args.use_api))?.unwrap_or(false),
        renames: boolean("renames", input("renames", &args.renames))?.unwrap_or(false),
    };
    let child_template =
        input("child-pipeline-template", &args.child_pipeline_template).map(PathBuf::from);
    if let Some(t) = &child_template {
        // Only that it exists: a pipe (`<(...)`, /dev/fd/N) can be read once, later.
        if std::fs::metadata(t).is_err() {
            return Err(Failure::input(
                "child-pipeline-template",
                format!(
                    "Configuration file {} not found",
                    quote(&t.display().to_string())
                ),
            ));
        }
    }
    let list_dirs =
        boolean("list-dirs", input("list-dirs", &args.list_dirs))?.unwrap_or(dir_depth.is_some());
    let output_dir = input("output-dir", &args.output_dir).map(|d| dir.join(d));
    let child_output = input("child-pipeline", &args.child_pipeline)
        .unwrap_or_else(|| "shipgate-child.yml".into());
    let sinks = (
        input("dotenv", &args.dotenv).unwrap_or_else(|| "shipgate.env".into()),
        input("dotenv-prefix", &args.dotenv_prefix).unwrap_or_else(|| "SHIPGATE_".into()),
        input("json-artifact", &args.json_artifact)
            .unwrap_or_else(|| "shipgate-changes.json".into()),
    );
    if platform.kind == Kind::Gitlab {
        platform.gitlab.dotenv = Some(sinks.0.into());
        platform.gitlab.dotenv_prefix = sinks.1;
        platform.gitlab.json = Some(sinks.2.into());
    }
    Ok(Options {
        list_dirs,
        output_dir,
        child_output: child_output.into(),
        dir,
        list_files,
        quantifier,
        dialect,
        source,
        dir_depth,
        summary,
        child_template,
    })
}

/// The most path segments `dir-names-max-depth` can keep (deeper than any real path).
const MAX_DIR_DEPTH: u64 = 4096;
