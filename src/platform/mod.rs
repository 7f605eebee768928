//! Where shipgate runs: GitHub Actions, GitLab CI or a terminal.
//!
//! This module owns every contact with the runner: reading inputs (`INPUT_*` with hyphens
//! kept, flags first), the event/context variables, logging with annotations and groups,
//! masking secrets, and writing a verb's results (outputs, job summary, artifacts) all at
//! once at the end. Verb cores never read the environment or write files themselves: they
//! get a [`Platform`] and return a [`Report`].

pub mod github;
pub mod gitlab;
pub mod local;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

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
                other => Err(Failure::input(
                    "SHIPGATE_PLATFORM",
                    format!("unknown platform '{other}' (expected github, gitlab or local)"),
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
    secrets: Vec<String>,
    log: Box<dyn Write>,
    last_flush: std::time::Instant,
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
        Ok(Platform {
            kind,
            env,
            format,
            gitlab: GitlabSinks::default(),
            secrets: Vec::new(),
            log,
            last_flush: std::time::Instant::now(),
        })
    }

    /// Resolves an input: the flag if given, else `INPUT_<NAME>` (upper-cased, spaces to
    /// `_`, hyphens kept, as the GitHub runner sets it), else the same with hyphens as
    /// underscores (GitLab variables cannot contain hyphens). Values are trimmed; empty
    /// means not given.
    pub fn input(&self, name: &str, flag: Option<&str>) -> Option<String> {
        if let Some(v) = flag.map(str::trim).filter(|v| !v.is_empty()) {
            return Some(v.to_string());
        }
        let upper = name.replace(' ', "_").to_uppercase();
        let keys = [
            format!("INPUT_{upper}"),
            format!("INPUT_{}", upper.replace('-', "_")),
        ];
        keys.iter()
            .find_map(|k| self.env.get(k))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
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
            let line = format!("::add-mask::{value}");
            self.line(&line);
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

    /// Prints a plain log line.
    pub fn info(&mut self, line: &str) {
        if self.secrets.iter().any(|s| line.contains(s.as_str())) {
            let line = self.redact(line);
            self.line(&line);
        } else {
            self.line(line);
        }
    }

    /// Prints a warning (an annotation on GitHub).
    pub fn warning(&mut self, message: &str) {
        let message = self.redact(message);
        let line = match self.kind {
            Kind::Github => format!("::warning::{}", github::escape_data(&message)),
            _ => format!("warning: {message}"),
        };
        self.line(&line);
    }

    /// Reports a failure: one line per problem, an `::error::` annotation on GitHub (with
    /// file, line and col when known). Source excerpts (line + caret) follow each error in a
    /// terminal; on CI they come after all the one-line errors.
    pub fn report_failure(&mut self, failure: &Failure) {
        let mut excerpts = Vec::new();
        for leaf in failure.leaves() {
            let text = self.redact(&leaf.to_string());
            let location = match leaf {
                Failure::Input { location, .. } => location.clone(),
                _ => None,
            };
            let line = match self.kind {
                Kind::Github => github::error_command(&text, location.as_ref()),
                _ => format!("error: {text}"),
            };
            self.error_line(&line);
            if let Some(snippet) = leaf.snippet() {
                let snippet = self.redact(snippet);
                match (self.kind, &location) {
                    (Kind::Local, _) => self.error_line(&snippet),
                    (_, Some(loc)) => excerpts.push(format!("--> {loc}\n{snippet}")),
                    (_, None) => excerpts.push(snippet),
                }
            }
        }
        for excerpt in excerpts {
            self.error_line(&excerpt);
        }
    }

    fn error_line(&mut self, line: &str) {
        match self.kind {
            Kind::Github => self.line(line),
            // Errors go to stderr everywhere else, so stdout stays machine-readable; the
            // buffered log goes first so the order on screen is the order of events.
            _ => {
                self.flush();
                print_stderr(line);
            }
        }
        self.flush();
    }

    /// Opens a collapsible log group (GitHub group, GitLab section); `end_group` closes it.
    pub fn group(&mut self, name: &str) {
        let name = self.redact(name);
        let line = match self.kind {
            Kind::Github => format!("::group::{name}"),
            Kind::Gitlab => gitlab::section_start(&name),
            Kind::Local => format!("== {name}"),
        };
        self.line(&line);
    }

    /// Closes the group opened by [`Platform::group`].
    pub fn end_group(&mut self, name: &str) {
        let line = match self.kind {
            Kind::Github => "::endgroup::".to_string(),
            Kind::Gitlab => gitlab::section_end(name),
            Kind::Local => return,
        };
        self.line(&line);
    }

    /// Writes every result of the run at once: outputs, summary, artifacts, extra files.
    /// Nothing is written before this, so a failed run leaves no half-written outputs.
    pub fn finish(&mut self, report: &Report) -> Result<(), Failure> {
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

    /// The path of a platform file variable, if set (`GITHUB_OUTPUT`, ...).
    pub fn env_path(&self, name: &str) -> Option<PathBuf> {
        self.env.get(name).map(PathBuf::from)
    }

    /// Writes one log line; flushes when the last flush is over 100 ms old.
    fn line(&mut self, line: &str) {
        let _ = writeln!(self.log, "{line}");
        if self.last_flush.elapsed() > std::time::Duration::from_millis(100) {
            self.flush();
        }
    }

    /// Flushes buffered log lines (before exiting, and before anything else prints).
    pub fn flush(&mut self) {
        let _ = self.log.flush();
        self.last_flush = std::time::Instant::now();
    }

    pub(crate) fn log_raw(&mut self, text: &str) {
        let text = self.redact(text);
        let _ = self.log.write_all(text.as_bytes());
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
