//! `detect-changes`: which named filters changed between two refs.
//!
//! Reads the inputs, loads the filters, finds the changed files for the event
//! ([`source`]), matches them ([`matcher`]) and returns a [`crate::platform::Report`] with paths-filter's
//! outputs plus ours ([`report`]). Nothing is written here: the platform writes the report.

pub mod filters;
pub mod format;
pub mod matcher;
pub mod model;
pub mod names;
pub mod report;
pub mod request;
pub mod source;
pub mod yaml;

use std::path::{Path, PathBuf};

use crate::error::{quote, Failure, Location};
use crate::git::Git;
use crate::glob::Dialect;
use crate::platform::{Outcome, Platform};

use self::filters::Filter;
use self::format::ListFormat;
use self::matcher::{Matcher, Quantifier};
use self::request::Request;
use self::source::{EventContext, SourceOptions};

/// Every setting of a run, validated.
#[derive(Debug, Clone)]
pub struct Options {
    pub dir: PathBuf,
    pub list_files: ListFormat,
    pub quantifier: Quantifier,
    pub dialect: Dialect,
    pub source: SourceOptions,
    pub list_dirs: bool,
    pub dir_depth: Option<usize>,
    pub output_dir: Option<PathBuf>,
    pub summary: bool,
    pub child_template: Option<PathBuf>,
    pub child_output: PathBuf,
}

/// Runs detect-changes as `request` (see [`request::read`]) asks and returns its report.
pub fn run(request: &Request, platform: &mut Platform) -> Result<Outcome, Failure> {
    let opts = &request.options;
    let (filters, source_name, model_run) = load_filters(request, platform, &opts.dir)?;
    names::check(
        &filters,
        opts,
        platform.kind,
        &platform.gitlab.dotenv_prefix,
        model_run.as_ref().map(|m| m.model.labels.as_slice()),
    )
    .map_err(|e| {
        let (line, col) = filters.get(e.filter).map_or((1, 1), |f| f.position);
        at_filter(&source_name, e.filter, line, col, e.message)
    })?;
    let git = Git::new(&opts.dir);
    let ctx = EventContext::from_platform(platform)?;
    // Compiling the globs and asking git are independent: do both at once. A bad glob still
    // wins over anything git reports, so the error a user sees is about their input.
    let (matcher, changeset) = std::thread::scope(|scope| {
        let compiling = scope.spawn(|| compile(&filters, opts, &source_name));
        let changeset = source::changed_files(&git, &ctx, &opts.source, platform);
        let matcher = compiling.join().unwrap_or_else(|_| {
            Err(Failure::Operational(anyhow::anyhow!(
                "glob compilation panicked"
            )))
        });
        (matcher, changeset)
    });
    let matcher = matcher?;
    let changeset = changeset?;
    platform.info(&format!(
        "Detected {} changed files ({})",
        changeset.files.len(),
        changeset.comparison
    ));

    let mut hits = matcher.match_all(&changeset.files);
    if let Some(run) = &model_run {
        add_model_edits(&git, run, &changeset, &mut hits, platform)?;
    }
    let model = model_run.as_ref().map(|m| &m.model);
    report::build(&filters, &hits, &changeset, opts, model, platform).map(Outcome::Report)
}

/// Where the filters came from: a file (path as given) or the inline input.
#[derive(Debug, Clone)]
enum FilterSource {
    File(String),
    Inline,
    /// Derived from the pipeline model at this path.
    Config(String),
    /// The first `derived` filters from the model at `config`, then those of `extra`.
    Combined {
        config: String,
        derived: usize,
        extra: Box<FilterSource>,
    },
}

impl FilterSource {
    /// Where filter `index` came from.
    fn of(&self, index: usize) -> &FilterSource {
        match self {
            FilterSource::Combined { derived, .. } if index < *derived => self,
            FilterSource::Combined { extra, .. } => extra,
            other => other,
        }
    }
}

/// The pipeline model a run derives filters from.
#[derive(Debug, Clone)]
struct ModelRun {
    model: model::Model,
    config: crate::config::Config,
    path: PathBuf,
}

/// paths-filter's rule: a value with no newline and no ':' is a file path.
fn is_path_input(text: &str) -> bool {
    !(text.contains('\n') || text.contains(':'))
}

