//! Where shipgate runs: GitHub Actions, GitLab CI or a terminal.
//!
//! This module owns every contact with the runner: reading inputs (`INPUT_*` with hyphens
//! kept, flags first), the event/context variables, logging with annotations and groups,
//! masking secrets, and writing a verb's results (outputs, job summary, artifacts) all at
//! once at the end. Verb cores never read the environment or write files themselves: they
//! get a [`Platform`] and return an [`Outcome`].

pub mod context;
pub mod github;
pub mod gitlab;
pub mod inputs;
pub mod local;
pub mod outcome;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use context::RunContext;
pub use outcome::Outcome;

use crate::error::Failure;

/// A snapshot of the process environment, so cores and tests never touch `std::env`.
#[derive(Debug, Clone, Default)]
pub struct Env {
    vars: BTreeMap<String, String>,
}

impl Env {
    /// Reads the real process environment (non-UTF-8 variables are skipped).
    pub fn from_process() -> Self {
        Env {
            vars: std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
                .collect(),
        }
    }

    /// An environment of exactly these variables (tests, and callers of [`crate::run`]).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// The value of `name`, or `None` when unset or empty (the runners' "not given").
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// True when `name` is set to `true` (any case).
    pub fn is_true(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

/// The runner kind, detected from the environment (`SHIPGATE_PLATFORM` overrides).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Github,
    Gitlab,
    Local,
}

impl Kind {
    /// Detects the runner: `SHIPGATE_PLATFORM`, then `GITHUB_ACTIONS`, then `GITLAB_CI`.
    pub fn detect(env: &Env) -> Result<Kind, Failure> {
        if let Some(forced) = env.get("SHIPGATE_PLATFORM") {
            return match forced.to_ascii_lowercase().as_str() {
                "github" => Ok(Kind::Github),
                "gitlab" => Ok(Kind::Gitlab),
                "local" => Ok(Kind::Local),
                _ => Err(Failure::input(
                    "SHIPGATE_PLATFORM",
                    format!(
                        "unknown platform {} (expected github, gitlab or local)",
                        crate::error::quote(forced)
                    ),
                )),
            };
        }
        if env.is_true("GITHUB_ACTIONS") {
            Ok(Kind::Github)
        } else if env.is_true("GITLAB_CI") || env.get("CI_PIPELINE_SOURCE").is_some() {
            Ok(Kind::Gitlab)
        } else {
            Ok(Kind::Local)
        }
    }
}

/// How results are shown locally (`--output`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputFormat {
    /// `name=value` lines (multi-line values indented).
    #[default]
    Text,
    /// One JSON object with every output.
    Json,
}

/// The results of one run, written all at once by [`Platform::finish`].
#[derive(Debug, Default)]
pub struct Report {
    /// Step outputs in the order they are written.
    pub outputs: Vec<(String, String)>,
    /// Markdown for the job summary (GitHub) or the log (elsewhere).
    pub summary: Option<String>,
    /// The whole result as JSON (GitLab artifact, `--output json`).
    pub json: Option<serde_json::Value>,
    /// Extra files the run produces (large output lists, child pipelines).
    pub files: Vec<(PathBuf, Vec<u8>)>,
}

impl Report {
    /// Appends an output.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.outputs.push((name.into(), value.into()));
    }
}

/// Settings for where GitLab writes its reports.
#[derive(Debug, Clone, Default)]
pub struct GitlabSinks {
    /// dotenv report path (`artifacts:reports:dotenv`).
    pub dotenv: Option<PathBuf>,
    /// Prefix for dotenv variable names.
    pub dotenv_prefix: String,
    /// JSON artifact path.
    pub json: Option<PathBuf>,
}

