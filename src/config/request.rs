//! The `config` verb's request: which subcommand, and for `validate` which file. The one
//! file of the `config` verb that names `cli::*`.

use crate::cli::config::{Args, Command};

/// What `shipgate config` is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Print the JSON schema of `.shipgate.yml`.
    Schema,
    /// Check a file (`--config`, else `.shipgate.yml` found from here up).
    Validate { config: Option<String> },
}

/// The request the command line makes.
pub fn read(args: &Args) -> Request {
    match &args.command {
        Command::Schema => Request::Schema,
        Command::Validate(v) => Request::Validate {
            config: v.config.clone(),
        },
    }
}
