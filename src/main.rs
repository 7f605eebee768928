//! shipgate: parse the command line, run the verb, map its result to an exit code.

mod changes;
mod cli;
mod clock;
mod config;
mod error;
mod forge;
mod gate;
mod git;
mod glob;
mod http;
mod notify;
mod plan;
mod platform;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::error::Failure;
use crate::platform::{Env, Platform};

fn main() {
    let cli = Cli::parse();
    let env = Env::from_process();
    let mut platform = match Platform::new(env, cli.output) {
        Ok(p) => p,
        Err(failure) => {
            eprintln!("error: {failure}");
            std::process::exit(failure.exit_code());
        }
    };
    let result = run(cli.command, &mut platform);
    match result {
        Ok(()) => {}
        Err(failure) => {
            platform.report_failure(&failure);
            std::process::exit(failure.exit_code());
        }
    }
}

fn run(command: Command, platform: &mut Platform) -> Result<(), Failure> {
    match command {
        Command::DetectChanges(args) => {
            let report = changes::run(&args, platform)?;
            platform.finish(&report)
        }
        Command::Plan(args) => plan::run(&args, platform)?.write(platform),
        Command::Config(args) => config::command::run(&args, platform)?.write(platform),
        Command::Gate(args) => {
            let done = gate::run(&args, platform)?;
            platform.finish(&done.report)?;
            done.failure.map_or(Ok(()), Err)
        }
        Command::Notify(args) => {
            let done = notify::run(&args, platform)?;
            platform.finish(&done.report)?;
            done.failure.map_or(Ok(()), Err)
        }
    }
}
