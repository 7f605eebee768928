//! Test peers (act, gitlab-ci-local, actionlint, check-jsonschema, shellcheck, Prism) and the small
//! helpers the packaging and end-to-end tests share: running a command with a time limit,
//! a throwaway git repository, YAML loading and the CLI's flag list.
//!
//! Reach it as `crate::support::peers`. A peer that cannot be found
//! fails the test with a message naming `scripts/setup-test-peers`: a missing peer never
//! passes silently.
#![allow(dead_code)]

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The repository root (where Cargo.toml is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The shipgate binary cargo built for these tests.
pub fn shipgate() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_shipgate"))
}

/// Where `scripts/setup-test-peers` installs the peers.
fn peers_dir() -> PathBuf {
    std::env::var_os("SHIPGATE_TEST_PEERS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join(".test-peers"))
}

/// The path of a test peer: the pinned copy in `.test-peers/` first, else the first on PATH.
/// Panics, naming the set-up script, when it is in neither.
pub fn peer(name: &str) -> PathBuf {
    let dir = peers_dir();
    let pinned = [
        dir.join("venv/bin"),
        dir.join("node/node_modules/.bin"),
        dir.join("prism/node_modules/.bin"),
    ];
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    pinned
        .iter()
        .chain(on_path.iter())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "test peer `{name}` not found in {} or on PATH: run scripts/setup-test-peers \
                 (or scripts/test, which runs it)",
                dir.display()
            )
        })
}

/// A data file `scripts/setup-test-peers` installs under `.test-peers/` (e.g.
/// `openapi/api.github.com.json`). Panics, naming the set-up script, when it is missing.
pub fn peer_file(rel: &str) -> PathBuf {
    let path = peers_dir().join(rel);
    assert!(
        path.is_file(),
        "test peer file {} not found: run scripts/setup-test-peers (or scripts/test, which runs it)",
        path.display()
    );
    path
}

/// PATH with `dirs` in front (the shipgate binary's folder, a peer's folder, ...).
pub fn path_with(dirs: &[&Path]) -> OsString {
    let mut all: Vec<PathBuf> = dirs.iter().map(|d| d.to_path_buf()).collect();
    if let Some(path) = std::env::var_os("PATH") {
        all.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(all).expect("PATH entries contain no separator")
}

/// Removes every variable a CI runner sets, so a test run inside GitHub Actions or GitLab CI
/// (or with a stray INPUT_* exported) sees the same environment as on a laptop.
pub fn clean_env(cmd: &mut Command) -> &mut Command {
    const PREFIXES: [&str; 8] = [
        "GITHUB_",
        "RUNNER_",
        "ACTIONS_",
        "INPUT_",
        "CI_",
        "GITLAB_",
        "SHIPGATE_",
        "GCL_",
    ];
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if key == "CI" || PREFIXES.iter().any(|p| key.starts_with(p)) {
            cmd.env_remove(key);
        }
    }
    cmd
}

/// What a finished command printed.
#[derive(Debug)]
pub struct Outcome {
    pub what: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// Panics with both streams unless the command exited 0.
    pub fn assert_success(&self) -> &Self {
        assert!(
            self.status.success(),
            "{} failed ({})\n{}",
            self.what,
            self.status,
            self.dump()
        );
        self
    }

    /// Both streams, labelled, for assertion messages.
    pub fn dump(&self) -> String {
        format!(
            "--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout, self.stderr
        )
    }

    /// Panics (showing the output) unless stdout or stderr contains `needle`.
    pub fn assert_contains(&self, needle: &str) -> &Self {
        assert!(
            self.stdout.contains(needle) || self.stderr.contains(needle),
            "{}: expected the output to contain {needle:?}\n{}",
            self.what,
            self.dump()
        );
        self
    }

    /// Panics (showing the output) if stdout or stderr contains `needle`.
    pub fn assert_lacks(&self, needle: &str) -> &Self {
        assert!(
            !self.stdout.contains(needle) && !self.stderr.contains(needle),
            "{}: expected the output not to contain {needle:?}\n{}",
            self.what,
            self.dump()
        );
        self
    }
}

