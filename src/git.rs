//! The git CLI wrapper: diffs, merge-bases, ref resolution and history deepening.
//!
//! We shell out to `git` (measured fastest here, and it reuses the checkout's credentials
//! for fetches). Every call runs with `LC_ALL=C`, `core.quotepath=off` and
//! `safe.directory=*` (container actions run as another user than the checkout's owner),
//! and never prompts for credentials.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use anyhow::{anyhow, Context};

/// The all-zero SHA the runners send for "no previous commit".
pub const NULL_SHA: &str = "0000000000000000000000000000000000000000";

/// How a file changed, in paths-filter's vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Added,
    Modified,
    Deleted,
    Renamed,
    Copied,
    /// A type change (file ↔ symlink ↔ submodule): matches plain globs only, as in paths-filter.
    TypeChanged,
    Unmerged,
    Unknown,
}

impl Status {
    /// The status word used in filter rules (`added|modified: glob`); `None` for the kinds
    /// paths-filter leaves without a status.
    pub fn rule_name(self) -> Option<&'static str> {
        match self {
            Status::Added => Some("added"),
            Status::Modified => Some("modified"),
            Status::Deleted => Some("deleted"),
            Status::Renamed => Some("renamed"),
            Status::Copied => Some("copied"),
            Status::TypeChanged | Status::Unmerged | Status::Unknown => None,
        }
    }

    /// A label for logs and summaries.
    pub fn label(self) -> &'static str {
        match self {
            Status::TypeChanged => "type-changed",
            Status::Unmerged => "unmerged",
            Status::Unknown => "unknown",
            other => other.rule_name().unwrap_or("unknown"),
        }
    }

    /// Parses a REST API file status (`added`, `removed`, `modified`, `renamed`, ...).
    pub fn from_api(s: &str) -> Status {
        match s {
            "added" => Status::Added,
            "removed" => Status::Deleted,
            "modified" | "changed" => Status::Modified,
            "renamed" => Status::Renamed,
            "copied" => Status::Copied,
            _ => Status::Unknown,
        }
    }

    fn from_git(letter: u8) -> Status {
        match letter {
            b'A' => Status::Added,
            b'M' => Status::Modified,
            b'D' => Status::Deleted,
            b'R' => Status::Renamed,
            b'C' => Status::Copied,
            b'T' => Status::TypeChanged,
            b'U' => Status::Unmerged,
            _ => Status::Unknown,
        }
    }
}

/// One changed file. `from` is the old path of a rename or copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub status: Status,
    pub path: String,
    pub from: Option<String>,
}

/// A failed git command, with its arguments and stderr.
#[derive(Debug, thiserror::Error)]
#[error("git {args} failed ({status}): {stderr}")]
pub struct GitError {
    pub args: String,
    pub status: String,
    pub stderr: String,
}

/// A git repository (or a folder inside one) that commands run in.
#[derive(Debug, Clone)]
pub struct Git {
    dir: PathBuf,
}