/// The runner a verb talks to: inputs, logs, secrets and results.
pub struct Platform {
    pub kind: Kind,
    pub env: Env,
    pub format: OutputFormat,
    pub gitlab: GitlabSinks,
    /// The run's context, read once (see [`Platform::read_context`]).
    pub context: Arc<RunContext>,
    secrets: Vec<String>,
    log: Box<dyn Write>,
    last_flush: std::time::Instant,
    /// GitHub: the token of the `::stop-commands::` in force, while user text is printed.
    stopped: Option<String>,
    /// The last byte written to the log was not a newline (raw writes).
    mid_line: bool,
}

impl Platform {
    /// A platform of the detected kind, logging to stdout on CI and stderr locally.
    pub fn new(env: Env, format: OutputFormat) -> Result<Self, Failure> {
        let kind = Kind::detect(&env)?;
        // Buffered: a run can log tens of thousands of lines; `line` flushes at least every
        // 100 ms so a waiting verb's progress still shows up promptly.
        let log: Box<dyn Write> = match kind {
            // The GitHub runner reads workflow commands from stdout.
            Kind::Github | Kind::Gitlab => Box::new(std::io::BufWriter::with_capacity(
                64 * 1024,
                std::io::stdout(),
            )),
            Kind::Local => Box::new(std::io::BufWriter::with_capacity(
                64 * 1024,
                std::io::stderr(),
            )),
        };
        Ok(Platform::with_log(kind, env, format, log))
    }

    /// A platform of a given kind writing its log to `log` (tests, tools).
    pub fn with_log(kind: Kind, env: Env, format: OutputFormat, log: Box<dyn Write>) -> Self {
        Platform {
            kind,
            env,
            format,
            gitlab: GitlabSinks::default(),
            context: Arc::default(),
            secrets: Vec::new(),
            log,
            last_flush: std::time::Instant::now(),
            stopped: None,
            mid_line: false,
        }
    }

    /// Reads the run's context from the environment, once, before any verb runs: a bad
    /// event file is exit 2 for every verb.
    pub fn read_context(&mut self) -> Result<(), Failure> {
        self.context = Arc::new(RunContext::read(self.kind, &self.env)?);
        Ok(())
    }

    /// The run's context (a cheap shared handle).
    pub fn context(&self) -> Arc<RunContext> {
        Arc::clone(&self.context)
    }

    /// Registers a secret: masked on GitHub at once, redacted from all our output.
    pub fn add_secret(&mut self, value: &str) {
        let value = value.trim();
        if value.contains(['\n', '\r']) {
            // `::add-mask::` masks one line: a multi-line secret (a PEM key) would print
            // its other lines. Each line is masked and redacted on its own.
            for line in value.lines() {
                self.add_secret(line);
            }
            return;
        }
        if value.len() < 4 || self.secrets.iter().any(|s| s == value) {
            return;
        }
        if self.kind == Kind::Github {
            // Escaped as `@actions/core` does: the runner unescapes `%25`, `%0D` and `%0A`
            // in a command's data, so a secret holding `%25` would otherwise be masked as
            // a different string.
            let line = format!("::add-mask::{}", github::escape_data(value));
            self.command(&line);
        }
        self.secrets.push(value.to_string());
        // Longest first, so a secret that contains another is redacted whole.
        self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// `text` with every registered secret replaced by `***`.
    pub fn redact(&self, text: &str) -> String {
        self.redact_cow(text).into_owned()
    }

    /// [`Platform::redact`] without a copy when no secret occurs (large outputs).
    pub fn redact_cow<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        let mut out = std::borrow::Cow::Borrowed(text);
        for s in &self.secrets {
            if out.contains(s.as_str()) {
                out = std::borrow::Cow::Owned(out.replace(s.as_str(), "***"));
            }
        }
        out
    }

    /// Prints one log line of text, which may hold user text (file names, commit messages,
    /// API answers): redacted, kept on one line (control characters escaped, at most
    /// [`crate::error::LINE_MAX`] characters), and on GitHub never read as a workflow
    /// command (see [`Platform::info_block`]).
    pub fn info(&mut self, line: &str) {
        let line = crate::error::one_line(&self.redact_cow(line));
        self.text(&line);
    }

