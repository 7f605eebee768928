//! `shipgate plan` formats and flags, as users consume them: the tfvars JSON read by a real
//! Terraform as a `-var-file`, step outputs on GitHub (INPUT_* variables, GITHUB_OUTPUT,
//! job summary), dotenv lines, Markdown, `--diff`, `--changes`, and the exit-2 cases.

use crate::support as common;
use crate::support::peers;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use common::Action;
use peers::{clean_env, root, run, shipgate, Outcome};
use serde_json::{json, Value};

const LIMIT: Duration = Duration::from_secs(120);

fn example(name: &str) -> PathBuf {
    root().join("examples").join(name)
}

fn plan(dir: &Path, args: &[&str]) -> Outcome {
    let mut cmd = Command::new(shipgate());
    clean_env(&mut cmd).arg("plan").args(args).current_dir(dir);
    run(&mut cmd, LIMIT)
}

fn plan_json(dir: &Path, args: &[&str]) -> Value {
    let out = plan(dir, args);
    out.assert_success();
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", out.stdout))
}

fn terraform() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("terraform"))
                .find(|t| t.is_file())
        })
        .unwrap_or_default();
    on_path.unwrap_or_else(|| {
        panic!("terraform is not on PATH: install Terraform >= 1.3 (e.g. the HashiCorp apt repository or release zip)")
    })
}

/// The tfvars JSON is a drop-in `-var-file` for the variables the data-platform example
/// declares: a real Terraform loads it (as plan.auto.tfvars.json) and sees the plan.
#[test]
fn tfvars_json_is_a_var_file_terraform_accepts() {
    let work = tempfile::tempdir().unwrap();
    std::fs::copy(
        example("data-platform").join("terraform/variables.tf"),
        work.path().join("variables.tf"),
    )
    .unwrap();
    std::fs::write(
        work.path().join("outputs.tf"),
        r#"
output "environment" { value = var.environment }
output "account" { value = var.account }
output "tiers" { value = var.tiers }
output "jobs" { value = length(var.enabled_jobs) }
output "housing_jobs" { value = [for name, job in var.glue_jobs : name if job.group == "housing"] }
output "benefits_jobs" { value = length([for name, job in var.glue_jobs : name if job.group == "benefits"]) }
output "cash_schedule" { value = var.glue_jobs["Cash_Collection_Date"].schedule }
output "cash_workers" { value = var.glue_jobs["Cash_Collection_Date"].number_of_workers }
output "bucket" { value = var.glue_scripts_bucket }
"#,
    )
    .unwrap();
    let out = plan(
        &example("data-platform"),
        &["--env", "prod", "--format", "tfvars-json"],
    );
    out.assert_success();
    std::fs::write(work.path().join("plan.auto.tfvars.json"), &out.stdout).unwrap();
    let tf = terraform();
    let tf_run = |args: &[&str]| {
        let mut cmd = Command::new(&tf);
        clean_env(&mut cmd)
            .args(args)
            .current_dir(work.path())
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1");
        let out = run(&mut cmd, LIMIT);
        out.assert_success();
        out
    };
    tf_run(&["init", "-input=false", "-no-color"]);
    let apply = tf_run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    apply.assert_lacks("undeclared variable");
    let outputs: Value = serde_json::from_str(&tf_run(&["output", "-json"]).stdout).unwrap();
    let value = |name: &str| outputs[name]["value"].clone();
    assert_eq!(value("environment"), "prod");
    assert_eq!(value("account"), "222222222222");
    assert_eq!(value("tiers"), json!(["stable"]));
    assert_eq!(value("jobs"), 74);
    assert_eq!(value("housing_jobs"), json!([]));
    assert_eq!(value("benefits_jobs"), 11);
    assert_eq!(value("cash_schedule"), "cron(0 6 * * ? *)");
    assert_eq!(value("cash_workers"), 2);
    assert_eq!(value("bucket"), "dataplatform-prod-glue-scripts");
}