impl Git {
    /// Commands will run in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Git { dir: dir.into() }
    }

    /// The folder commands run in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("git");
        cmd.current_dir(&self.dir)
            .env("LC_ALL", "C")
            .env("GIT_TERMINAL_PROMPT", "0")
            .args(["-c", "safe.directory=*", "-c", "core.quotepath=off"])
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    /// Runs git and returns its output whatever the exit status.
    pub fn output(&self, args: &[&str]) -> anyhow::Result<Output> {
        self.command(args)
            .output()
            .with_context(|| "cannot run git: is it installed and on PATH?".to_string())
    }

    /// Runs git and returns stdout, or a [`GitError`] when it fails.
    pub fn run(&self, args: &[&str]) -> anyhow::Result<Vec<u8>> {
        let out = self.output(args)?;
        if out.status.success() {
            Ok(out.stdout)
        } else {
            Err(GitError {
                args: args.join(" "),
                status: out.status.to_string(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            }
            .into())
        }
    }

    fn run_line(&self, args: &[&str]) -> Option<String> {
        let out = self.output(args).ok()?;
        if !out.status.success() {
            return None;
        }
        let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
        (!line.is_empty()).then_some(line)
    }

    /// One call for the two questions every run asks first: is this a work tree, and
    /// which branch is checked out (`None` when detached or unborn).
    pub fn probe(&self) -> (bool, Option<String>) {
        let Ok(out) = self.output(&["rev-parse", "--is-inside-work-tree", "--abbrev-ref", "HEAD"])
        else {
            return (false, None);
        };
        let text = String::from_utf8_lossy(&out.stdout);
        let mut lines = text.lines();
        if lines.next() != Some("true") {
            return (false, None);
        }
        let branch = lines
            .next()
            .filter(|b| out.status.success() && *b != "HEAD")
            .map(str::to_string);
        (true, branch)
    }

    /// The commit SHA a revision names, if it exists locally.
    pub fn commit_sha(&self, rev: &str) -> Option<String> {
        let spec = format!("{rev}^{{commit}}");
        self.run_line(&[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ])
    }

    /// For a detached HEAD: the exact tag, else the HEAD SHA (the rest of paths-filter's
    /// `getCurrentRef`, after the branch that [`Git::probe`] reports).
    pub fn detached_ref(&self) -> Option<String> {
        self.run_line(&["describe", "--tags", "--exact-match"])
            .or_else(|| self.run_line(&["rev-parse", "HEAD"]))
    }

    /// Resolves a short name the way paths-filter does: `origin/<name>` first, then the
    /// local branch or tag, then any revision git understands.
    pub fn resolve(&self, name: &str) -> Option<String> {
        if is_sha(name) {
            return self.commit_sha(name).map(|_| name.to_string());
        }
        for candidate in [
            format!("refs/remotes/origin/{name}"),
            format!("refs/heads/{name}"),
            format!("refs/tags/{name}"),
        ] {
            if self.commit_sha(&candidate).is_some() {
                return Some(candidate);
            }
        }
        self.commit_sha(name).map(|_| name.to_string())
    }

    /// The merge-base of two revisions, if they share history locally.
    pub fn merge_base(&self, a: &str, b: &str) -> Option<String> {
        self.run_line(&["merge-base", "--end-of-options", a, b])
    }

    /// True for a shallow clone.
    pub fn is_shallow(&self) -> bool {
        self.run_line(&["rev-parse", "--is-shallow-repository"])
            .as_deref()
            == Some("true")
    }

    /// True when a remote named `origin` exists.
    pub fn has_origin(&self) -> bool {
        self.run_line(&["remote", "get-url", "origin"]).is_some()
    }

    /// Number of commits reachable from any ref (to see whether a deepen fetched anything).
    pub fn commit_count(&self) -> u64 {
        self.run_line(&["rev-list", "--count", "--all"])
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    /// The top folder of the work tree.
    pub fn toplevel(&self) -> Option<PathBuf> {
        self.run_line(&["rev-parse", "--show-toplevel"])
            .map(PathBuf::from)
    }

    /// The content of `path` (relative to the top folder) at `rev`; `None` when the file is
    /// not there (or `rev` is not a commit here).
    pub fn show_file(&self, rev: &str, path: &str) -> Option<Vec<u8>> {
        let spec = format!("{rev}:{path}");
        self.run(&["cat-file", "blob", "--end-of-options", &spec])
            .ok()
    }

    /// `git fetch origin ...` with the given options; errors carry git's stderr.
    pub fn fetch(&self, options: &[&str], refs: &[&str]) -> anyhow::Result<()> {
        let mut args = vec!["fetch", "--no-tags", "--no-recurse-submodules", "--quiet"];
        args.extend_from_slice(options);
        args.push("origin");
        args.extend_from_slice(refs);
        self.run(&args).map(|_| ())
    }

    /// Changed files between two commits: two-dot (`a..b`) or from their merge-base
    /// (`a...b`).
    pub fn diff(
        &self,
        base: &str,
        head: &str,
        three_dot: bool,
        renames: bool,
    ) -> anyhow::Result<Vec<Change>> {
        let range = if three_dot {
            format!("{base}...{head}")
        } else {
            format!("{base}..{head}")
        };
        let out = self.run(&[
            "diff",
            rename_flag(renames),
            "--name-status",
            "-z",
            &range,
            "--",
        ])?;
        parse_name_status(&out)
    }

    /// Staged and unstaged changes of tracked files against HEAD (`base: HEAD`).
    pub fn diff_worktree(&self, renames: bool) -> anyhow::Result<Vec<Change>> {
        let out = self.run(&[
            "diff",
            rename_flag(renames),
            "--name-status",
            "-z",
            "HEAD",
            "--",
        ])?;
        parse_name_status(&out)
    }

    /// The changes of the last commit (a merge commit against its first parent).
    pub fn last_commit(&self, renames: bool) -> anyhow::Result<Vec<Change>> {
        let out = self.run(&[
            "log",
            "--format=",
            rename_flag(renames),
            "--diff-merges=first-parent",
            "--name-status",
            "-z",
            "-n",
            "1",
            "HEAD",
            "--",
        ])?;
        parse_name_status(&out)
    }

    /// Every tracked file, as added (first push of the default branch).
    pub fn all_files_added(&self) -> anyhow::Result<Vec<Change>> {
        let out = self.run(&["ls-files", "-z"])?;
        Ok(out
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|p| Change {
                status: Status::Added,
                path: String::from_utf8_lossy(p).into_owned(),
                from: None,
            })
            .collect())
    }
}