    /// Prints text that is meant to span lines (a summary, a payload, the outputs): redacted,
    /// with control characters other than newline and tab escaped (so no line can forge a
    /// GitLab section or move the cursor), and on GitHub always inside a `::stop-commands::`
    /// pause, so no line of it can be taken for a workflow command.
    pub fn info_block(&mut self, text: &str) {
        let text = escape_controls(&self.redact_cow(text)).into_owned();
        if self.kind == Kind::Github && self.stopped.is_none() {
            self.stop_commands();
        }
        self.text(text.trim_end_matches('\n'));
    }

    /// Prints a warning (an annotation on GitHub): redacted, one line, bounded.
    pub fn warning(&mut self, message: &str) {
        let message = crate::error::one_line(&self.redact_cow(message));
        match self.kind {
            Kind::Github => {
                let line = format!("::warning::{}", github::escape_data(&message));
                self.command(&line);
            }
            _ => self.text(&format!("warning: {message}")),
        }
    }

    /// Reports a failure: one line per problem, an `::error::` annotation on GitHub (with
    /// file, line and col when known). Source excerpts (line + caret) follow each error in a
    /// terminal; on CI they come after all the one-line errors.
    pub fn report_failure(&mut self, failure: &Failure) {
        let mut excerpts = Vec::new();
        for leaf in failure.leaves() {
            // Redacted before it is cut to one bounded line, so a secret near the cut can
            // never be shown in part.
            let text = self.redact(&uncut(leaf));
            let location = match leaf {
                Failure::Input { location, .. } => location.clone(),
                _ => None,
            };
            // Display is one bounded line already; the location's file is user text too.
            let text = crate::error::one_line(&text);
            match self.kind {
                Kind::Github => {
                    let line = github::error_command(&text, location.as_ref());
                    self.command(&line);
                    self.flush();
                }
                _ => self.error_line(&format!("error: {text}")),
            }
            if let Some(snippet) = leaf.snippet() {
                let snippet = escape_controls(&self.redact_cow(snippet)).into_owned();
                match (self.kind, &location) {
                    (Kind::Local, _) => self.error_line(&snippet),
                    (_, Some(loc)) => excerpts.push(format!(
                        "--> {}\n{snippet}",
                        crate::error::one_line(&loc.to_string())
                    )),
                    (_, None) => excerpts.push(snippet),
                }
            }
        }
        for excerpt in excerpts {
            match self.kind {
                Kind::Github => {
                    self.text(&excerpt);
                    self.flush();
                }
                _ => self.error_line(&excerpt),
            }
        }
    }

    /// An error line on stderr (GitLab and local), so stdout stays machine-readable; the
    /// buffered log goes first so the order on screen is the order of events.
    fn error_line(&mut self, line: &str) {
        self.flush();
        print_stderr(line);
    }

    /// Opens a collapsible log group (GitHub group, GitLab section); `end_group` closes it.
    /// The name is redacted and kept on one line on every platform.
    pub fn group(&mut self, name: &str) {
        let name = crate::error::one_line(&self.redact_cow(name));
        match self.kind {
            Kind::Github => {
                let line = format!("::group::{}", github::escape_data(&name));
                self.command(&line);
            }
            Kind::Gitlab => {
                let line = gitlab::section_start(&name);
                self.text(&line);
            }
            Kind::Local => self.text(&format!("== {name}")),
        }
    }

    /// Closes the group opened by [`Platform::group`] (called with the same name).
    pub fn end_group(&mut self, name: &str) {
        match self.kind {
            Kind::Github => self.command("::endgroup::"),
            Kind::Gitlab => {
                let name = crate::error::one_line(&self.redact_cow(name));
                let line = gitlab::section_end(&name);
                self.text(&line);
            }
            Kind::Local => {}
        }
    }

