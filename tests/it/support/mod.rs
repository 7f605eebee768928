//! Test helpers: real git repositories, and the binary run exactly as a runner runs it.
#![allow(dead_code)]

pub mod github_fake;
pub mod gitlab_fake;
pub mod http;
pub mod notify;
pub mod peers;
pub mod snapshot;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A real git repository in a temporary folder, built with the git CLI.
pub struct TestRepo {
    pub dir: tempfile::TempDir,
}

impl TestRepo {
    /// An empty repository on branch `main`.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("shipgate-test-")
            .tempdir()
            .expect("tempdir");
        let repo = TestRepo { dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.email", "dev@example.com"]);
        repo.git(&["config", "user.name", "Dev"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs git in the repository and returns trimmed stdout; panics on failure.
    pub fn git(&self, args: &[&str]) -> String {
        git_in(self.path(), args)
    }

    /// Writes a file (creating folders).
    pub fn write(&self, path: &str, content: impl AsRef<[u8]>) -> &Self {
        let full = self.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, content).unwrap_or_else(|e| panic!("write {}: {e}", full.display()));
        self
    }

    /// Copies a file of this project into the repository at the same relative path.
    pub fn copy_from_project(&self, rel: &str) -> &Self {
        let text =
            std::fs::read(peers::root().join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"));
        self.write(rel, text)
    }

    /// Deletes a file.
    pub fn remove(&self, path: &str) -> &Self {
        std::fs::remove_file(self.path().join(path)).unwrap();
        self
    }

    /// Stages everything and commits; returns the new SHA.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.head()
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"])
    }

    pub fn checkout_new(&self, branch: &str) -> &Self {
        self.git(&["checkout", "-q", "-b", branch]);
        self
    }

    pub fn checkout(&self, rev: &str) -> &Self {
        self.git(&["checkout", "-q", rev]);
        self
    }

    /// A bare clone of this repository, to serve as `origin` for shallow clones.
    pub fn bare_clone(&self) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("origin.git");
        git_in(
            self.path(),
            &["clone", "-q", "--bare", ".", target.to_str().unwrap()],
        );
        git_in(
            &target,
            &["config", "uploadpack.allowAnySHA1InWant", "true"],
        );
        dir
    }
}

/// Clones `origin` shallowly (as actions/checkout does, fetch-depth N) at `branch`.
pub fn shallow_clone(origin: &Path, branch: &str, depth: u32) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("file://{}", origin.display());
    git_in(
        dir.path(),
        &[
            "clone",
            "-q",
            "--depth",
            &depth.to_string(),
            "--branch",
            branch,
            "--no-tags",
            &url,
            ".",
        ],
    );
    git_in(dir.path(), &["config", "user.email", "dev@example.com"]);
    git_in(dir.path(), &["config", "user.name", "Dev"]);
    dir
}

pub fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {:?} failed: {}",
        args,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The result of one run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// The step's outputs as its platform carries them (name → value, in file order):
    /// `$GITHUB_OUTPUT` on GitHub, the dotenv report on GitLab.
    pub outputs: Vec<(String, String)>,
    /// Raw `$GITHUB_OUTPUT` text.
    pub output_file: String,
    /// Raw text of the GitLab dotenv report in the working directory after the run (the
    /// `dotenv` input, else the verb's default file); none on GitHub or when there is none.
    pub report: Option<String>,
    pub summary: String,
    pub workdir: PathBuf,
}

impl Run {
    pub fn get(&self, name: &str) -> &str {
        self.outputs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| {
                panic!(
                    "no output '{name}' in {:?}\nstdout:\n{}",
                    self.outputs, self.stdout
                )
            })
    }

    pub fn map(&self) -> BTreeMap<String, String> {
        self.outputs.iter().cloned().collect()
    }

    /// The GitLab dotenv report; panics (showing both streams) when the run wrote none.
    pub fn report(&self) -> &str {
        self.report
            .as_deref()
            .unwrap_or_else(|| panic!("no dotenv report written\n{}", self.dump()))
    }

    /// Both streams, labelled, for assertion messages.
    pub fn dump(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout, self.stderr
        )
    }

    /// Panics (showing both streams) unless the run exited with `code`.
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "exit code\n{}", self.dump());
        self
    }

    /// Panics (showing both streams) unless stdout contains `needle`.
    pub fn stdout_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle),
            "expected stdout to contain {needle:?}\n{}",
            self.dump()
        );
        self
    }

    /// Panics (showing both streams) if stdout contains `needle`.
    pub fn stdout_lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.stdout.contains(needle),
            "expected stdout not to contain {needle:?}\n{}",
            self.dump()
        );
        self
    }

    /// Panics (showing both streams) unless stderr contains `needle`.
    pub fn stderr_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stderr.contains(needle),
            "expected stderr to contain {needle:?}\n{}",
            self.dump()
        );
        self
    }

    /// Panics (showing both streams) if stderr contains `needle`.
    pub fn stderr_lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.stderr.contains(needle),
            "expected stderr not to contain {needle:?}\n{}",
            self.dump()
        );
        self
    }
}

/// Where a GitLab job of `verb` writes its dotenv report, relative to the working directory.
fn default_report(verb: &str) -> Option<&'static str> {
    match verb {
        "detect-changes" => Some("shipgate.env"),
        "gate" => Some("shipgate-gate.env"),
        "notify" => Some("shipgate-notify.env"),
        _ => None,
    }
}

