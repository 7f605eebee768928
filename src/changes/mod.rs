//! detect-changes core (being written).
use crate::cli::detect_changes::Args;
use crate::error::Failure;
use crate::platform::{Platform, Report};

pub fn run(_args: &Args, _platform: &mut Platform) -> Result<Report, Failure> {
    Err(Failure::input("filters", "not yet implemented"))
}