#[test]
fn tfvars_json_has_the_names_a_terraform_user_declares() {
    let tfvars = plan_json(
        &example("four-envs-gitlab"),
        &["--env", "prod1", "--format", "tfvars-json"],
    );
    assert_eq!(
        tfvars,
        json!({
            "environment": "prod1",
            "account": "222222222222",
            "tiers": ["stable"],
            "enabled_components": ["payments-api", "payments-worker", "refunds", "accounts-api", "statements", "edge-proxy"],
            "selected_components": ["payments-api", "payments-worker", "refunds", "accounts-api", "statements", "edge-proxy"],
            "component_versions": {"statements": "3.2.1"},
            "region": "eu-west-2",
            "log_level": "info",
        })
    );
    let keys: Vec<String> = tfvars.as_object().unwrap().keys().cloned().collect();
    assert_eq!(
        keys[..5],
        [
            "environment",
            "account",
            "tiers",
            "enabled_components",
            "selected_components"
        ]
    );
}

#[test]
fn json_is_the_whole_plan_with_reasons() {
    let plan = plan_json(
        &example("web-service"),
        &["--env", "prod", "--format", "json"],
    );
    assert_eq!(plan["environment"], "prod");
    assert_eq!(plan["count"], 3);
    assert_eq!(plan["total"], 4);
    assert_eq!(plan["enabled"], json!(["web", "api", "worker"]));
    assert_eq!(plan["gate"], "prod");
    assert_eq!(plan["url"], "https://shop.example.com");
    assert_eq!(
        plan["variables"],
        json!({"replicas": 6, "feature_search_v2": false})
    );
    assert_eq!(
        plan["components"][2],
        json!({"name": "worker", "tier": "main", "group": "backend", "version": "1.8.2",
               "paths": ["services/worker/**"], "metadata": {}})
    );
    assert_eq!(
        plan["excluded"],
        json!([{"name": "search", "tier": "main", "group": "backend", "reason": "switched-off",
                "detail": "switched off in prod: search v2 not launched yet"}])
    );
    assert_eq!(plan["by_tier"], json!({"main": ["web", "api", "worker"]}));
    assert_eq!(
        plan["by_group"],
        json!({"storefront": ["web"], "backend": ["api", "worker"]})
    );
}

#[test]
fn github_format_writes_step_outputs_and_a_job_summary_from_inputs() {
    let run = Action::github("plan", &example("four-envs-gitlab"))
        .input("env", "preprod1")
        .input("format", "github")
        .run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.get("environment"), "preprod1");
    assert_eq!(run.get("account"), "222222222222");
    assert_eq!(run.get("gate"), "preprod-signoff");
    assert_eq!(run.get("count"), "7");
    assert_eq!(run.get("any"), "true");
    assert_eq!(run.get("tiers"), r#"["stable"]"#);
    assert_eq!(run.get("components_experimental"), r#"["fraud-scoring"]"#);
    assert_eq!(
        run.get("components_stable"),
        r#"["payments-api","payments-worker","refunds","accounts-api","statements","edge-proxy"]"#
    );
    let matrix: Value = serde_json::from_str(run.get("matrix")).unwrap();
    assert_eq!(matrix["component"].as_array().unwrap().len(), 7);
    assert_eq!(
        run.get("variables"),
        r#"{"region":"eu-west-2","log_level":"info"}"#
    );
    assert!(
        run.summary
            .starts_with("### Plan for `preprod1`: 7 of 8 components\n"),
        "{}",
        run.summary
    );
    assert!(run.summary.contains("| fraud-scoring | experimental | payments | (switched on: pre-production trial, CHG-2231) |"), "{}", run.summary);

    // The hotfix: `components` is what this run touches, `enabled` all the environment keeps.
    let run = Action::github("plan", &example("four-envs-gitlab"))
        .input("env", "preprod1")
        .input("tier", "stable")
        .input("format", "github")
        .run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.get("count"), "6");
    assert_eq!(
        run.get("enabled"),
        r#"["payments-api","payments-worker","refunds","fraud-scoring","accounts-api","statements","edge-proxy"]"#
    );
    assert!(!run.get("components").contains("fraud-scoring"));
}

