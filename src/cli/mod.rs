//! Command-line definitions (clap). No logic lives here: each verb's flags are a plain
//! struct, and `main.rs` hands them to the verb's core.

pub mod config;
pub mod detect_changes;
pub mod gate;
pub mod notify;
pub mod plan;

use clap::{Parser, Subcommand};

use crate::platform::OutputFormat;

/// Deployment pipelines from small composable verbs, on GitHub Actions and GitLab CI.
#[derive(Debug, Parser)]
#[command(name = "shipgate", version, about, after_help = crate::error::EXIT_CODES_HELP)]
pub struct Cli {
    /// How results are printed when running locally (on CI they go to the runner's files).
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Text)]
    pub output: OutputFormat,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Which named filters changed between two refs (a drop-in for dorny/paths-filter).
    #[command(after_help = detect_changes::AFTER_HELP)]
    DetectChanges(Box<detect_changes::Args>),
    /// What an environment gets from the pipeline model (.shipgate.yml), in many formats.
    #[command(after_help = plan::AFTER_HELP)]
    Plan(plan::Args),
    /// Check the pipeline model (.shipgate.yml) or print its JSON Schema.
    #[command(after_help = config::AFTER_HELP)]
    Config(config::Args),
    /// Approval gate: a drop-in for trstringer/manual-approval with policies, windows, freezes and soak times.
    #[command(after_help = gate::AFTER_HELP)]
    Gate(Box<gate::Args>),
    /// One message per deployment, updated in place: Slack, Teams, webhooks, GitHub and GitLab.
    #[command(after_help = notify::AFTER_HELP)]
    Notify(Box<notify::Args>),
}
