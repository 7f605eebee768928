//! `shipgate config` subcommands: check the pipeline model, print its JSON Schema.

use clap::{Args as ClapArgs, Subcommand};

#[derive(Debug, Clone, ClapArgs)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Check .shipgate.yml: every problem at once, each with file:line:col (exit 2 when any).
    Validate(ValidateArgs),
    /// Print the JSON Schema of .shipgate.yml (for editors and check-jsonschema).
    Schema,
}

#[derive(Debug, Clone, Default, ClapArgs)]
pub struct ValidateArgs {
    /// The file to check (default: .shipgate.yml here or up to the repository root).
    #[arg(long, value_name = "PATH")]
    pub config: Option<String>,
}

pub const AFTER_HELP: &str = "Point editors at the schema, e.g. as the first line of .shipgate.yml:
  # yaml-language-server: $schema=./shipgate.schema.json
after `shipgate config schema > shipgate.schema.json`.

Exit codes:
  0  valid   2  invalid (every problem is listed, with its position)";