#[test]
fn flags_win_over_inputs() {
    let run = Action::github("plan", &example("web-service"))
        .input("env", "prod")
        .input("format", "github")
        .arg("--env")
        .arg("staging")
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.get("environment"), "staging");
}

#[test]
fn dotenv_lines_for_gitlab() {
    let out = plan(
        &example("four-envs-gitlab"),
        &["--env", "qa1", "--format", "dotenv"],
    );
    out.assert_success();
    assert_eq!(
        out.stdout,
        "SHIPGATE_ENVIRONMENT=qa1
SHIPGATE_TIERS=experimental,stable
SHIPGATE_COMPONENTS=payments-api,payments-worker,refunds,fraud-scoring,accounts-api,statements,open-banking-sync,edge-proxy
SHIPGATE_COUNT=8
SHIPGATE_ENABLED=payments-api,payments-worker,refunds,fraud-scoring,accounts-api,statements,open-banking-sync,edge-proxy
SHIPGATE_COMPONENTS_EXPERIMENTAL=fraud-scoring,open-banking-sync
SHIPGATE_COMPONENTS_STABLE=payments-api,payments-worker,refunds,accounts-api,statements,edge-proxy
SHIPGATE_ACCOUNT=111111111111
SHIPGATE_URL=https://qa1.payments.example.com
region=eu-west-2
log_level=debug
"
    );
    assert_eq!(out.stderr, "", "no warning within GitLab's dotenv limits");
}

#[test]
fn markdown_is_a_table_with_what_is_left_out() {
    let out = plan(
        &example("web-service"),
        &["--env", "prod", "--format", "markdown"],
    );
    out.assert_success();
    assert_eq!(
        out.stdout,
        "### Plan for `prod`: 3 of 4 components

Tiers: `main` · Gate: `prod` · URL: https://shop.example.com

| Component | Tier | Group | Version |
|---|---|---|---|
| web | main | storefront |  |
| api | main | backend |  |
| worker | main | backend | 1.8.2 |

<details><summary>Left out (1)</summary>

| Component | Tier | Group | Why |
|---|---|---|---|
| search | main | backend | switched off in prod: search v2 not launched yet |

</details>
"
    );
}

