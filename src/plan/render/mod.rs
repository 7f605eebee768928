//! Plans and diffs in each `--format`: `text` (people), `json` (the whole plan),
//! `tfvars-json` (a Terraform `-var-file`), `dotenv` (GitLab `artifacts:reports:dotenv`),
//! `github` (step outputs + job summary, through the platform) and `markdown` (a job
//! summary or MR note). One file per format; what several formats share is here.

mod dotenv;
mod github;
mod json;
mod markdown;
mod text;
mod tfvars;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::config::Config;
use crate::error::Failure;
use crate::model::{Diff, Plan, Planned, Why};
use crate::platform::{Platform, Report};

/// An output format of `plan`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    TfvarsJson,
    Dotenv,
    Github,
    Markdown,
}

impl Format {
    /// The names accepted by `--format`.
    pub const NAMES: [&'static str; 6] = [
        "text",
        "json",
        "tfvars-json",
        "dotenv",
        "github",
        "markdown",
    ];

    /// Parses a `--format` value (exit 2 with the choices when unknown).
    pub fn parse(text: &str) -> Result<Format, Failure> {
        Ok(match text.trim().to_ascii_lowercase().as_str() {
            "text" => Format::Text,
            "json" => Format::Json,
            "tfvars-json" | "tfvars" => Format::TfvarsJson,
            "dotenv" | "env" => Format::Dotenv,
            "github" | "outputs" => Format::Github,
            "markdown" | "md" => Format::Markdown,
            other => {
                return Err(Failure::input(
                    "format",
                    format!(
                        "unknown format '{other}' (expected one of: {})",
                        Format::NAMES.join(", ")
                    ),
                ))
            }
        })
    }
}

/// What a run produces: a report the platform writes (outputs, summary), or text for
/// stdout (to be redirected into a file: `> plan.auto.tfvars.json`).
#[derive(Debug)]
pub enum Output {
    Report(Report),
    Stdout { text: String, warnings: Vec<String> },
}

impl Output {
    /// Plain text for stdout.
    pub fn stdout(text: String) -> Self {
        Output::Stdout {
            text,
            warnings: Vec::new(),
        }
    }

    /// Writes the output: a report through the platform; text to stdout through
    /// [`crate::platform::write_stdout`] (a reader that stops early keeps the exit code),
    /// warnings on stderr through [`Platform::warning`], so a redirected file
    /// (`> plan.env`) holds only the text. On GitHub the warnings are annotations: the runner
    /// reads workflow commands on stderr too.
    pub fn write(self, platform: &mut Platform) -> Result<(), Failure> {
        match self {
            Output::Report(report) => platform.finish(&report),
            Output::Stdout { text, warnings } => {
                // Anything logged so far comes first (on CI the log is stdout too).
                platform.flush();
                if !warnings.is_empty() {
                    // The same platform's warning, written to stderr instead of the log (on
                    // CI the log is stdout). `plan` registers no secrets to carry over.
                    let mut stderr = Platform::with_log(
                        platform.kind,
                        platform.env.clone(),
                        platform.format,
                        Box::new(std::io::stderr()),
                    );
                    for w in &warnings {
                        stderr.warning(w);
                    }
                }
                crate::platform::write_stdout(text.as_bytes())
            }
        }
    }
}

/// Renders a plan in `format`.
pub fn plan(plan: &Plan, config: &Config, format: Format) -> Result<Output, Failure> {
    Ok(match format {
        Format::Text => Output::stdout(text::plan(plan)),
        Format::Json => Output::stdout(json::plan_text(plan, config)),
        Format::TfvarsJson => Output::stdout(tfvars::text(plan, config)),
        Format::Dotenv => dotenv::plan(plan),
        Format::Github => Output::Report(github::plan(plan, config)),
        Format::Markdown => Output::stdout(markdown::plan(plan)),
    })
}

/// Renders a diff in `format` (`tfvars-json` has no meaning for a diff).
pub fn diff(diff: &Diff, format: Format) -> Result<Output, Failure> {
    Ok(match format {
        Format::Text => Output::stdout(text::diff(diff)),
        Format::Json => Output::stdout(json::pretty(&json::diff(diff))),
        Format::Markdown => Output::stdout(markdown::diff(diff)),
        Format::Github => Output::Report(github::diff(diff)),
        Format::Dotenv => Output::stdout(dotenv::diff(diff)),
        Format::TfvarsJson => {
            return Err(Failure::input(
                "format",
                "tfvars-json describes one environment; use --format json, markdown or text with --diff",
            ))
        }
    })
}

fn names(components: &[Planned]) -> Vec<&str> {
    components.iter().map(|c| c.name.as_str()).collect()
}

/// Every component the environment receives, touched by this run or not, in file order
/// (the same as `components` unless `--tier` or `--changes` narrowed the plan).
fn received(plan: &Plan) -> Vec<&str> {
    plan.enabled.iter().map(String::as_str).collect()
}

fn names_in_tier<'a>(plan: &'a Plan, tier: &str) -> Vec<&'a str> {
    plan.components
        .iter()
        .filter(|c| c.tier == tier)
        .map(|c| c.name.as_str())
        .collect()
}

fn variables_json(plan: &Plan) -> Map<String, Value> {
    plan.variables
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn variable_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A mapping written in the order given (names are unique by construction).
struct Pairs<'a, V>(Vec<(&'a str, V)>);

impl<V: Serialize> Serialize for Pairs<'_, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

/// Escapes a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

fn removed_reason(diff: &Diff, why: &Option<Why>, c: &Planned) -> String {
    match why {
        Some(w) => w.describe(&diff.to.environment, &c.tier, c.group.as_deref()),
        None => format!("not in {}", diff.to.environment),
    }
}

fn version_text(v: &Option<String>) -> String {
    v.clone().unwrap_or_else(|| "release".into())
}