    /// Writes every result of the run at once: outputs, summary, artifacts, extra files.
    /// Nothing is written before this, so a failed run leaves no half-written outputs.
    ///
    /// An output name the runner cannot read back (empty, or with a line break, `=` or
    /// `<<`) is exit 2 before anything is written: verbs check the names they derive from
    /// user text themselves, with a better message; this is the net under them.
    pub fn finish(&mut self, report: &Report) -> Result<(), Failure> {
        if self.kind == Kind::Github {
            if let Some((name, _)) = report
                .outputs
                .iter()
                .find(|(n, _)| !github::valid_output_name(n))
            {
                return Err(Failure::input(
                    "outputs",
                    format!(
                        "the output name {} cannot be written to GITHUB_OUTPUT (it is empty, or holds a line break, '=' or '<<')",
                        crate::error::quote(name)
                    ),
                ));
            }
        }
        for (path, bytes) in &report.files {
            write_file(path, bytes)?;
        }
        let result = match self.kind {
            Kind::Github => github::finish(self, report),
            Kind::Gitlab => gitlab::finish(self, report),
            Kind::Local => {
                // Logs (stderr) before results (stdout).
                self.flush();
                local::finish(self, report)
            }
        };
        self.flush();
        result
    }

    /// Writes a verb's [`Outcome`]: results through [`Platform::finish`] (then the verb's
    /// own failure, if any, which sets the exit code), or text to stdout after the log, with
    /// its warnings on stderr.
    pub fn write(&mut self, outcome: Outcome) -> Result<(), Failure> {
        match outcome {
            Outcome::Report(report) => self.finish(&report),
            Outcome::Failed { report, failure } => {
                self.finish(&report)?;
                Err(failure)
            }
            Outcome::Stdout { text, warnings } => {
                // Anything logged so far comes first (on CI the log is stdout too).
                self.flush();
                if !warnings.is_empty() {
                    // This platform's warning (an annotation on GitHub, which reads workflow
                    // commands on stderr too), written to stderr instead of the log: on CI the
                    // log is stdout, and `> plan.env` must hold only the text.
                    let mut stderr = Platform::with_log(
                        self.kind,
                        self.env.clone(),
                        self.format,
                        Box::new(std::io::stderr()),
                    );
                    stderr.secrets = self.secrets.clone();
                    for w in &warnings {
                        stderr.warning(w);
                    }
                }
                write_stdout(text.as_bytes())
            }
        }
    }

    /// The path of a platform file variable, if set (`GITHUB_OUTPUT`, ...).
    pub fn env_path(&self, name: &str) -> Option<PathBuf> {
        self.env.get(name).map(PathBuf::from)
    }

    /// Writes one of shipgate's own workflow commands (GitHub): on a line of its own, after
    /// ending any `::stop-commands::` pause, so the runner reads it.
    fn command(&mut self, line: &str) {
        if self.mid_line {
            self.write_log("\n");
        }
        if let Some(token) = self.stopped.take() {
            self.write_log(&format!("::{token}::\n"));
        }
        self.write_log(line);
        self.write_log("\n");
    }

    /// Writes text (one line or several, already redacted and escaped). On GitHub, text
    /// that could hold a workflow command (a `::` anywhere, as a line may start with it
    /// after whitespace or a carriage return; the legacy `##[` anywhere) is written inside
    /// a `::stop-commands::<random token>` pause, which lasts until shipgate's next own
    /// command; other text is written as it is, so ordinary logs read as before.
    fn text(&mut self, text: &str) {
        if self.kind == Kind::Github && self.stopped.is_none() && github::may_command(text) {
            self.stop_commands();
        }
        self.write_log(text);
        self.write_log("\n");
    }

    /// Starts a `::stop-commands::` pause (GitHub) on a line of its own.
    fn stop_commands(&mut self) {
        if self.mid_line {
            self.write_log("\n");
        }
        let token = github::random_hex();
        self.write_log(&format!("::stop-commands::{token}\n"));
        self.stopped = Some(token);
    }

    /// The one place bytes reach the log; flushes when the last flush is over 100 ms old.
    fn write_log(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let _ = self.log.write_all(text.as_bytes());
        self.mid_line = !text.ends_with('\n');
        if self.last_flush.elapsed() > std::time::Duration::from_millis(100) {
            self.flush();
        }
    }