fn rename_flag(renames: bool) -> &'static str {
    if renames {
        "--find-renames"
    } else {
        "--no-renames"
    }
}

/// True for a full 40-character hex SHA (SHA-1) or 64 (SHA-256).
pub fn is_sha(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Strips `refs/heads/` or `refs/tags/` (paths-filter's `getShortName`).
pub fn short_name(r: &str) -> &str {
    r.strip_prefix("refs/heads/")
        .or_else(|| r.strip_prefix("refs/tags/"))
        .unwrap_or(r)
}

/// Parses `git diff --name-status -z` output (`S\0path\0`, or `R100\0old\0new\0`).
pub fn parse_name_status(out: &[u8]) -> anyhow::Result<Vec<Change>> {
    let mut fields = out.split(|b| *b == 0);
    let mut changes = Vec::new();
    while let Some(status) = fields.next() {
        if status.is_empty() {
            continue;
        }
        let kind = Status::from_git(status[0]);
        let first = fields
            .next()
            .ok_or_else(|| anyhow!("unexpected git output: status without a path"))?;
        let first = String::from_utf8_lossy(first).into_owned();
        if matches!(kind, Status::Renamed | Status::Copied) {
            let second = fields
                .next()
                .ok_or_else(|| anyhow!("unexpected git output: rename without a new path"))?;
            changes.push(Change {
                status: kind,
                path: String::from_utf8_lossy(second).into_owned(),
                from: Some(first),
            });
        } else {
            changes.push(Change {
                status: kind,
                path: first,
                from: None,
            });
        }
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_name_status_with_renames_and_odd_names() {
        let raw = b"M\0a b.txt\0R087\0old\nname\0new\0D\0caf\xc3\xa9.md\0T\0link\0";
        let changes = parse_name_status(raw).unwrap();
        assert_eq!(changes.len(), 4);
        assert_eq!(changes[0].path, "a b.txt");
        assert_eq!(changes[1].status, Status::Renamed);
        assert_eq!(changes[1].from.as_deref(), Some("old\nname"));
        assert_eq!(changes[1].path, "new");
        assert_eq!(changes[2].path, "café.md");
        assert_eq!(changes[3].status, Status::TypeChanged);
        assert_eq!(changes[3].status.rule_name(), None);
    }

    #[test]
    fn short_names_and_shas() {
        assert_eq!(short_name("refs/heads/main"), "main");
        assert_eq!(short_name("refs/tags/v1"), "v1");
        assert_eq!(short_name("refs/pull/1/merge"), "refs/pull/1/merge");
        assert!(is_sha(NULL_SHA));
        assert!(!is_sha("main"));
    }
}