/// Parses a dotenv report (`NAME=value` lines, as GitLab reads `artifacts:reports:dotenv`).
pub fn parse_dotenv(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Builds a runner-style invocation of the binary.
pub struct Action {
    args: Vec<String>,
    env: Vec<(String, String)>,
    event: Option<(String, serde_json::Value)>,
    cwd: PathBuf,
    /// Hand the binary fresh `GITHUB_OUTPUT` and `GITHUB_STEP_SUMMARY` files.
    files: bool,
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_shipgate")
}

impl Action {
    /// `shipgate <verb>` in `cwd`, as a GitHub container action step.
    pub fn github(verb: &str, cwd: &Path) -> Self {
        Action {
            args: vec![verb.to_string()],
            env: vec![("GITHUB_ACTIONS".into(), "true".into())],
            event: None,
            cwd: cwd.to_path_buf(),
            files: true,
        }
    }

    /// `shipgate <verb>` in `cwd`, as a GitLab job.
    pub fn gitlab(verb: &str, cwd: &Path) -> Self {
        Action {
            args: vec![verb.to_string()],
            env: vec![("GITLAB_CI".into(), "true".into())],
            event: None,
            cwd: cwd.to_path_buf(),
            files: true,
        }
    }

    /// `shipgate <verb>` in `cwd`, as a terminal runs it: no runner variables, no output
    /// files (only PATH and HOME are kept).
    pub fn local(verb: &str, cwd: &Path) -> Self {
        Action {
            args: vec![verb.to_string()],
            env: vec![],
            event: None,
            cwd: cwd.to_path_buf(),
            files: false,
        }
    }

    /// No `GITHUB_OUTPUT` / `GITHUB_STEP_SUMMARY` files: the runner variables alone.
    pub fn without_runner_files(mut self) -> Self {
        self.files = false;
        self
    }

    /// More arguments after the verb.
    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| a.to_string()));
        self
    }

    /// An action input, passed the runner's way: `INPUT_<NAME>` upper-cased, hyphens kept.
    pub fn input(mut self, name: &str, value: &str) -> Self {
        self.env.push((
            format!("INPUT_{}", name.to_uppercase().replace(' ', "_")),
            value.to_string(),
        ));
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    pub fn arg(mut self, arg: &str) -> Self {
        self.args.push(arg.to_string());
        self
    }

    /// The event name and payload (`GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH`).
    pub fn event(mut self, name: &str, payload: serde_json::Value) -> Self {
        self.event = Some((name.to_string(), payload));
        self
    }

    fn on_gitlab(&self) -> bool {
        self.env
            .iter()
            .any(|(k, v)| k == "GITLAB_CI" && v == "true")
    }

    /// The GitLab dotenv report this run writes: the last `dotenv` input, else the verb's
    /// default; none on GitHub.
    fn report_path(&self) -> Option<PathBuf> {
        if !self.on_gitlab() {
            return None;
        }
        let chosen = self
            .env
            .iter()
            .rev()
            .find(|(k, _)| k == "INPUT_DOTENV")
            .map(|(_, v)| v.as_str());
        let rel = chosen.or_else(|| default_report(self.args.first()?))?;
        Some(self.cwd.join(rel))
    }

    /// Runs the binary, on GitHub and GitLab with a fresh `GITHUB_OUTPUT` and
    /// `GITHUB_STEP_SUMMARY` (on GitLab to show that nothing is written there).
    pub fn run(self) -> Run {
        let files = tempfile::tempdir().unwrap();
        let output = files.path().join("github_output");
        let summary = files.path().join("step_summary");
        let mut cmd = Command::new(bin());
        cmd.current_dir(&self.cwd).args(&self.args).env_clear();
        for keep in ["PATH", "HOME"] {
            if let Ok(v) = std::env::var(keep) {
                cmd.env(keep, v);
            }
        }
        if self.files {
            std::fs::write(&output, "").unwrap();
            std::fs::write(&summary, "").unwrap();
            cmd.env("GITHUB_OUTPUT", &output)
                .env("GITHUB_STEP_SUMMARY", &summary);
        }
        if let Some((name, payload)) = &self.event {
            let path = files.path().join("event.json");
            std::fs::write(&path, serde_json::to_vec(payload).unwrap()).unwrap();
            cmd.env("GITHUB_EVENT_NAME", name)
                .env("GITHUB_EVENT_PATH", &path);
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("binary runs");
        let read = |path: &Path| match self.files {
            true => std::fs::read_to_string(path).unwrap(),
            false => String::new(),
        };
        let output_file = read(&output);
        let report = self
            .report_path()
            .and_then(|p| std::fs::read_to_string(p).ok());
        let outputs = if self.on_gitlab() {
            parse_dotenv(report.as_deref().unwrap_or_default())
        } else {
            parse_github_output(&output_file)
        };
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            outputs,
            output_file,
            report,
            summary: read(&summary),
            workdir: self.cwd,
        }
    }
}

/// Parses the `name<<DELIM` / `name=value` forms of `$GITHUB_OUTPUT`, as the runner does.
pub fn parse_github_output(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        if let Some((name, delim)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                value.push(l);
            }
            out.push((name.to_string(), value.join("\n")));
        } else if let Some((name, value)) = line.split_once('=') {
            out.push((name.to_string(), value.to_string()));
        }
    }
    out
}