    /// Flushes buffered log lines (before exiting, and before anything else prints).
    pub fn flush(&mut self) {
        let _ = self.log.flush();
        self.last_flush = std::time::Instant::now();
    }

    /// Writes text as it is (a progress display's pieces, redacted). On GitHub any piece
    /// with a `:` or `#` starts a `::stop-commands::` pause first (a command could be split
    /// across pieces); on GitLab control characters other than newline and tab are
    /// escaped. Locally (a terminal) it is written unchanged, so a status line can redraw.
    pub(crate) fn log_raw(&mut self, text: &str) {
        let text = self.redact_cow(text).into_owned();
        match self.kind {
            Kind::Github => {
                if self.stopped.is_none() && text.contains([':', '#']) {
                    self.stop_commands();
                }
                self.write_log(&text);
            }
            Kind::Gitlab => {
                let text = escape_controls(&text).into_owned();
                self.write_log(&text);
            }
            Kind::Local => self.write_log(&text),
        }
    }

    /// Ends a `::stop-commands::` pause, if one is in force, and flushes: the runner then
    /// reads workflow commands again (a pause left open would swallow the commands of the
    /// job's later steps).
    pub fn close_log(&mut self) {
        if self.mid_line {
            self.write_log("\n");
        }
        if let Some(token) = self.stopped.take() {
            self.write_log(&format!("::{token}::\n"));
        }
        self.flush();
    }
}

impl Drop for Platform {
    fn drop(&mut self) {
        self.close_log();
    }
}

/// A failure's message before [`crate::error::one_line`] cuts it (what Display shows, uncut).
fn uncut(leaf: &Failure) -> String {
    match leaf {
        Failure::Input {
            input,
            location,
            message,
            ..
        } => match location {
            Some(loc) => format!("{loc}: input '{input}': {message}"),
            None => format!("input '{input}': {message}"),
        },
        Failure::Operational(e) => format!("{e:#}"),
        Failure::Decision(s) | Failure::Timeout(s) => s.clone(),
        Failure::Many(_) => leaf.to_string(),
    }
}

/// `text` with every control character except newline and tab escaped as in
/// [`crate::error::quote`] (a carriage return would start a new line for the runner; an
/// escape sequence could forge a GitLab section or rewrite the terminal).
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.chars().any(bad) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if bad(c) {
            match c {
                '\r' => out.push_str("\\r"),
                c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Prints text that shipgate has not run through a [`Platform`] yet (command-line usage
/// errors, a platform that cannot be detected) to stderr. On a GitHub runner, which reads
/// workflow commands from stderr too, text that could hold one (a user's argument echoed
/// back) is printed inside a `::stop-commands::` pause.
pub fn print_stderr_guarded(env: &Env, text: &str) {
    let text = text.trim_end_matches('\n');
    if env.is_true("GITHUB_ACTIONS") && github::may_command(text) {
        let token = github::random_hex();
        print_stderr(&format!("::stop-commands::{token}\n{text}\n::{token}::"));
    } else {
        print_stderr(text);
    }
}

/// Writes one line to stderr. Unlike `eprintln!`, a closed or broken stderr (as in
/// `shipgate … 2>&1 | head -1`) is ignored instead of aborting the process.
pub fn print_stderr(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err
        .write_all(line.as_bytes())
        .and_then(|_| err.write_all(b"\n"));
}

/// Writes a verb's results to stdout (a terminal, or a pipe a script reads). A reader that
/// stopped reading (`shipgate … | head -1`: a broken pipe) is not an error: what it took is
/// what it wanted, and the verb's own exit code stands. A closed stdout is ignored by std.
/// Any other write error is exit 1.
pub fn write_stdout(bytes: &[u8]) -> Result<(), Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::Operational(anyhow::anyhow!(
            "cannot write to stdout: {e}"
        ))),
    }
}

