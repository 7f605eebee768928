//! The same bad input is the same error in every verb (issue 10, "How we will know"): one
//! table across verbs, each row run through the binary as the GitHub runner runs it
//! (INPUT_* variables with hyphens kept, an event file), and a check that only
//! `src/platform/` reads runner variables.

use std::path::Path;

use crate::support::{Action, TestRepo};

/// The verbs, each with the inputs it needs to reach the input under test (and nothing
/// that would fail before it).
fn verb(name: &str, dir: &Path) -> Action {
    match name {
        "detect-changes" => Action::github("detect-changes", dir).input("filters", "web: ['**']"),
        "gate" => Action::github("gate", dir).input("approvers", "alice"),
        "notify" => Action::github("notify", dir)
            .input("status", "success")
            .input("targets", "webhook")
            .input("webhook-url", "http://127.0.0.1:9/hook"),
        "plan" => Action::github("plan", dir).input("env", "prod"),
        "config" => Action::github("config", dir).arg("validate"),
        other => panic!("no verb {other}"),
    }
}

const ALL: [&str; 5] = ["detect-changes", "gate", "notify", "plan", "config"];

/// The one `::error::` line of a failed run, with the input's name left out (each verb
/// names its own input), and the exit code.
fn failure(action: Action) -> (i32, String) {
    let run = action.run();
    let errors: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error"))
        .collect();
    assert_eq!(
        errors.len(),
        1,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );
    let line = errors[0];
    let message = line
        .split_once("': ")
        .map_or(line, |(_, rest)| rest)
        .to_string();
    (run.code, message)
}

/// Runs every `(verb, input, value)` row and asserts that all give exit 2 and one message.
fn same_everywhere(rows: &[(&str, &str, &str)], expected: &str) {
    let repo = TestRepo::new();
    repo.write("a.txt", "a").commit("first");
    let mut seen = Vec::new();
    for (verb_name, input, value) in rows {
        let (code, message) = failure(verb(verb_name, repo.path()).input(input, value));
        assert_eq!(code, 2, "{verb_name} {input}={value}: {message}");
        assert!(
            message.contains(expected),
            "{verb_name} {input}={value}: {message}"
        );
        seen.push((verb_name.to_string(), message));
    }
    let first = &seen[0].1;
    for (verb_name, message) in &seen {
        assert_eq!(message, first, "{verb_name} words it differently");
    }
}

#[test]
fn a_bad_boolean_is_one_error_in_every_verb() {
    same_everywhere(
        &[
            ("detect-changes", "summary", "maybe"),
            ("gate", "fail-on-denial", "maybe"),
            ("notify", "dry-run", "maybe"),
        ],
        "expected true or false, got 'maybe'",
    );
}

#[test]
fn a_bad_list_is_one_error_in_every_verb() {
    same_everywhere(
        &[
            ("gate", "approvers", "[\"alice\","),
            ("notify", "approvers", "[\"alice\","),
        ],
        "is not a JSON array",
    );
}

#[test]
fn a_bad_integer_is_one_wording_in_every_verb() {
    let repo = TestRepo::new();
    repo.write("a.txt", "a").commit("first");
    for (verb_name, input, range) in [
        (
            "detect-changes",
            "initial-fetch-depth",
            "from 1 to 2147483647",
        ),
        ("gate", "minimum-approvals", "from 0 to 1000"),
    ] {
        let (code, message) = failure(verb(verb_name, repo.path()).input(input, "lots"));
        assert_eq!(code, 2, "{verb_name}: {message}");
        assert_eq!(
            message,
            format!("expected a whole number {range}, got 'lots'"),
            "{verb_name}"
        );
    }
}

#[test]
fn a_bad_duration_is_one_error_in_every_verb() {
    same_everywhere(
        &[("gate", "timeout", "soon"), ("gate", "wait-timer", "soon")],
        "'soon' is not a duration such as 30m, 2h, 1h30m or 7d",
    );
}

#[test]
fn a_missing_config_file_is_one_error_in_every_verb() {
    let rows: Vec<(&str, &str, &str)> = ALL.iter().map(|v| (*v, "config", "missing.yml")).collect();
    // The gate reads the config for a named policy.
    let repo = TestRepo::new();
    repo.write("a.txt", "a").commit("first");
    let mut seen = Vec::new();
    for (verb_name, input, value) in &rows {
        let mut action = verb(verb_name, repo.path()).input(input, value);
        if *verb_name == "gate" {
            action = action.input("policy", "prod");
        }
        let (code, message) = failure(action);
        assert_eq!(code, 2, "{verb_name}: {message}");
        assert_eq!(message, "'missing.yml' does not exist", "{verb_name}");
        seen.push(message);
    }
    assert_eq!(seen.len(), 5);
}

#[test]
fn a_bad_event_file_is_one_error_in_every_verb() {
    let repo = TestRepo::new();
    repo.write("a.txt", "a").commit("first");
    let files = tempfile::tempdir().unwrap();
    let missing = files.path().join("missing.json");
    let not_json = files.path().join("not-json.json");
    std::fs::write(&not_json, "{\"after\":").unwrap();
    let not_object = files.path().join("array.json");
    std::fs::write(&not_object, "[1, 2]").unwrap();
    for (path, words) in [
        (&missing, "cannot read the event file"),
        (&not_json, "is not valid JSON"),
        (&not_object, "does not hold a JSON object"),
    ] {
        let path = path.to_str().unwrap();
        let mut messages = Vec::new();
        for verb_name in ALL {
            let run = verb(verb_name, repo.path())
                .env("GITHUB_EVENT_NAME", "push")
                .env("GITHUB_EVENT_PATH", path)
                .run();
            assert_eq!(run.code, 2, "{verb_name} {path}: {}", run.stdout);
            let line = run
                .stdout
                .lines()
                .find(|l| l.starts_with("::error::"))
                .unwrap_or_else(|| panic!("{verb_name}: {}", run.stdout))
                .to_string();
            assert!(
                line.starts_with("::error::input 'GITHUB_EVENT_PATH': "),
                "{verb_name}: {line}"
            );
            assert!(line.contains(words), "{verb_name}: {line}");
            assert!(line.contains(path), "{verb_name}: {line}");
            // Nothing half-written.
            assert_eq!(run.output_file, "", "{verb_name}");
            messages.push(line);
        }
        assert!(messages.iter().all(|m| m == &messages[0]), "{messages:#?}");
    }
}

/// Only `src/platform/` reads runner variables or the process environment: a verb that
/// needs the run's context reads [`shipgate::platform::RunContext`].
#[test]
fn only_the_platform_names_runner_variables() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let platform = root.join("platform");
    let mut found = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.starts_with(&platform) {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                for needle in [
                    "std::env::var",
                    "\"GITHUB_",
                    "\"CI_",
                    "\"GITLAB_",
                    "\"RUNNER_",
                ] {
                    if line.contains(needle) {
                        found.push(format!(
                            "{}:{}: {}",
                            path.strip_prefix(&root).unwrap().display(),
                            n + 1,
                            line.trim()
                        ));
                    }
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "runner variables named outside src/platform/ (read them from RunContext):\n{}",
        found.join("\n")
    );
}
