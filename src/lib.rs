//! shipgate as a library: [`run`] parses a command line, runs the verb against a given
//! environment and returns the process exit code. `main.rs` is a thin shell around it, and
//! tests, doctests and fuzz targets call the modules directly.
//!
//! Exit codes are the same for every verb (DESIGN §4): `0` done, `1` operational error,
//! `2` bad input or configuration, `3` a decision against proceeding, `4` timed out.

pub mod changes;
pub mod cli;
pub mod clock;
pub mod config;
pub mod error;
pub mod forge;
pub mod gate;
pub mod git;
pub mod glob;
pub mod http;
pub mod ledger;
pub mod model;
pub mod notify;
pub mod plan;
pub mod platform;
pub mod time;

use std::ffi::OsString;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::error::Failure;
use crate::platform::{Env, Platform};

/// Runs one shipgate command line (`argv[0]` is the program name) in `env` and returns the
/// exit code. Nothing here panics on a closed stdout or stderr: a log that cannot be written
/// is dropped, and the exit code stays the verb's own.
pub fn run<I, T>(argv: I, env: Env) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // A usage error echoes the user's argument: guarded against workflow commands.
            platform::print_stderr_guarded(&env, &e.render().to_string());
            return e.exit_code();
        }
        Err(e) => {
            // Help and version go to stdout with code 0.
            let _ = e.print();
            return e.exit_code();
        }
    };
    let env_copy = env.clone();
    let mut platform = match Platform::new(env, cli.output) {
        Ok(p) => p,
        Err(failure) => {
            platform::print_stderr_guarded(&env_copy, &format!("error: {failure}"));
            return failure.exit_code();
        }
    };
    if let Err(failure) = platform.read_context() {
        platform.report_failure(&failure);
        return failure.exit_code();
    }
    match dispatch(cli.command, &mut platform) {
        Ok(()) => 0,
        Err(failure) => {
            platform.report_failure(&failure);
            failure.exit_code()
        }
    }
}

/// Runs the verb and writes its [`platform::Outcome`]: every verb's results reach the
/// runner the same way.
fn dispatch(command: Command, platform: &mut Platform) -> Result<(), Failure> {
    let outcome = match command {
        Command::DetectChanges(args) => {
            let request = changes::request::read(&args, platform)?;
            changes::run(&request, platform)?
        }
        Command::Plan(args) => plan::run(&plan::request::read(&args, platform)?)?,
        Command::Config(args) => config::command::run(&config::request::read(&args), platform)?,
        Command::Gate(args) => {
            let spec = gate::request::read(&args, platform)?;
            gate::run(&spec, platform)?
        }
        Command::Notify(args) => {
            let opts = notify::request::read(&args, platform)?;
            notify::run(&opts, platform)?
        }
    };
    platform.write(outcome)
}
