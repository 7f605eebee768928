//! `shipgate plan` on each example: the exact plan of every environment, and of every tier
//! each environment receives, against reviewed snapshots in tests/fixtures/config/plans/;
//! plus the seed walk-through of the README (add a job as experimental, promote it,
//! switch a department off, hotfix the stable tier).
//!
//! A snapshot that differs fails with a diff. After a deliberate change, review the new
//! output and accept new snapshots with `INSTA_UPDATE=always cargo test --test it plan_examples`.

use crate::support::peers;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use peers::{clean_env, root, run, shipgate, Outcome};

const LIMIT: Duration = Duration::from_secs(60);

fn plan(dir: &Path, args: &[&str]) -> Outcome {
    let mut cmd = Command::new(shipgate());
    clean_env(&mut cmd).arg("plan").args(args).current_dir(dir);
    run(&mut cmd, LIMIT)
}

fn example(name: &str) -> PathBuf {
    root().join("examples").join(name)
}

/// Compares `actual` with the snapshot `<example>/<file>.snap` under
/// tests/fixtures/config/plans/ (see `crate::support::snapshot`).
fn snapshot(name: &str, actual: &str) {
    let (example, file) = name.split_once('/').unwrap();
    crate::shipgate_snapshot!(
        &format!("tests/fixtures/config/plans/{example}"),
        file,
        actual
    );
}

/// Plans every environment of an example in full and tier by tier, against snapshots.
fn every_environment_and_tier(name: &str, envs: &[(&str, &[&str])]) {
    for (env, tiers) in envs {
        let out = plan(&example(name), &["--env", env]);
        out.assert_success();
        snapshot(&format!("{name}/{env}.txt"), &out.stdout);
        for tier in *tiers {
            let out = plan(&example(name), &["--env", env, "--tier", tier]);
            out.assert_success();
            snapshot(&format!("{name}/{env}.{tier}.txt"), &out.stdout);
            // The var file of a narrowed plan: every component the environment receives,
            // and the ones this run touches as a separate list.
            let out = plan(
                &example(name),
                &["--env", env, "--tier", tier, "--format", "tfvars-json"],
            );
            out.assert_success();
            snapshot(&format!("{name}/{env}.{tier}.tfvars.json"), &out.stdout);
        }
    }
}