/// Runs `cmd` with stdin closed, capturing both streams (through files, so a chatty peer
/// cannot fill a pipe and stall), and kills it after `limit`.
pub fn run(cmd: &mut Command, limit: Duration) -> Outcome {
    let what = format!("{cmd:?}");
    let capture = tempfile::tempdir().expect("temp dir for output");
    let out_path = capture.path().join("stdout");
    let err_path = capture.path().join("stderr");
    let out = fs::File::create(&out_path).expect("stdout file");
    let err = fs::File::create(&err_path).expect("stderr file");
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "{what} did not finish within {limit:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
                fs::read_to_string(&out_path).unwrap_or_default(),
                fs::read_to_string(&err_path).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Outcome {
        what,
        status,
        stdout: String::from_utf8_lossy(&fs::read(&out_path).unwrap_or_default()).into_owned(),
        stderr: String::from_utf8_lossy(&fs::read(&err_path).unwrap_or_default()).into_owned(),
    }
}

/// The peers' tests build their repositories with the one [`TestRepo`](super::TestRepo).
pub use super::TestRepo as Repo;

/// Parses one YAML document into JSON values (the shape the schemas and tests reason about).
pub fn yaml(text: &str, what: &str) -> serde_json::Value {
    serde_saphyr::from_str(text).unwrap_or_else(|e| panic!("{what} is not valid YAML: {e}"))
}

/// Reads and parses a project file.
pub fn project_yaml(rel: &str) -> serde_json::Value {
    let text = fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"));
    yaml(&text, rel)
}

/// One long option of the CLI, from `--help`.
#[derive(Debug, Clone)]
pub struct Flag {
    /// Without the leading `--`.
    pub name: String,
    /// The first line of its help text.
    pub help: String,
}

/// The long options `shipgate <args> --help` lists, in order. Options of the top-level
/// command (global ones, `--help`, `--version`) are left out when `args` names a verb.
pub fn flags(args: &[&str]) -> Vec<Flag> {
    let own = parse_flags(&help_text(args));
    if args.is_empty() {
        return own;
    }
    // A verb's own flag may share a name with a top-level one (notify's `--version <VERSION>`
    // vs `shipgate --version`): only the same flag with the same help is the global one.
    let global = parse_flags(&help_text(&[]));
    own.into_iter()
        .filter(|f| {
            f.name != "help" && !global.iter().any(|g| g.name == f.name && g.help == f.help)
        })
        .collect()
}

/// The verbs (subcommands) `shipgate --help` lists.
pub fn verbs() -> Vec<String> {
    let help = help_text(&[]);
    let mut in_commands = false;
    let mut verbs = Vec::new();
    for line in help.lines() {
        if line.starts_with("Commands:") {
            in_commands = true;
            continue;
        }
        if in_commands {
            if !line.starts_with("  ") {
                break;
            }
            if let Some(word) = line.split_whitespace().next() {
                if word != "help" && line.starts_with("  ") && !line.starts_with("   ") {
                    verbs.push(word.to_string());
                }
            }
        }
    }
    verbs
}

fn help_text(args: &[&str]) -> String {
    let mut cmd = Command::new(shipgate());
    clean_env(&mut cmd).args(args).arg("--help");
    let out = run(&mut cmd, Duration::from_secs(30));
    out.assert_success();
    out.stdout
}

fn parse_flags(help: &str) -> Vec<Flag> {
    let lines: Vec<&str> = help.lines().collect();
    let mut flags = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        // "--name <NAME>", "-h, --help", "--name <NAME>  Help on the same line" (short help).
        let Some(pos) = trimmed.find("--") else {
            continue;
        };
        if !(trimmed.starts_with("--")
            || (trimmed.starts_with('-') && trimmed[..pos].ends_with(", ")))
        {
            continue;
        }
        let rest = &trimmed[pos + 2..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if name.is_empty() {
            continue;
        }
        let inline = rest[name.len()..]
            .split("  ")
            .map(str::trim)
            .filter(|s| !s.is_empty() && !s.starts_with('<'))
            .last()
            .unwrap_or("");
        let help = if !inline.is_empty() {
            inline.to_string()
        } else {
            lines[i + 1..]
                .iter()
                .map(|l| l.trim())
                .find(|l| !l.is_empty())
                .unwrap_or("")
                .to_string()
        };
        flags.push(Flag { name, help });
    }
    flags
}
