//! `shipgate config validate` and `shipgate config schema`, run as a user runs them: every
//! diagnostic with its message and position, all at once, exit 2; GitHub annotations; the
//! JSON Schema validating every example (check-jsonschema) and rejecting a broken file.

use crate::support::peers;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use peers::{clean_env, peer, root, run, shipgate, Outcome};

const LIMIT: Duration = Duration::from_secs(60);
const EXAMPLES: [&str; 3] = ["data-platform", "four-envs-gitlab", "web-service"];

fn shipgate_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Outcome {
    let mut cmd = Command::new(shipgate());
    clean_env(&mut cmd).args(args).current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    run(&mut cmd, LIMIT)
}

/// `config validate` on a fixture: (exit code, the `error:` lines, whole stderr).
fn validate_fixture(name: &str) -> (i32, Vec<String>, String) {
    let rel = format!("tests/fixtures/config/{name}");
    let out = shipgate_in(&root(), &["config", "validate", "--config", &rel], &[]);
    let errors = out
        .stderr
        .lines()
        .filter_map(|l| l.strip_prefix("error: "))
        .map(|l| l.replace(&format!("{rel}:"), "@"))
        .collect();
    (out.status.code().unwrap_or(-1), errors, out.stderr)
}

/// The top-level keys, in schema order (other verbs add their sections over time).
fn top_level_keys() -> String {
    let out = shipgate_in(&root(), &["config", "schema"], &[]);
    let schema: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let keys: Vec<&str> = schema["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys[..3], ["version", "tiers", "environments"]);
    keys.join(", ")
}

#[test]
fn unknown_keys_are_errors_with_their_position_and_a_suggestion() {
    let (code, errors, _) = validate_fixture("unknown-keys.yml");
    assert_eq!(code, 2);
    let top = format!(
        "@2:1: input 'config': unknown key 'tier' at the top level (expected one of: {}); did you mean 'tiers'?",
        top_level_keys()
    );
    assert_eq!(
        errors,
        [
            top.as_str(),
            "@6:5: input 'config': unknown key 'acount' in environments[0] (expected one of: name, tiers, account, url, gate, variables, description); did you mean 'account'?",
            "@8:25: input 'config': unknown key 'grup' in components.cash (expected one of: tier, group, paths, metadata, description); did you mean 'group'?",
            "@12:5: input 'config': unknown key 'colour' in components.ml (expected one of: tier, group, paths, metadata, description)",
        ]
    );
}

#[test]
fn wrong_types_say_what_was_expected_and_what_was_found() {
    let (code, errors, _) = validate_fixture("wrong-types.yml");
    assert_eq!(code, 2);
    assert_eq!(
        errors,
        [
            "@2:8: input 'config': tiers: expected a list, found the string 'stable'; write a list, e.g. [\"a\", \"b\"] or one \"- item\" per line",
            "@5:14: input 'config': environments[0].account: expected a string, found the number 222222222222; quote it to make it a string",
            "@7:28: input 'config': environments[0].variables.replicas: expected a string, a number or a boolean, found a list",
            "@9:17: input 'config': components.cash.tier: expected a string, found the number 5; quote it to make it a string",
            "@9:27: input 'config': components.cash.paths: expected a list, found the string 'etl/cash/**'; write a list, e.g. [\"a\", \"b\"] or one \"- item\" per line",
            "@12:15: input 'config': overrides for 'prod' name unknown group 'parking' (no groups are defined)",
            "@12:35: input 'config': overrides.prod.groups.parking.enabled: expected true or false, found the string 'no'",
        ]
    );
}

#[test]
fn duplicate_names_point_at_the_second_one() {
    let (code, errors, _) = validate_fixture("duplicates.yml");
    assert_eq!(code, 2);
    assert_eq!(
        errors,
        [
            "@2:31: input 'config': tier 'stable' is listed twice",
            "@6:11: input 'config': duplicate environment 'staging' (first defined on line 4)",
            "@9:3: input 'config': duplicate key 'parking' (first defined on line 8)",
            "@12:3: input 'config': duplicate key 'cash' (first defined on line 11)",
        ]
    );
}

#[test]
fn unknown_tiers_groups_environments_and_gates_are_all_reported() {
    let (code, errors, _) = validate_fixture("unknown-references.yml");
    assert_eq!(code, 2);
    assert_eq!(
        errors,
        [
            "@6:13: input 'config': environment 'prod' receives unknown tier 'stabel' (tiers: experimental, stable); did you mean 'stable'?",
            "@6:21: input 'config': environment 'prod' receives unknown tier 'gold' (tiers: experimental, stable)",
            "@7:11: input 'config': environment 'prod' uses unknown gate 'prod-aproval' (gates: prod-approval); did you mean 'prod-approval'?",
            "@11:32: input 'config': component 'cash' is in unknown group 'parkng' (groups: parking); did you mean 'parking'?",
            "@12:15: input 'config': component 'ml' is in unknown tier 'beta' (tiers: experimental, stable)",
            "@13:3: input 'config': component 'orphan' has no tier: add `tier:` (one of: experimental, stable)",
            "@15:3: input 'config': overrides for unknown environment 'production' (environments: staging, prod)",
            "@16:15: input 'config': overrides for 'production' name unknown group 'housing' (groups: parking)",
            "@18:19: input 'config': overrides for 'prod' name unknown component 'cashh' (components: cash, ml, orphan); did you mean 'cash'?",
            "@21:37: input 'config': gate 'prod-approval' names unknown approver group 'leads' (no approver groups are defined)",
            "@22:27: input 'config': gate 'prod-approval' waits for unknown environment 'stagin' (environments: staging, prod); did you mean 'staging'?",
        ]
    );
}

#[test]
fn a_yaml_syntax_error_stops_at_its_position() {
    let (code, errors, _) = validate_fixture("syntax-error.yml");
    assert_eq!(code, 2);
    assert_eq!(
        errors,
        ["@3:13: input 'config': invalid YAML: illegal placement of ':' indicator"]
    );
}

#[test]
fn locally_each_error_is_followed_by_its_source_line_and_a_caret() {
    let (_, _, stderr) = validate_fixture("unknown-keys.yml");
    let expected = "error: tests/fixtures/config/unknown-keys.yml:8:25: input 'config': unknown key 'grup' in components.cash (expected one of: tier, group, paths, metadata, description); did you mean 'group'?
  |
8 |   cash: { tier: stable, grup: parking }
  |                         ^^^^
";
    assert!(stderr.contains(expected), "stderr:\n{stderr}");
}

#[test]
fn on_github_every_error_is_one_annotation_line_and_excerpts_follow() {
    let rel = "tests/fixtures/config/duplicates.yml";
    let out = shipgate_in(
        &root(),
        &["config", "validate", "--config", rel],
        &[("GITHUB_ACTIONS", "true")],
    );
    assert_eq!(out.status.code(), Some(2));
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        &lines[..4],
        [
            "::error file=tests/fixtures/config/duplicates.yml,line=2,col=31::tests/fixtures/config/duplicates.yml:2:31: input 'config': tier 'stable' is listed twice",
            "::error file=tests/fixtures/config/duplicates.yml,line=6,col=11::tests/fixtures/config/duplicates.yml:6:11: input 'config': duplicate environment 'staging' (first defined on line 4)",
            "::error file=tests/fixtures/config/duplicates.yml,line=9,col=3::tests/fixtures/config/duplicates.yml:9:3: input 'config': duplicate key 'parking' (first defined on line 8)",
            "::error file=tests/fixtures/config/duplicates.yml,line=12,col=3::tests/fixtures/config/duplicates.yml:12:3: input 'config': duplicate key 'cash' (first defined on line 11)",
        ]
    );
    assert_eq!(lines[4], "--> tests/fixtures/config/duplicates.yml:2:31");
    assert!(
        out.stdout
            .contains("6 |   - name: staging\n  |           ^^^^^^^\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_missing_file_or_no_file_is_exit_2_with_what_to_do() {
    let out = shipgate_in(
        &root(),
        &["config", "validate", "--config", "nope.yml"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    out.assert_contains("input 'config': 'nope.yml' does not exist");
    let repo = peers::Repo::new();
    let out = shipgate_in(repo.path(), &["config", "validate"], &[]);
    assert_eq!(out.status.code(), Some(2));
    out.assert_contains("no .shipgate.yml found here or in a parent folder up to the repository root; pass --config PATH");
}

#[test]
fn the_file_is_found_from_a_subfolder_of_the_repository() {
    let repo = peers::Repo::new();
    repo.copy_from_project("examples/web-service/.shipgate.yml");
    std::fs::rename(
        repo.path().join("examples/web-service/.shipgate.yml"),
        repo.path().join(".shipgate.yml"),
    )
    .unwrap();
    std::fs::create_dir_all(repo.path().join("services/api")).unwrap();
    let out = shipgate_in(
        &repo.path().join("services/api"),
        &["config", "validate"],
        &[],
    );
    out.assert_success();
    out.assert_contains("is valid: 3 environments (dev → staging → prod), 1 tier (main), 2 groups, 4 components, 1 gate, 1 approver group");
}

#[test]
fn every_example_is_valid() {
    for example in EXAMPLES {
        let out = shipgate_in(
            &root().join("examples").join(example),
            &["config", "validate"],
            &[],
        );
        out.assert_success();
        out.assert_contains(".shipgate.yml is valid:");
    }
}

#[test]
fn the_published_schema_file_is_the_generated_one() {
    let out = shipgate_in(&root(), &["config", "schema"], &[]);
    out.assert_success();
    let committed = std::fs::read_to_string(root().join("docs/shipgate.schema.json")).unwrap();
    assert!(
        committed == out.stdout,
        "docs/shipgate.schema.json is stale: run `cargo run -- config schema > docs/shipgate.schema.json`"
    );
    let schema: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert_eq!(
        schema["required"],
        serde_json::json!(["version", "tiers", "environments"])
    );
}

fn check_jsonschema(files: &[&Path]) -> Outcome {
    let schema = tempfile::NamedTempFile::new().unwrap();
    let out = shipgate_in(&root(), &["config", "schema"], &[]);
    out.assert_success();
    std::fs::write(schema.path(), &out.stdout).unwrap();
    let mut cmd = Command::new(peer("check-jsonschema"));
    clean_env(&mut cmd)
        .arg("--schemafile")
        .arg(schema.path())
        .args(files);
    run(&mut cmd, LIMIT)
}

#[test]
fn the_schema_validates_every_example() {
    let files: Vec<_> = EXAMPLES
        .iter()
        .map(|e| root().join("examples").join(e).join(".shipgate.yml"))
        .collect();
    let refs: Vec<&Path> = files.iter().map(|p| p.as_path()).collect();
    check_jsonschema(&refs)
        .assert_success()
        .assert_contains("ok -- validation done");
}

#[test]
fn the_schema_rejects_broken_files_as_shipgate_does() {
    for fixture in ["unknown-keys.yml", "wrong-types.yml"] {
        let path = root().join("tests/fixtures/config").join(fixture);
        let out = check_jsonschema(&[&path]);
        assert_eq!(out.status.code(), Some(1), "{fixture}: {}", out.dump());
    }
    let out = check_jsonschema(&[&root().join("tests/fixtures/config/unknown-keys.yml")]);
    out.assert_contains("Additional properties are not allowed ('acount' was unexpected)");
    out.assert_contains("Additional properties are not allowed ('colour' was unexpected)");
}

/// Runs a bash script (for process substitution and FIFOs) with `shipgate` on PATH.
fn bash_in(dir: &Path, script: &str) -> Outcome {
    let bin = shipgate();
    let mut cmd = Command::new("bash");
    clean_env(&mut cmd)
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", peers::path_with(&[bin.parent().unwrap()]));
    run(&mut cmd, LIMIT)
}

#[test]
fn a_pipe_is_read_like_a_file_for_config_and_for_discovery() {
    // The documented comparison with an older model: `--config <(git show HEAD~1:...)`.
    let example = root().join("examples/web-service/.shipgate.yml");
    let out = bash_in(
        &root(),
        &format!(
            "shipgate config validate --config <(cat '{}')",
            example.display()
        ),
    );
    out.assert_success();
    out.assert_contains("is valid: 3 environments (dev → staging → prod)");
    // A `.shipgate.yml` that is a named pipe is found and read too.
    let repo = peers::Repo::new();
    let out = bash_in(
        repo.path(),
        &format!(
            "mkfifo .shipgate.yml && (cat '{}' > .shipgate.yml &) && shipgate config validate",
            example.display()
        ),
    );
    out.assert_success();
    out.assert_contains(".shipgate.yml is valid: 3 environments");
    // A folder is still refused, and says so.
    let out = shipgate_in(
        &root(),
        &["config", "validate", "--config", "examples"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    out.assert_contains("input 'config': 'examples' is a folder, not a file");
}

#[test]
fn invalid_utf8_is_reported_at_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = b"version: 1\ntiers: [stable]\nenvironments: [{name: pr".to_vec();
    text.push(0xff);
    text.extend_from_slice(b"od}]\n");
    std::fs::write(dir.path().join("bad.yml"), text).unwrap();
    let out = shipgate_in(
        dir.path(),
        &["config", "validate", "--config", "bad.yml"],
        &[("GITHUB_ACTIONS", "true")],
    );
    assert_eq!(out.status.code(), Some(2), "{}", out.dump());
    out.assert_contains("::error file=bad.yml,line=3,col=25::bad.yml:3:25: input 'config': the file is not UTF-8 text (invalid byte at offset 51)");
}

/// A file that anchors a 1 MB string and aliases it 10,000 times: 10 GB once expanded.
fn alias_bomb(anchor_in: &str) -> String {
    let big = "x".repeat(1_000_000);
    let aliases = vec!["*big"; 10_000].join(", ");
    format!("version: 1\ntiers: [a]\nenvironments: [{{name: e}}]\nx-big: &big \"{big}\"\n{anchor_in}[{aliases}]\n")
}

/// Runs shipgate with its address space capped at 2 GiB: an unbounded expansion of the
/// 10 GB bomb cannot fit and aborts; a bounded one stops long before. (Few malloc arenas,
/// so that the cap measures the data and not the machine's core count.)
fn shipgate_capped(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Outcome, Duration) {
    let mut cmd = Command::new(peer_or("prlimit"));
    clean_env(&mut cmd)
        .arg("--as=2147483648")
        .arg(shipgate())
        .args(args)
        .current_dir(dir)
        .env("MALLOC_ARENA_MAX", "2");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let started = std::time::Instant::now();
    let out = run(&mut cmd, LIMIT);
    (out, started.elapsed())
}

fn peer_or(name: &str) -> std::path::PathBuf {
    ["/usr/bin", "/bin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is not installed (util-linux)"))
}

#[test]
fn an_alias_bomb_of_a_long_string_stops_fast_in_little_memory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bomb.yml"),
        alias_bomb("components:\n  c:\n    metadata:\n      list: "),
    )
    .unwrap();
    let (out, took) = shipgate_capped(
        dir.path(),
        &["config", "validate", "--config", "bomb.yml"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", out.dump());
    let first = out.stderr.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("error: bomb.yml:8:")
            && first.ends_with("input 'config': aliases expand to more than 32 MiB of text"),
        "{}",
        out.dump()
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
    // The excerpt under it is a window of the line, not the whole megabyte.
    assert!(
        out.stderr.len() < 2000,
        "{} bytes of stderr",
        out.stderr.len()
    );
}

#[test]
fn an_alias_bomb_in_an_inline_gate_policy_stops_fast_in_little_memory() {
    // An environment variable holds at most 128 KiB: 100 KB aliased 3,000 times (300 MB).
    let big = "x".repeat(100_000);
    let aliases = vec!["*big"; 3_000].join(", ");
    let policy = format!("approvers:\n  leads: {{users: [ada]}}\ndescription: &big \"{big}\"\nwindows: [{aliases}]\n");
    let dir = tempfile::tempdir().unwrap();
    let (out, took) = shipgate_capped(
        dir.path(),
        &["gate"],
        &[("INPUT_POLICY", &policy), ("GITHUB_ACTIONS", "true")],
    );
    assert_eq!(out.status.code(), Some(2), "{}", out.dump());
    let first = out.stdout.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("::error::input 'policy': line 4, column ")
            && first.ends_with(": aliases expand to more than 32 MiB of text"),
        "{}",
        out.dump()
    );
    assert!(took < Duration::from_secs(10), "took {took:?}");
}

#[test]
fn inline_policy_errors_are_one_clean_line_with_the_position_in_the_policy() {
    let cases = [
        (
            "approvers: {leads: {users: [ada]}}\napprovers: {}\n",
            "::error::input 'policy': line 2, column 1: duplicate key 'approvers' (first defined on line 1)",
        ),
        (
            "approvers: {leads: {users: [ada]}}\napprovals: {all_of: [{group: leads, min: -1}]}\n",
            "::error::input 'policy': line 2, column 42: invalid value: integer '-1', expected a whole number from 0 to 4294967295",
        ),
        (
            "approvers: {leads: {users: [ada]}}\napprovals: 5\n",
            "::error::input 'policy': line 2, column 12: invalid type: integer '5', expected a mapping",
        ),
        (
            "approvers: {leads: {users: [ada]}}\nwindow: [x]\n",
            "::error::input 'policy': line 2, column 1: unknown field 'window', expected one of 'approvers', 'approvals', 'exclude', 'windows', 'freezes', 'after', 'timeout', 'veto', 'wait', 'description'",
        ),
        (
            "approvers: [a\n",
            "::error::input 'policy': line 1, column 12: invalid YAML: unclosed bracket '['",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (policy, expected) in cases {
        let out = shipgate_in(
            dir.path(),
            &["gate"],
            &[("INPUT_POLICY", policy), ("GITHUB_ACTIONS", "true")],
        );
        assert_eq!(out.status.code(), Some(2), "{}", out.dump());
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines.first().copied(), Some(expected), "{}", out.dump());
        // The excerpt follows on its own lines; no library advice anywhere.
        assert!(
            lines.get(1).is_some_and(|l| l.trim() == "|"),
            "{}",
            out.dump()
        );
        out.assert_lacks("DuplicateKeyPolicy");
        out.assert_lacks("Options");
    }
}

/// One table of windows, durations and freezes, run through `config validate` and through
/// the gate (the same policy inline, and as a named policy of the file): every value is
/// accepted by both or refused by both.
#[test]
fn config_validate_and_the_gate_agree_on_every_window_duration_and_freeze() {
    let windows = [
        "Mon-Fri 09:00-17:00 Europe/London",
        "mon-fri 09:00-17:00",
        "Fri,Sat 22:00-02:00",
        "Sat-Mon 00:00-24:00 UTC",
        "Mon 09:00-09:00",
        "Mon 09:00-10:00 Mars/Base",
        "Mon 25:00-26:00",
        "Mon-Fry 09:00-17:00",
        "Mon 09:00-17:00 Europe/London extra",
    ];
    let durations = [
        "30m",
        "1h30m",
        "7d",
        "45s",
        "0.5",
        "30 minutes",
        "h",
        "-1",
        "99999999999999999999999d",
        "1e20",
        "366d",
        "365d",
    ];
    let freezes = [
        ("2026-12-20", "2027-01-04"),
        ("2024-02-29", "2024-02-29"),
        ("2026-02-30", "2026-03-01"),
        ("2027-01-04", "2026-12-20"),
        ("2026-13-01", "2026-13-02"),
    ];
    let mut cases: Vec<(String, String)> = Vec::new();
    for w in windows {
        cases.push((format!("window {w}"), format!("windows: [\"{w}\"]")));
    }
    for d in durations {
        cases.push((format!("timeout {d}"), format!("timeout: \"{d}\"")));
        cases.push((format!("wait {d}"), format!("wait: \"{d}\"")));
    }
    for (from, to) in freezes {
        cases.push((
            format!("freeze {from}..{to}"),
            format!("freezes: [{{from: \"{from}\", to: \"{to}\"}}]"),
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let mut accepted = 0;
    for (what, line) in &cases {
        let file = format!(
            "version: 1\ntiers: [main]\nenvironments: [{{name: prod, gate: g}}]\napprovers:\n  leads: {{users: [ada]}}\ngates:\n  g:\n    approvals: {{all_of: [{{group: leads}}]}}\n    {line}\n"
        );
        std::fs::write(dir.path().join(".shipgate.yml"), &file).unwrap();
        let validate = shipgate_in(
            dir.path(),
            &["config", "validate", "--config", ".shipgate.yml"],
            &[],
        );
        let valid = validate.status.success();
        // The gate gets past its policy only when it accepts it: it then stops at the next
        // thing it needs (a repository), which this test does not give.
        let past_policy = |out: &Outcome| out.stderr.contains("input 'target-repository'");
        let named = shipgate_in(
            dir.path(),
            &["gate", "--policy", "g", "--config", ".shipgate.yml"],
            &[],
        );
        let inline = format!("approvers:\n  leads: {{users: [ada]}}\napprovals: {{all_of: [{{group: leads}}]}}\n{line}\n");
        let inline = shipgate_in(dir.path(), &["gate"], &[("INPUT_POLICY", &inline)]);
        assert_eq!(
            valid,
            past_policy(&named),
            "{what}: validate vs named gate\n{}\n{}",
            validate.dump(),
            named.dump()
        );
        assert_eq!(
            valid,
            past_policy(&inline),
            "{what}: validate vs inline gate\n{}\n{}",
            validate.dump(),
            inline.dump()
        );
        for out in [&validate, &named, &inline] {
            assert_ne!(
                out.status.code(),
                Some(101),
                "{what}: a panic\n{}",
                out.dump()
            );
        }
        accepted += usize::from(valid);
    }
    // The table holds both kinds.
    assert!(
        accepted > 5 && accepted < cases.len() - 5,
        "{accepted} of {}",
        cases.len()
    );
}

#[test]
fn named_accounts_resolve_to_their_ids_and_unknown_names_are_located() {
    let dir = tempfile::tempdir().unwrap();
    let file = "version: 1\ntiers: [main]\naccounts:\n  tm-nonprod: \"111111111111\"\nenvironments:\n  - {name: dev, account: tm-nonprod}\n  - {name: prod, account: \"222222222222\"}\n";
    std::fs::write(dir.path().join(".shipgate.yml"), file).unwrap();
    shipgate_in(
        dir.path(),
        &["config", "validate", "--config", ".shipgate.yml"],
        &[],
    )
    .assert_success();
    // Plans carry the id, whatever the file calls the account.
    let out = shipgate_in(
        dir.path(),
        &[
            "plan",
            "--config",
            ".shipgate.yml",
            "--env",
            "dev",
            "--format",
            "tfvars-json",
        ],
        &[],
    );
    out.assert_success();
    let tfvars: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(tfvars["account"], "111111111111");

    let bad = file.replace("account: tm-nonprod}", "account: tm-nonprd}");
    std::fs::write(dir.path().join(".shipgate.yml"), bad).unwrap();
    let out = shipgate_in(
        dir.path(),
        &["config", "validate", "--config", ".shipgate.yml"],
        &[("GITHUB_ACTIONS", "true")],
    );
    assert_eq!(out.status.code(), Some(2), "{}", out.dump());
    out.assert_contains("::error file=.shipgate.yml,line=6,col=26::.shipgate.yml:6:26: input 'config': environment 'dev' uses unknown account 'tm-nonprd' (accounts: tm-nonprod); did you mean 'tm-nonprod'?");
    out.assert_lacks("quote it");
}

#[test]
fn numbers_are_bounded_and_finite_with_their_position() {
    let dir = tempfile::tempdir().unwrap();
    let file = "version: 1\ntiers: [main]\nenvironments:\n  - {name: prod, gate: g, variables: {replicas: 1e400}}\napprovers: {leads: {users: [ada]}}\ngates:\n  g: {approvals: {min_total: 99999999999}}\ncomponents:\n  api: {metadata: {weight: .nan}}\n";
    std::fs::write(dir.path().join(".shipgate.yml"), file).unwrap();
    let (code, errors) = {
        let out = shipgate_in(
            dir.path(),
            &["config", "validate", "--config", ".shipgate.yml"],
            &[],
        );
        let errors: Vec<String> = out
            .stderr
            .lines()
            .filter_map(|l| l.strip_prefix("error: "))
            .map(str::to_string)
            .collect();
        (out.status.code(), errors)
    };
    assert_eq!(code, Some(2));
    assert_eq!(
        errors,
        [
            ".shipgate.yml:4:49: input 'config': a number here must be finite (not .inf or .nan)",
            ".shipgate.yml:7:30: input 'config': gates.g.approvals.min_total: must be at most 1000",
            ".shipgate.yml:9:28: input 'config': a number here must be finite (not .inf or .nan)",
        ]
    );
    // A whole number too large for 64 bits stops the read at its position.
    let big = file.replace("1e400", "99999999999999999999");
    std::fs::write(dir.path().join(".shipgate.yml"), big).unwrap();
    let out = shipgate_in(
        dir.path(),
        &["config", "validate", "--config", ".shipgate.yml"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    out.assert_contains(".shipgate.yml:4:49: input 'config': the number '99999999999999999999' does not fit in 64 bits (at most 9223372036854775807); quote it to keep it as text");
}

/// `config validate` refuses what the gate refuses: a veto by an approver group that does
/// not exist (the gate exits 2 on it at deploy time).
#[test]
fn a_veto_by_an_unknown_group_is_found_by_validate_at_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let file = "version: 1\ntiers: [main]\nenvironments: [{name: prod, gate: g}]\napprovers:\n  leads: {users: [ada]}\ngates:\n  g:\n    approvals: {all_of: [{group: leads}]}\n    veto: [leads, lead]\n";
    std::fs::write(dir.path().join(".shipgate.yml"), file).unwrap();
    let out = shipgate_in(
        dir.path(),
        &["config", "validate", "--config", ".shipgate.yml"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", out.stderr);
    out.assert_contains(
        ".shipgate.yml:9:19: input 'config': gate 'g' vetoes by unknown approver group 'lead' (approver groups: leads); did you mean 'leads'?",
    );
    let good = file.replace("[leads, lead]", "[leads]");
    std::fs::write(dir.path().join(".shipgate.yml"), good).unwrap();
    shipgate_in(
        dir.path(),
        &["config", "validate", "--config", ".shipgate.yml"],
        &[],
    )
    .assert_success();
}

/// An inline policy's `veto` list holds group names only: an entry that is not one is bad
/// input, never silently dropped (which would let a veto group's denials go unheard).
#[test]
fn an_inline_veto_entry_that_is_not_a_group_name_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = shipgate_in(
        dir.path(),
        &["gate"],
        &[
            (
                "INPUT_POLICY",
                "approvers: {leads: {users: [ada]}}\napprovals: {all_of: [{group: leads}]}\nveto: [leads, {group: ops}]\n",
            ),
            ("GITHUB_ACTIONS", "true"),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", out.dump());
    out.assert_contains(
        "::error::input 'policy': veto: {\"group\":\"ops\"} is not the name of an approver group",
    );
}

/// Every text file a verb reads reports bad UTF-8 at its line and column, as the model
/// loader does: the gate's issue body file and notify's template files too.
#[test]
fn bad_utf8_in_any_file_input_is_located() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.md"), b"line one\nbad \xff here\n").unwrap();
    let gate = shipgate_in(
        dir.path(),
        &["gate"],
        &[
            ("INPUT_APPROVERS", "ada"),
            ("INPUT_ISSUE-BODY-FILE-PATH", "bad.md"),
        ],
    );
    assert_eq!(gate.status.code(), Some(2), "{}", gate.dump());
    gate.assert_contains("bad.md:2:5: input 'issue-body-file-path': the file is not UTF-8 text");
    let notify = shipgate_in(
        dir.path(),
        &["notify", "--dry-run"],
        &[
            ("INPUT_WEBHOOK-URL", "https://example.invalid/hook"),
            ("INPUT_WEBHOOK-TEMPLATE", "bad.md"),
            ("INPUT_STATUS", "success"),
        ],
    );
    assert_eq!(notify.status.code(), Some(2), "{}", notify.dump());
    notify.assert_contains("bad.md:2:5: input 'webhook-template': the file is not UTF-8 text");
}
