//! The one error type every verb returns, and the exit code each kind maps to (DESIGN §4).
//!
//! `0` done, `1` operational error, `2` bad input or configuration (nothing written),
//! `3` a decision against proceeding, `4` timed out.

use std::fmt;

/// Where in a file a bad input was found (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: u64,
    pub col: u64,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// A failure with the exit code the runner sees.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// Bad input or configuration: exit 2. `input` names the input or flag at fault.
    /// `snippet` (the source line with a caret) is shown below the one-line message, never
    /// in it, so each error stays one line for annotations.
    #[error("{}", render_input(.input, .location, .message))]
    Input {
        input: String,
        location: Option<Location>,
        message: String,
        snippet: Option<String>,
    },
    /// Several bad inputs found at once (config diagnostics): exit 2.
    #[error("{}", .0.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("\n"))]
    Many(Vec<Failure>),
    /// An operation failed (git, API, file system): exit 1. Never a decision.
    #[error("{}", one_line(&format!("{:#}", .0)))]
    Operational(anyhow::Error),
    /// A decision against proceeding (denied, frozen, rolled back): exit 3.
    #[error("{}", one_line(.0))]
    Decision(String),
    /// Waited too long: exit 4.
    #[error("{}", one_line(.0))]
    Timeout(String),
}

fn render_input(input: &str, location: &Option<Location>, message: &str) -> String {
    let line = match location {
        Some(loc) => format!("{loc}: input '{input}': {message}"),
        None => format!("input '{input}': {message}"),
    };
    one_line(&line)
}

/// The most characters of one user value that a message quotes (see [`quote`]).
pub const QUOTE_MAX: usize = 200;

/// The longest error line shipgate prints; anything longer is cut with a note. A safety
/// net under [`quote`]: an API error body or a path can still be long.
pub const LINE_MAX: usize = 2000;

/// A user-supplied value as a message quotes it: in single quotes, on one line (control
/// characters escaped as `\n`, `\r`, `\t`, `\u{..}`), and at most [`QUOTE_MAX`]
/// characters followed by `…` and the full size.
///
/// ```
/// use shipgate::error::quote;
/// assert_eq!(quote("a\nb"), "'a\\nb'");
/// assert!(quote(&"x".repeat(10_000)).ends_with("…' (10000 bytes)"));
/// ```
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len().min(QUOTE_MAX) + 16);
    out.push('\'');
    for (shown, c) in value.chars().enumerate() {
        if shown == QUOTE_MAX {
            out.push_str(&format!("…' ({} bytes)", value.len()));
            return out;
        }
        push_escaped(&mut out, c);
    }
    out.push('\'');
    out
}

/// `text` on one line: control characters escaped (see [`quote`]), and cut at
/// [`LINE_MAX`] characters. An error line can then never split an annotation or forge a
/// second log line.
pub fn one_line(text: &str) -> String {
    if text.len() <= LINE_MAX && !text.chars().any(char::is_control) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len().min(LINE_MAX) + 32);
    for (shown, c) in text.chars().enumerate() {
        if shown == LINE_MAX {
            out.push_str(&format!("… (message cut at {LINE_MAX} characters)"));
            break;
        }
        push_escaped(&mut out, c);
    }
    out
}

fn push_escaped(out: &mut String, c: char) {
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        c => out.push(c),
    }
}

impl Failure {
    /// A bad-input failure without a file position.
    pub fn input(input: impl Into<String>, message: impl Into<String>) -> Self {
        Failure::Input {
            input: input.into(),
            location: None,
            message: message.into(),
            snippet: None,
        }
    }

    /// A bad-input failure at a position in a file.
    pub fn input_at(
        input: impl Into<String>,
        location: Location,
        message: impl Into<String>,
    ) -> Self {
        Failure::Input {
            input: input.into(),
            location: Some(location),
            message: message.into(),
            snippet: None,
        }
    }

    /// The same failure with the source excerpt to show under it (bad-input failures only).
    pub fn with_snippet(mut self, excerpt: Option<String>) -> Self {
        if let Failure::Input { snippet, .. } = &mut self {
            *snippet = excerpt;
        }
        self
    }

    /// The source excerpt shown under this failure, if any.
    pub fn snippet(&self) -> Option<&str> {
        match self {
            Failure::Input { snippet, .. } => snippet.as_deref(),
            _ => None,
        }
    }

    /// The process exit code for this failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Input { .. } | Failure::Many(_) => 2,
            Failure::Operational(_) => 1,
            Failure::Decision(_) => 3,
            Failure::Timeout(_) => 4,
        }
    }

    /// Every single failure inside this one (flattens `Many`), for annotations.
    pub fn leaves(&self) -> Vec<&Failure> {
        match self {
            Failure::Many(all) => all.iter().flat_map(|f| f.leaves()).collect(),
            other => vec![other],
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(err: anyhow::Error) -> Self {
        match err.downcast::<Failure>() {
            Ok(f) => f,
            Err(other) => Failure::Operational(other),
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(err: std::io::Error) -> Self {
        Failure::Operational(err.into())
    }
}

/// Text for `--help`: the exit codes every verb shares.
pub const EXIT_CODES_HELP: &str = "Exit codes:
  0  done (approved, promoted, advanced, waiting as intended)
  1  operational error (API down, git failed)
  2  bad input or configuration (nothing was written)
  3  a decision against proceeding (denied, outside window, frozen, rolled back)
  4  timed out";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_renders_as_one_bounded_line() {
        let long = "y".repeat(100_000);
        let all = [
            Failure::input("filters", format!("bad name {}", "a\nb")),
            Failure::Operational(anyhow::anyhow!("body:\n{long}")),
            Failure::Decision("denied\r\nby x".into()),
            Failure::Timeout("waited\n".into()),
        ];
        for f in all {
            let text = f.to_string();
            assert!(!text.contains(['\n', '\r']), "{text:?}");
            assert!(text.chars().count() <= LINE_MAX + 40, "{}", text.len());
        }
    }

    #[test]
    fn quote_is_short_and_one_line() {
        assert_eq!(quote("plain"), "'plain'");
        assert_eq!(quote("a\u{1b}b\tc"), "'a\\u{1b}b\\tc'");
        let q = quote(&"z".repeat(1 << 20));
        assert!(q.len() < QUOTE_MAX + 40, "{}", q.len());
    }
}
