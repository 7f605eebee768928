//! `shipgate config validate` and `shipgate config schema`, run as a user runs them: every
//! diagnostic with its message and position, all at once, exit 2; GitHub annotations; the
//! JSON Schema validating every example (check-jsonschema) and rejecting a broken file.

#[path = "common/peers.rs"]
mod peers;

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
    out.assert_contains("input 'config': nope.yml does not exist or is not a file");
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