/// Writes a file, creating its folder.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| {
            Failure::Operational(anyhow::anyhow!("cannot create {}: {e}", dir.display()))
        })?;
    }
    std::fs::write(path, bytes)
        .map_err(|e| Failure::Operational(anyhow::anyhow!("cannot write {}: {e}", path.display())))
}

/// Appends to a file (runner command files).
pub fn append_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    use std::fs::OpenOptions;
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| {
            Failure::Operational(anyhow::anyhow!("cannot open {}: {e}", path.display()))
        })?;
    f.write_all(bytes)
        .map_err(|e| Failure::Operational(anyhow::anyhow!("cannot write {}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A log writer the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(kind: Kind, f: impl FnOnce(&mut Platform)) -> String {
        let buf = Shared::default();
        let mut p = Platform::with_log(
            kind,
            Env::default(),
            OutputFormat::Text,
            Box::new(buf.clone()),
        );
        f(&mut p);
        drop(p);
        let bytes = buf.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    const NASTY: &str = "a\nb\r::error::x\u{1b}[0Ksection_end:1:y";

    #[test]
    fn user_text_stays_one_line_on_every_platform() {
        for kind in [Kind::Github, Kind::Gitlab, Kind::Local] {
            let log = logged(kind, |p| {
                p.info(NASTY);
                p.warning(NASTY);
                p.group(NASTY);
                p.end_group(NASTY);
            });
            for line in log.lines() {
                // The only control characters are those of a GitLab section line itself.
                let own = kind == Kind::Gitlab && line.starts_with("\u{1b}[0Ksection_");
                let (escapes, returns) = if own { (2, 1) } else { (0, 0) };
                assert!(
                    line.matches('\u{1b}').count() <= escapes,
                    "{kind:?}: {line:?}"
                );
                assert!(line.matches('\r').count() <= returns, "{kind:?}: {line:?}");
            }
            // info, warning and group each print the text once, escaped on one line.
            assert_eq!(log.matches("a\\nb").count(), 3, "{kind:?}:\n{log}");
        }
    }

    #[test]
    fn warnings_are_capped() {
        let long = "w".repeat(100_000);
        for kind in [Kind::Github, Kind::Gitlab, Kind::Local] {
            let log = logged(kind, |p| p.warning(&long));
            assert!(
                log.len() < crate::error::LINE_MAX + 200,
                "{kind:?}: {}",
                log.len()
            );
        }
    }

    #[test]
    fn own_commands_resume_after_a_pause() {
        let log = logged(Kind::Github, |p| {
            p.info("::error::from a file name");
            p.log_raw("partial ::");
            p.warning("real warning");
            p.info_block("line 1\n##[error]line 2\n");
        });
        let lines: Vec<&str> = log.lines().collect();
        let token = lines[0].strip_prefix("::stop-commands::").unwrap();
        assert_eq!(token.len(), 32);
        assert_eq!(lines[1], "::error::from a file name");
        assert_eq!(lines[2], "partial ::");
        assert_eq!(lines[3], format!("::{token}::"));
        assert_eq!(lines[4], "::warning::real warning");
        let second = lines[5].strip_prefix("::stop-commands::").unwrap();
        assert_ne!(second, token);
        assert_eq!(&lines[6..8], ["line 1", "##[error]line 2"]);
        // Closed when the platform goes away, so later steps' commands work.
        assert_eq!(lines[8], format!("::{second}::"));
        assert_eq!(lines.len(), 9);
    }

    #[test]
    fn a_mask_reads_back_as_the_secret() {
        let log = logged(Kind::Github, |p| p.add_secret("https://h/x?k=a%25b"));
        assert_eq!(log, "::add-mask::https://h/x?k=a%2525b\n");
    }

    #[test]
    fn plain_text_prints_unchanged() {
        let log = logged(Kind::Github, |p| {
            p.info("Detected 3 changed files");
            p.group("Filter web");
            p.end_group("Filter web");
        });
        assert_eq!(
            log,
            "Detected 3 changed files\n::group::Filter web\n::endgroup::\n"
        );
    }
}
