//! What a verb's run comes to, whichever verb it is: the one type every verb returns and
//! [`crate::platform::Platform::write`] writes. A verb never writes its results itself.

use super::Report;
use crate::error::Failure;

/// The result of one verb's run.
#[derive(Debug)]
pub enum Outcome {
    /// Results for the runner (outputs, summary, artifacts); exit 0.
    Report(Report),
    /// Results for the runner, written in full, and then a failure that sets the exit code
    /// (a decision against proceeding, a timeout, a notification that did not go out).
    Failed { report: Report, failure: Failure },
    /// Text for stdout (to be redirected into a file: `> plan.auto.tfvars.json`), with
    /// warnings for stderr, so a redirected file holds only the text.
    Stdout { text: String, warnings: Vec<String> },
}

impl Outcome {
    /// Plain text for stdout.
    pub fn stdout(text: String) -> Self {
        Outcome::Stdout {
            text,
            warnings: Vec::new(),
        }
    }

    /// Results, then the failure if there is one.
    pub fn finished(report: Report, failure: Option<Failure>) -> Self {
        match failure {
            Some(failure) => Outcome::Failed { report, failure },
            None => Outcome::Report(report),
        }
    }
}

impl From<Report> for Outcome {
    fn from(report: Report) -> Self {
        Outcome::Report(report)
    }
}