/// The component names of a plan (`--format json`).
fn names(dir: &Path, args: &[&str]) -> Vec<String> {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let out = plan(dir, &all);
    out.assert_success();
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    json["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn data_platform_plans() {
    every_environment_and_tier(
        "data-platform",
        &[
            ("staging", &["experimental", "stable"]),
            ("prod", &["stable"]),
        ],
    );
}

#[test]
fn data_platform_prod_gets_stable_minus_housing() {
    let dir = example("data-platform");
    let staging = names(&dir, &["--env", "staging"]);
    let prod = names(&dir, &["--env", "prod"]);
    assert_eq!((staging.len(), prod.len()), (112, 74));
    let out = plan(&dir, &["--env", "prod", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let groups: Vec<&str> = json["by_group"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        groups,
        [
            "parking",
            "revenues",
            "benefits",
            "planning",
            "env_services",
            "customer_services",
            "finance"
        ]
    );
    assert_eq!(json["disabled_groups"][0]["group"], "housing");
    assert!(!prod.contains(&"ml_parking_predictions".to_string()));
    assert!(prod.contains(&"Cash_Collection_Date".to_string()));
    assert_eq!(
        names(&dir, &["--env", "staging", "--tier", "experimental"]).len(),
        25
    );
    assert_eq!(
        names(&dir, &["--env", "staging", "--tier", "stable"]).len(),
        87
    );
}

#[test]
fn four_envs_gitlab_plans() {
    every_environment_and_tier(
        "four-envs-gitlab",
        &[
            ("dev1", &["experimental", "stable"]),
            ("qa1", &["experimental", "stable"]),
            ("preprod1", &["stable"]),
            ("prod1", &["stable"]),
        ],
    );
}

#[test]
fn four_envs_gitlab_accounts_and_overrides() {
    let dir = example("four-envs-gitlab");
    let out = plan(&dir, &["--env", "prod1", "--format", "json"]);
    let prod1: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(prod1["account"], "222222222222");
    assert_eq!(prod1["gate"], "prod-approval");
    assert_eq!(
        prod1["variables"],
        serde_json::json!({"region": "eu-west-2", "log_level": "info"})
    );
    let out = plan(&dir, &["--env", "qa1", "--format", "json"]);
    let qa1: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(qa1["account"], "111111111111");
    assert_eq!(
        names(&dir, &["--env", "preprod1"]),
        [
            "payments-api",
            "payments-worker",
            "refunds",
            "fraud-scoring",
            "accounts-api",
            "statements",
            "edge-proxy"
        ]
    );
}

#[test]
fn web_service_plans() {
    every_environment_and_tier(
        "web-service",
        &[
            ("dev", &["main"]),
            ("staging", &["main"]),
            ("prod", &["main"]),
        ],
    );
}

#[test]
fn web_service_prod_holds_back_search_and_pins_the_worker() {
    let dir = example("web-service");
    assert_eq!(
        names(&dir, &["--env", "staging"]),
        ["web", "api", "worker", "search"]
    );
    assert_eq!(names(&dir, &["--env", "prod"]), ["web", "api", "worker"]);
    let out = plan(&dir, &["--env", "staging", "--diff", "prod"]);
    out.assert_success();
    assert_eq!(
        out.stdout,
        "staging → prod: 0 added, 1 removed, 1 changed, 2 the same\n\
         - search  (switched off in prod: search v2 not launched yet)\n\
         ~ worker  (version release → 1.8.2)\n"
    );
}

/// A copy of the data-platform example in a temporary folder, to edit as a user would.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            example("data-platform").join(".shipgate.yml"),
            dir.path().join(".shipgate.yml"),
        )
        .unwrap();
        Workspace { dir }
    }

    fn edit(&self, from: &str, to: &str) {
        let path = self.dir.path().join(".shipgate.yml");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains(from),
            "the example no longer contains {from:?}"
        );
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }

    fn names(&self, args: &[&str]) -> Vec<String> {
        names(self.dir.path(), args)
    }
}

/// The walk-through in the README, step by step.
#[test]
fn seed_walkthrough_add_promote_switch_off_hotfix() {
    let ws = Workspace::new();
    let job = "parking_permit_renewals".to_string();

    // 1. Add a job as experimental: staging gets it, prod does not.
    ws.edit(
        "  parking_cctv_contraventions:",
        "  parking_permit_renewals:               { tier: experimental, group: parking }\n  parking_cctv_contraventions:",
    );
    assert!(ws.names(&["--env", "staging"]).contains(&job));
    assert!(!ws.names(&["--env", "prod"]).contains(&job));
    let out = plan(ws.dir.path(), &["--env", "staging", "--diff", "prod"]);
    out.assert_contains("- parking_permit_renewals  (prod does not receive tier experimental)");

    // 2. Promote it: one word changes, and prod gets it.
    ws.edit(
        "parking_permit_renewals:               { tier: experimental,",
        "parking_permit_renewals:               { tier: stable,",
    );
    assert!(ws.names(&["--env", "prod"]).contains(&job));
    let out = plan(ws.dir.path(), &["--env", "prod", "--format", "tfvars-json"]);
    let tfvars: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(tfvars["enabled_jobs"]
        .as_array()
        .unwrap()
        .iter()
        .any(|j| j == "parking_permit_renewals"));

    // 3. Switch a department off in prod in one line: parking leaves prod, stays in staging.
    ws.edit(
        "      housing: { enabled: false,",
        "      parking: { enabled: false, reason: \"ticket feed outage\" }\n      housing: { enabled: false,",
    );
    let prod = ws.names(&["--env", "prod"]);
    assert!(
        prod.iter()
            .all(|n| n != &job && !n.starts_with("parking_") && n != "Cash_Collection_Date"),
        "{prod:?}"
    );
    assert!(ws.names(&["--env", "staging"]).contains(&job));

    // 4. A hotfix deploys only the stable tier.
    let hotfix = ws.names(&["--env", "staging", "--tier", "stable"]);
    assert!(hotfix.contains(&job));
    assert!(!hotfix.contains(&"ml_parking_predictions".to_string()));
}
