//! `shipgate plan`: what an environment gets, resolved by [`crate::model`] and rendered.
//!
//! `--tier` keeps one tier (the hotfix path), `--changes` keeps the components that changed,
//! and `--diff` compares two environments' plans (what promotion adds or removes).

mod render;
pub mod request;

use crate::error::Failure;
use crate::model::{diff, narrow, resolve, Plan};
use crate::platform::Outcome;

pub use render::Format;
pub use request::Request;

/// Runs `shipgate plan` on a read request: resolves, narrows, diffs, renders.
pub fn run(request: &Request) -> Result<Outcome, Failure> {
    let Request {
        format,
        env,
        tier,
        diff: other,
        changed,
        config,
    } = request;
    let format = *format;
    let plan_for = |name: &str| -> Result<Plan, Failure> {
        let plan = resolve(config, name, tier.as_deref())?;
        Ok(match &changed {
            Some(set) => narrow(plan, set),
            None => plan,
        })
    };
    let from = plan_for(env)?;
    match other {
        Some(other) => {
            let to = plan_for(other).map_err(|f| match f {
                Failure::Input { message, .. } if message.starts_with("unknown environment") => {
                    Failure::input("diff", message)
                }
                other => other,
            })?;
            render::diff(&diff(from, to), format)
        }
        None => render::plan(&from, config, format),
    }
}
