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
use crate::platform::Outcome;

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

/// Renders a plan in `format`.
pub fn plan(plan: &Plan, config: &Config, format: Format) -> Result<Outcome, Failure> {
    Ok(match format {
        Format::Text => Outcome::stdout(text::plan(plan)),
        Format::Json => Outcome::stdout(json::plan_text(plan, config)),
        Format::TfvarsJson => Outcome::stdout(tfvars::text(plan, config)),
        Format::Dotenv => dotenv::plan(plan),
        Format::Github => Outcome::Report(github::plan(plan, config)),
        Format::Markdown => Outcome::stdout(markdown::plan(plan)),
    })
}

/// Renders a diff in `format` (`tfvars-json` has no meaning for a diff).
pub fn diff(diff: &Diff, format: Format) -> Result<Outcome, Failure> {
    Ok(match format {
        Format::Text => Outcome::stdout(text::diff(diff)),
        Format::Json => Outcome::stdout(json::pretty(&json::diff(diff))),
        Format::Markdown => Outcome::stdout(markdown::diff(diff)),
        Format::Github => Outcome::Report(github::diff(diff)),
        Format::Dotenv => Outcome::stdout(dotenv::diff(diff)),
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