#[test]
fn diff_shows_what_promotion_adds_and_removes_in_every_format() {
    let dir = example("four-envs-gitlab");
    let diff = plan_json(
        &dir,
        &["--env", "qa1", "--diff", "preprod1", "--format", "json"],
    );
    assert_eq!(diff["from"], "qa1");
    assert_eq!(diff["to"], "preprod1");
    assert_eq!(diff["added"], json!([]));
    assert_eq!(
        diff["removed"],
        json!([{"name": "open-banking-sync", "tier": "experimental", "group": "accounts",
                "reason": "tier-not-received", "detail": "preprod1 does not receive tier experimental"}])
    );
    assert_eq!(diff["changed"], json!([]));
    assert_eq!(diff["unchanged"], 7);

    let out = plan(&dir, &["--env", "preprod1", "--diff", "prod1"]);
    out.assert_success();
    assert_eq!(
        out.stdout,
        "preprod1 → prod1: 0 added, 1 removed, 1 changed, 5 the same\n\
         - fraud-scoring  (prod1 does not receive tier experimental)\n\
         ~ statements  (version release → 3.2.1)\n"
    );

    let run = Action::github("plan", &dir)
        .input("env", "preprod1")
        .input("diff", "prod1")
        .input("format", "github")
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.get("removed"), r#"["fraud-scoring"]"#);
    assert_eq!(run.get("changed"), r#"["statements"]"#);
    assert_eq!(run.get("has_changes"), "true");
    assert!(run.summary.contains("| − | fraud-scoring | experimental | payments | prod1 does not receive tier experimental |"), "{}", run.summary);

    let out = plan(
        &dir,
        &[
            "--env",
            "preprod1",
            "--diff",
            "prod1",
            "--format",
            "tfvars-json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    out.assert_contains("tfvars-json describes one environment");
}

#[test]
fn changes_narrow_the_plan_to_what_changed() {
    let dir = example("data-platform");
    let work = tempfile::tempdir().unwrap();
    let changes = work.path().join("changes.json");
    // As detect-changes writes it: outputs are strings holding JSON.
    std::fs::write(
        &changes,
        json!({"components": "[\"Cash_Collection_Date\",\"ml_parking_predictions\",\"housing_repairs_dlo\"]",
               "changes": "[\"parking\",\"housing\",\"stable\",\"experimental\"]"})
        .to_string(),
    )
    .unwrap();
    let path = changes.to_str().unwrap();
    let staging = plan_json(
        &dir,
        &["--env", "staging", "--changes", path, "--format", "json"],
    );
    let names = |p: &Value| -> Vec<String> {
        p["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(&staging),
        [
            "Cash_Collection_Date",
            "ml_parking_predictions",
            "housing_repairs_dlo"
        ]
    );
    assert_eq!(staging["changes_only"], true);
    let prod = plan_json(
        &dir,
        &["--env", "prod", "--changes", path, "--format", "json"],
    );
    assert_eq!(names(&prod), ["Cash_Collection_Date"]);

    // paths-filter style: filters named after departments stand for all their jobs.
    std::fs::write(&changes, json!({"changes": ["finance"]}).to_string()).unwrap();
    let prod = plan_json(
        &dir,
        &["--env", "prod", "--changes", path, "--format", "json"],
    );
    assert_eq!(prod["count"], 7);

    std::fs::write(&changes, "not json").unwrap();
    let out = plan(&dir, &["--env", "prod", "--changes", path]);
    assert_eq!(out.status.code(), Some(2));
    out.assert_contains("is not JSON");
}

#[test]
fn bad_input_is_exit_2_with_the_choices() {
    let dir = example("data-platform");
    let cases: [(&[&str], &str); 6] = [
        (&[], "input 'env': which environment? pass --env NAME"),
        (&["--env", "production"], "input 'env': unknown environment 'production' (known: staging, prod)"),
        (&["--env", "prod", "--tier", "experimental"], "input 'tier': environment 'prod' does not receive tier 'experimental' (it receives: stable)"),
        (&["--env", "prod", "--tier", "gold"], "input 'tier': unknown tier 'gold' (known: experimental, stable)"),
        (&["--env", "prod", "--format", "yaml"], "input 'format': unknown format 'yaml' (expected one of: text, json, tfvars-json, dotenv, github, markdown)"),
        (&["--env", "staging", "--diff", "prd"], "input 'diff': unknown environment 'prd' (known: staging, prod); did you mean 'prod'?"),
    ];
    for (args, message) in cases {
        let out = plan(&dir, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", out.dump());
        out.assert_contains(message);
        assert_eq!(out.stdout, "", "{args:?}: nothing on stdout when failing");
    }
}

#[test]
fn an_invalid_config_stops_plan_with_every_problem() {
    let out = plan(
        &root(),
        &[
            "--env",
            "prod",
            "--config",
            "tests/fixtures/config/duplicates.yml",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        out.stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .count(),
        4,
        "{}",
        out.stderr
    );
}

#[test]
fn a_wrong_shape_in_changes_is_exit_2_naming_the_field() {
    let dir = example("data-platform");
    let work = tempfile::tempdir().unwrap();
    let changes = work.path().join("changes.json");
    let path = changes.to_str().unwrap();
    let cases = [
        (json!({"components": 5}), "`components`: expected a list of names, found the number 5"),
        (json!({"components": null}), "`components`: expected a list of names, found null"),
        (json!({"components": ["Cash_Collection_Date", 7]}), "`components[1]`: expected a name (a string), found the number 7"),
        (json!({"components": {"Cash_Collection_Date": 1}}), "`components.Cash_Collection_Date`: expected true or false, found the number 1"),
        (json!({"changes": true}), "`changes`: expected a list of names, found the boolean true"),
        (json!({"changes": [], "filters": "x"}), "`filters`: expected a list, found the string 'x'"),
        (json!({"components": [], "outputs": []}), "`outputs`: expected an object, found a list"),
        (json!("Cash_Collection_Date"), "expected an object (detect-changes' output) or a list of names, found the string 'Cash_Collection_Date'"),
    ];
    for (value, message) in cases {
        std::fs::write(&changes, value.to_string()).unwrap();
        let out = plan(
            &dir,
            &["--env", "prod", "--changes", path, "--format", "json"],
        );
        assert_eq!(out.status.code(), Some(2), "{value}: {}", out.dump());
        out.assert_contains(&format!("input 'changes': '{path}': {message}"));
        assert_eq!(out.stdout, "", "{value}: nothing on stdout when failing");
    }
}

/// detect-changes' real output (locally with `--output json`, and the GitLab artifact)
/// read by `plan --changes`: the documented hand-over between the two verbs.
#[test]
fn plan_reads_what_detect_changes_with_the_model_writes() {
    let repo = peers::Repo::new();
    repo.copy_from_project("examples/web-service/.shipgate.yml");
    std::fs::rename(
        repo.path().join("examples/web-service/.shipgate.yml"),
        repo.path().join(".shipgate.yml"),
    )
    .unwrap();
    repo.commit("model");
    repo.write("services/api/main.go", "package main\n");
    repo.write("services/worker/main.go", "package main\n");
    repo.commit("api and worker");
    let names = |plan: &Value| -> Vec<String> {
        plan["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };

    // Locally: `detect-changes --config --output json > changes.json`.
    let mut cmd = Command::new(shipgate());
    clean_env(&mut cmd)
        .args([
            "detect-changes",
            "--config",
            ".shipgate.yml",
            "--base",
            "HEAD~1",
            "--output",
            "json",
        ])
        .current_dir(repo.path());
    let out = run(&mut cmd, LIMIT);
    out.assert_success();
    let local = repo.path().join("changes.json");
    std::fs::write(&local, &out.stdout).unwrap();
    let planned = plan_json(
        repo.path(),
        &[
            "--env",
            "prod",
            "--changes",
            local.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(names(&planned), ["api", "worker"]);
    assert_eq!(planned["changes_only"], true);

    // Straight through a pipe, with no file in between.
    let mut cmd = Command::new("bash");
    clean_env(&mut cmd)
        .arg("-c")
        .arg(format!(
            "'{bin}' plan --env prod --format json --changes <('{bin}' detect-changes --config .shipgate.yml --base HEAD~1 --output json 2>/dev/null)",
            bin = shipgate().display()
        ))
        .current_dir(repo.path());
    let out = run(&mut cmd, LIMIT);
    out.assert_success();
    let piped: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(names(&piped), ["api", "worker"]);

    // On GitLab: the JSON artifact (`shipgate-changes.json`) of the detect-changes job.
    let run = Action::gitlab("detect-changes", repo.path())
        .arg("--config")
        .arg(".shipgate.yml")
        .arg("--base")
        .arg("HEAD~1")
        .run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let artifact = repo.path().join("shipgate-changes.json");
    assert!(artifact.is_file(), "no artifact: {}", run.stdout);
    let planned = plan_json(
        repo.path(),
        &[
            "--env",
            "staging",
            "--changes",
            artifact.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(names(&planned), ["api", "worker"]);

    // A bare `changes` list as detect-changes names its filters (`group-backend`) stands for
    // the group's components.
    std::fs::write(&local, json!({"changes": ["group-backend"]}).to_string()).unwrap();
    let planned = plan_json(
        repo.path(),
        &[
            "--env",
            "staging",
            "--changes",
            local.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(names(&planned), ["api", "worker", "search"]);
}

/// Runs Terraform in `dir` (local state, built-in resources only: nothing to download).
fn terraform_in(dir: &Path, args: &[&str]) -> Outcome {
    let mut cmd = Command::new(terraform());
    clean_env(&mut cmd)
        .args(args)
        .current_dir(dir)
        .env("TF_IN_AUTOMATION", "1")
        .env("CHECKPOINT_DISABLE", "1");
    run(&mut cmd, LIMIT)
}

/// The addresses a saved Terraform plan would delete.
fn deleted_by(dir: &Path, plan_file: &str) -> Vec<String> {
    let show = terraform_in(dir, &["show", "-json", plan_file]);
    show.assert_success();
    let plan: Value = serde_json::from_str(&show.stdout).unwrap();
    plan["resource_changes"]
        .as_array()
        .map(|changes| {
            changes
                .iter()
                .filter(|c| {
                    c["change"]["actions"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|x| x == "delete"))
                })
                .map(|c| c["address"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The hotfix path as the example pipelines run it: a full plan applied, then the
/// `--tier stable` plan written to the same var file. Terraform must plan no change at all
/// (nothing of the other tier destroyed: 25 experimental jobs in the data platform's staging, the trial
/// component in preprod1), and applying only the selected components keeps every resource.
#[test]
fn a_hotfix_plan_applied_after_a_full_one_destroys_nothing() {
    let four_envs_vars = r#"
variable "environment" { type = string }
variable "account" { type = string }
variable "tiers" { type = list(string) }
variable "enabled_components" { type = list(string) }
variable "selected_components" { type = list(string) }
variable "component_versions" {
  type    = map(string)
  default = {}
}
variable "region" { type = string }
variable "log_level" { type = string }
resource "terraform_data" "component" {
  for_each = toset(var.enabled_components)
  input    = { environment = var.environment, version = lookup(var.component_versions, each.key, null) }
}
"#;
    let data_platform_main = r#"
resource "terraform_data" "job" {
  for_each = var.glue_jobs
  input    = { name = "${var.environment}-${each.key}", tier = each.value.tier, department = each.value.group, workers = each.value.number_of_workers }
}
"#;
    // (example, environment, resources of a full plan, the resource type, the selected var)
    let cases = [
        (
            "data-platform",
            "staging",
            112,
            "terraform_data.job",
            "selected_jobs",
        ),
        (
            "four-envs-gitlab",
            "preprod1",
            7,
            "terraform_data.component",
            "selected_components",
        ),
    ];
    for (name, env, full_count, resource, selected_var) in cases {
        let work = tempfile::tempdir().unwrap();
        let dir = work.path();
        if name == "data-platform" {
            std::fs::copy(
                example(name).join("terraform/variables.tf"),
                dir.join("variables.tf"),
            )
            .unwrap();
            std::fs::write(dir.join("main.tf"), data_platform_main).unwrap();
        } else {
            std::fs::write(dir.join("main.tf"), four_envs_vars).unwrap();
        }
        let var_file = dir.join("plan.auto.tfvars.json");
        let tfvars = |args: &[&str]| -> Value {
            let mut all = vec!["--env", env, "--format", "tfvars-json"];
            all.extend_from_slice(args);
            let out = plan(&example(name), &all);
            out.assert_success();
            std::fs::write(&var_file, &out.stdout).unwrap();
            serde_json::from_str(&out.stdout).unwrap()
        };
        let full = tfvars(&[]);
        terraform_in(dir, &["init", "-input=false", "-no-color"]).assert_success();
        let apply = terraform_in(
            dir,
            &["apply", "-auto-approve", "-input=false", "-no-color"],
        );
        apply.assert_success();
        apply.assert_lacks("undeclared variable");
        let state = terraform_in(dir, &["state", "list"]);
        state.assert_success();
        let before: Vec<&str> = state.stdout.lines().collect();
        assert_eq!(before.len(), full_count, "{name} {env}: {}", state.stdout);

        let hotfix = tfvars(&["--tier", "stable"]);
        let selected = hotfix[selected_var].as_array().unwrap().len();
        assert!(selected > 0 && selected < full_count, "{name}: {hotfix}");
        let planned = terraform_in(
            dir,
            &[
                "plan",
                "-detailed-exitcode",
                "-input=false",
                "-no-color",
                "-out=hotfix.tfplan",
            ],
        );
        assert_eq!(
            deleted_by(dir, "hotfix.tfplan"),
            Vec::<String>::new(),
            "{name} {env}: the hotfix plan destroys\n{}",
            planned.dump()
        );
        assert_eq!(
            planned.status.code(),
            Some(0),
            "{name} {env}: the hotfix changes something\n{}",
            planned.dump()
        );
        // Everything but the selected list is the same as the full plan's.
        let strip = |mut v: Value| {
            v.as_object_mut().unwrap().remove(selected_var);
            v
        };
        assert_eq!(strip(hotfix.clone()), strip(full.clone()), "{name} {env}");

        // Applying only the selected components (the example pipelines' -target) keeps all.
        let targets: Vec<String> = hotfix[selected_var]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| format!("-target={resource}[\"{}\"]", c.as_str().unwrap()))
            .collect();
        let mut args = vec!["apply", "-auto-approve", "-input=false", "-no-color"];
        args.extend(targets.iter().map(String::as_str));
        terraform_in(dir, &args).assert_success();
        let state = terraform_in(dir, &["state", "list"]);
        assert_eq!(
            state.stdout.lines().collect::<Vec<_>>(),
            before,
            "{name} {env}"
        );
    }
}

/// A model whose environment has a variable dotenv cannot carry (a line break).
const LINE_BREAK_MODEL: &str = "version: 1
tiers: [main]
environments:
  - name: prod
    variables: { note: \"first line\\nsecond line\" }
components:
  web: {}
";

#[test]
fn dotenv_warnings_go_to_stderr_and_stdout_holds_only_the_lines() {
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("model.yml"), LINE_BREAK_MODEL).unwrap();
    let lines = "SHIPGATE_ENVIRONMENT=prod
SHIPGATE_TIERS=main
SHIPGATE_COMPONENTS=web
SHIPGATE_COUNT=1
SHIPGATE_ENABLED=web
SHIPGATE_COMPONENTS_MAIN=web
note=first line\\nsecond line
";
    let warning = "note holds a line break: dotenv cannot carry it; it is written with \\n";

    // Locally: the warning on stderr, as before.
    let args = [
        "--env",
        "prod",
        "--format",
        "dotenv",
        "--config",
        "model.yml",
    ];
    let out = plan(work.path(), &args);
    out.assert_success();
    assert_eq!(out.stdout, lines);
    assert_eq!(out.stderr, format!("warning: {warning}\n"));

    // GitLab (`> plan.env` for artifacts:reports:dotenv): the file gets only the lines.
    let run = args
        .iter()
        .fold(Action::gitlab("plan", work.path()), |a, arg| a.arg(arg))
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, lines);
    assert_eq!(run.stderr, format!("warning: {warning}\n"));

    // GitHub: an annotation, on stderr (the runner reads workflow commands there too).
    let run = args
        .iter()
        .fold(Action::github("plan", work.path()), |a, arg| a.arg(arg))
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, lines);
    assert_eq!(run.stderr, format!("::warning::{warning}\n"));
}

#[test]
fn a_reader_that_stops_early_keeps_the_exit_code() {
    use std::process::Stdio;
    for args in [
        ["--env", "prod", "--format", "json"],
        ["--env", "prod", "--format", "text"],
        ["--env", "prod", "--format", "tfvars-json"],
    ] {
        // A pipe whose reader is gone (`shipgate plan … | head -c0`): every write fails.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let mut cmd = Command::new(shipgate());
        clean_env(&mut cmd)
            .arg("plan")
            .args(args)
            .current_dir(example("web-service"))
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped());
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert_eq!(stderr, "", "{args:?}");
    }
}