/// The filters of a run: from `filters`; or derived from the pipeline model when there is
/// no `filters`; or both, model first, when `filters` comes with `config` or `env`.
fn load_filters(
    request: &Request,
    platform: &mut Platform,
    dir: &Path,
) -> Result<(Vec<Filter>, FilterSource, Option<ModelRun>), Failure> {
    let env = request.env.clone();
    let explicit = request.config.clone();
    let text = request.filters.clone();
    let wants_model = text.is_none() || explicit.is_some() || env.is_some();
    let found = if wants_model {
        platform.find_config(explicit.as_deref(), dir)?
    } else {
        None
    };
    let derived = match found {
        Some(path) => {
            let config = crate::config::load(&path)?;
            let (filters, model) = model::filters(&config, env.as_deref())?;
            platform.info(&format!(
                "Filters from the pipeline model {}: {} components, {} groups, {} tiers",
                path.display(),
                config.components().len(),
                config.groups().len(),
                config.tiers().len()
            ));
            Some((
                filters,
                ModelRun {
                    model,
                    config,
                    path,
                },
            ))
        }
        None => None,
    };
    let Some(text) = text else {
        let (filters, run) = derived.ok_or_else(|| {
            Failure::input(
                "filters",
                "Input required and not supplied: filters (and no .shipgate.yml to derive them from)",
            )
        })?;
        let source = FilterSource::Config(run.path.display().to_string());
        return Ok((filters, source, Some(run)));
    };
    if env.is_some() && derived.is_none() {
        platform.warning(
            "'env' is used only with the pipeline model (no .shipgate.yml found); ignored",
        );
    }
    let (yaml, source) = if is_path_input(&text) {
        let yaml = yaml::read(&dir.join(&text), &text, "filters")?;
        (yaml, FilterSource::File(text))
    } else {
        (text, FilterSource::Inline)
    };
    let (extra, warnings) =
        filters::parse(&yaml).map_err(|e| at(&source, e.line, e.col, e.message))?;
    for w in warnings {
        platform.warning(&w);
    }
    match derived {
        None => Ok((extra, source, None)),
        Some((mut filters, run)) => {
            let source = FilterSource::Combined {
                config: run.path.display().to_string(),
                derived: filters.len(),
                extra: Box::new(source),
            };
            filters.extend(extra);
            Ok((filters, source, Some(run)))
        }
    }
}

/// A failure about filter `index`, at its position.
fn at_filter(source: &FilterSource, index: usize, line: u64, col: u64, message: String) -> Failure {
    at(source.of(index), line, col, message)
}

fn at(source: &FilterSource, line: u64, col: u64, message: String) -> Failure {
    match source {
        FilterSource::File(path) => Failure::input_at(
            "filters",
            Location {
                file: path.clone(),
                line,
                col,
            },
            message,
        ),
        FilterSource::Inline => {
            Failure::input("filters", format!("line {line}, column {col}: {message}"))
        }
        FilterSource::Config(path) | FilterSource::Combined { config: path, .. } => {
            Failure::input("config", format!("{path}: {message}"))
        }
    }
}

/// With the pipeline model: a component whose resolved plan changed in the model file
/// itself (a tier promotion, a switch in `overrides`) counts as changed, as do its group's
/// and tier's filters; they list the model file as their changed file.
fn add_model_edits(
    git: &Git,
    run: &ModelRun,
    changeset: &source::Changeset,
    hits: &mut [Vec<usize>],
    platform: &mut Platform,
) -> Result<(), Failure> {
    // Most runs do not touch the model: no git call then.
    let name = run
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    let touched = name.is_some_and(|name| {
        changeset
            .files
            .iter()
            .any(|f| f.path.rsplit('/').next() == Some(name.as_str()))
    });
    if !touched {
        return Ok(());
    }
    let Some(top) = git.toplevel() else {
        return Ok(());
    };
    let (Ok(top), Ok(file)) = (top.canonicalize(), run.path.canonicalize()) else {
        return Ok(());
    };
    let Ok(rel) = file.strip_prefix(&top) else {
        return Ok(());
    };
    let rel = rel.to_string_lossy().replace('\\', "/");
    let Some(index) = changeset
        .files
        .iter()
        .position(|f| f.path == rel && f.status != crate::git::Status::Deleted)
    else {
        return Ok(());
    };
    let before_path = changeset.files[index].from.clone().unwrap_or(rel.clone());
    let base_text = changeset
        .base
        .as_deref()
        .and_then(|base| git.show_file(base, &before_path).map(|b| (base, b)));
    let base_config = match &base_text {
        None => None,
        Some((base, bytes)) => {
            let shown = format!("{}:{before_path}", short_rev(base));
            let parsed = String::from_utf8(bytes.clone())
                .map_err(|_| Failure::input("config", format!("{shown}: invalid UTF-8")))
                .and_then(|text| crate::config::from_str(&text, &shown));
            match parsed {
                Ok(config) => Some(config),
                Err(e) => {
                    platform.warning(&format!(
                        "The earlier pipeline model {shown} cannot be read, so every component it deploys counts as changed: {e}"
                    ));
                    None
                }
            }
        }
    };
    let changed = model::changed_filters(&run.model, &run.config, base_config.as_ref())?;
    if !changed.is_empty() {
        platform.info(&format!(
            "The pipeline model {rel} changed what {} deploy(s): {} filter(s) count as changed",
            run.model.env.as_deref().unwrap_or("the environments"),
            changed.len()
        ));
    }
    for f in changed {
        if let Some(list) = hits.get_mut(f) {
            if let Err(at) = list.binary_search(&index) {
                list.insert(at, index);
            }
        }
    }
    Ok(())
}

/// A revision for messages: a SHA cut to 12 characters.
fn short_rev(rev: &str) -> &str {
    if crate::git::is_sha(rev) {
        &rev[..12]
    } else {
        rev
    }
}

fn compile(filters: &[Filter], opts: &Options, source: &FilterSource) -> Result<Matcher, Failure> {
    Matcher::new(filters, opts.dialect, opts.quantifier).map_err(|e| {
        let Some(filter) = filters.get(e.filter) else {
            return Failure::input("filters", e.error.to_string());
        };
        let (line, col) = filter
            .rules
            .get(e.rule)
            .and_then(|r| r.positions.get(e.pattern))
            .copied()
            .unwrap_or(filter.position);
        at_filter(
            source,
            e.filter,
            line,
            col,
            format!("filter {}: {}", quote(&filter.name), e.error),
        )
    })
}
