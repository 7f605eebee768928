//! Every hand-over between verbs that the README documents, fed with the real output of
//! one verb (run through the binary, as the runner runs it) to the next:
//!
//! - gate `approvers` → notify `approvers` (GitHub output; GitLab dotenv `SHIPGATE_approvers`)
//! - detect-changes `changes` and `components` → notify `components`
//! - detect-changes' JSON (GitLab artifact `shipgate-changes.json`, the GitHub outputs as
//!   `toJSON(steps.changes.outputs)`, `--output json` locally) → `plan --changes`
//! - plan `components` (`--format github`) and `SHIPGATE_COMPONENTS` (`--format dotenv`)
//!   → notify `components`
//!
//! (notify's own `slack-ts` → `slack-ts` is covered in `tests/it/notify_slack.rs`.)

use crate::support as common;
use crate::support::github_fake;

use std::path::Path;
use std::time::Duration;

use common::{Action, Run, TestRepo};
use github_fake::GithubFake;
use serde_json::{json, Value};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const NOW: &str = "2026-11-22T12:00:00Z";

/// A webhook that takes everything; notify's body says what it was given.
async fn hook() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

/// The `deploy` object of the one body the webhook received.
async fn deploy_sent(server: &MockServer) -> Value {
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "one notification");
    let body: Value = serde_json::from_slice(&requests[0].body).unwrap();
    body["deploy"].clone()
}

/// notify as a later GitHub step, to the webhook, with `inputs`.
async fn notify_github(dir: &Path, server: &MockServer, inputs: &[(&str, &str)]) -> Value {
    let mut step = Action::github("notify", dir)
        .env("SHIPGATE_NOW", NOW)
        .env("GITHUB_REPOSITORY", "acme/app")
        .input("status", "success")
        .input("environment", "prod")
        .input("targets", "webhook")
        .input("webhook-url", &format!("{}/hooks/deploys", server.uri()));
    for (k, v) in inputs {
        step = step.input(k, v);
    }
    let run = tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap();
    assert_eq!(run.code, 0, "notify: {}{}", run.stdout, run.stderr);
    assert!(
        run.get("results").contains("\"state\":\"delivered\""),
        "{}",
        run.get("results")
    );
    deploy_sent(server).await
}

/// notify as a later GitLab job, to the webhook, with `inputs` (GitLab variables).
async fn notify_gitlab(dir: &Path, server: &MockServer, inputs: &[(&str, &str)]) -> Value {
    let mut step = Action::gitlab("notify", dir)
        .env("SHIPGATE_NOW", NOW)
        .input("status", "success")
        .input("targets", "webhook")
        .input("dotenv", "notify.env")
        .input("webhook-url", &format!("{}/hooks/deploys", server.uri()));
    for (k, v) in inputs {
        step = step.input(&k.replace('-', "_"), v);
    }
    let run = tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap();
    assert_eq!(run.code, 0, "notify: {}{}", run.stdout, run.stderr);
    deploy_sent(server).await
}

/// `KEY=value` lines of a dotenv report.
fn dotenv(path: &Path) -> Vec<(String, String)> {
    common::parse_dotenv(
        &std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
}

fn dotenv_get(entries: &[(String, String)], key: &str) -> String {
    entries
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_else(|| panic!("no {key} in {entries:?}"))
}

// ------------------------------------------------------------------------- gate → notify

#[tokio::test(flavor = "multi_thread")]
async fn the_gates_approvers_output_goes_into_notify_on_github() {
    let fake = GithubFake::start("acme/app");
    let dir = tempfile::tempdir().unwrap();
    let gate = Action::github("gate", dir.path())
        .env("GITHUB_API_URL", &fake.url)
        .env("GITHUB_SERVER_URL", "https://github.test")
        .env("GITHUB_REPOSITORY", "acme/app")
        .env("GITHUB_REPOSITORY_OWNER", "acme")
        .env("GITHUB_RUN_ID", "42")
        .env("GITHUB_RUN_ATTEMPT", "1")
        .env("GITHUB_JOB", "deploy")
        .env("GITHUB_SHA", "abc123")
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_ACTOR", "initiator")
        .input("secret", "ghs_faketoken_0123456789")
        .input("approvers", "alice,bob,carol")
        .input("minimum-approvals", "2")
        .input("polling-interval-seconds", "0.05");
    let gate = std::thread::spawn(move || gate.run());
    let n = fake.wait_for_request(Duration::from_secs(20));
    fake.comment(n, "alice", "approve\nstaging looked good");
    fake.comment(n, "bob", "LGTM");
    let gate = gate.join().unwrap();
    assert_eq!(gate.code, 0, "gate: {}", gate.stdout);
    let approvers = gate.get("approvers").to_string();
    // The gate's real shape: objects with login, time, comment_url and reason.
    assert!(approvers.contains("\"login\":\"alice\""), "{approvers}");
    assert!(approvers.contains("\"comment_url\""), "{approvers}");

    // `approvers: ${{ steps.gate.outputs.approvers }}`
    let server = hook().await;
    let deploy = notify_github(dir.path(), &server, &[("approvers", &approvers)]).await;
    assert_eq!(deploy["approvers"], json!(["alice", "bob"]));

    // A reason of null (an approval without a comment line) reads too.
    let server = hook().await;
    let by_hand =
        r#"[{"login":"a","time":"2026-11-22T10:00:00Z","comment_url":"u","reason":null}]"#;
    let deploy = notify_github(dir.path(), &server, &[("approvers", by_hand)]).await;
    assert_eq!(deploy["approvers"], json!(["a"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_gates_dotenv_approvers_go_into_notify_on_gitlab() {
    let dir = tempfile::tempdir().unwrap();
    let job = |mode: &str, name: &str, user: &str| {
        Action::gitlab("gate", dir.path())
            .env("CI_PIPELINE_ID", "900")
            .env("CI_COMMIT_SHA", "abc123")
            .env("CI_JOB_NAME", name)
            .env("CI_JOB_URL", &format!("https://gitlab.test/acme/app/-/jobs/{name}"))
            .env("CI_PIPELINE_CREATED_AT", "2026-03-02T10:00:00Z")
            .env("SHIPGATE_NOW", "2026-03-02T10:30:00Z")
            .env("SHIPGATE_INITIATOR", "erin")
            .env("GITLAB_USER_LOGIN", user)
            .input("mode", mode)
            .input("policy", "approvers:\n  leads: { users: [alice, carol] }\napprovals:\n  all_of: [ { group: leads, min: 2 } ]\n")
    };
    assert_eq!(job("gitlab-approve", "approve-1", "alice").run().code, 0);
    assert_eq!(job("gitlab-approve", "approve-2", "carol").run().code, 0);
    let gate = job("gitlab-jobs", "gate", "alice").run();
    assert_eq!(gate.code, 0, "gate: {}{}", gate.stdout, gate.stderr);
    let approvers = gate.get("SHIPGATE_approvers").to_string();
    assert!(approvers.contains("\"login\":\"alice\""), "{approvers}");

    // `needs: [gate]` makes SHIPGATE_approvers a variable of the notify job.
    let server = hook().await;
    let deploy = notify_gitlab(dir.path(), &server, &[("approvers", &approvers)]).await;
    let mut got: Vec<String> = serde_json::from_value(deploy["approvers"].clone()).unwrap();
    got.sort();
    assert_eq!(got, ["alice", "carol"]);
}

// --------------------------------------------------------------- detect-changes → others

const MODEL: &str = r#"version: 1
tiers: [experimental, stable]
environments:
  - name: staging
    tiers: [experimental, stable]
  - name: prod
    tiers: [stable]
groups:
  parking: { paths: ["etl/parking/{component}/**"] }
  housing: { paths: ["etl/housing/**"] }
components:
  Cash_Collection_Date: { tier: stable, group: parking }
  ml_parking_predictions: { tier: experimental, group: parking }
  rent_roll: { tier: stable, group: housing, paths: ["etl/housing/rent/**"] }
  arrears: { tier: stable, group: housing, paths: ["etl/housing/arrears/**"] }
"#;

/// A repository with the model whose last commit changes two of four components.
fn model_repo() -> (TestRepo, String) {
    let repo = TestRepo::new();
    repo.write(".shipgate.yml", MODEL)
        .write("etl/parking/Cash_Collection_Date/job.py", "1")
        .write("etl/parking/ml_parking_predictions/job.py", "1")
        .write("etl/housing/rent/job.py", "1")
        .write("etl/housing/arrears/job.py", "1");
    let base = repo.commit("base");
    repo.write("etl/parking/ml_parking_predictions/job.py", "2")
        .write("etl/housing/rent/job.py", "2");
    repo.commit("change two jobs");
    (repo, base)
}

const CHANGED: [&str; 2] = ["ml_parking_predictions", "rent_roll"];

/// `shipgate plan --env staging --format json [--changes FILE]` in `dir`: the names.
fn planned(dir: &Path, changes: Option<&Path>) -> Vec<String> {
    let mut plan = Action::local("plan", dir).args(&["--env", "staging", "--format", "json"]);
    if let Some(file) = changes {
        plan = plan.args(&["--changes", file.to_str().unwrap()]);
    }
    let out = plan.run();
    out.expect_code(0);
    let plan: Value = serde_json::from_str(&out.stdout).unwrap();
    let mut names: Vec<String> = plan["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn detect_changes_json_narrows_plan_on_every_platform() {
    let (repo, base) = model_repo();
    assert_eq!(planned(repo.path(), None).len(), 4, "the whole plan");
    let work = tempfile::tempdir().unwrap();

    // GitLab: the JSON artifact, as `plan --changes shipgate-changes.json` reads it.
    let gitlab = Action::gitlab("detect-changes", repo.path())
        .input("base", &base)
        .run();
    assert_eq!(gitlab.code, 0, "{}{}", gitlab.stdout, gitlab.stderr);
    let artifact = repo.path().join("shipgate-changes.json");
    assert!(artifact.exists(), "{}", gitlab.stdout);
    assert_eq!(planned(repo.path(), Some(&artifact)), CHANGED);

    // GitHub: the step's outputs as `${{ toJSON(steps.changes.outputs) }}` writes them.
    let github = Action::github("detect-changes", repo.path())
        .input("base", &base)
        .run();
    assert_eq!(github.code, 0, "{}", github.stdout);
    let outputs: serde_json::Map<String, Value> = github
        .outputs
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let file = work.path().join("outputs.json");
    std::fs::write(&file, serde_json::to_vec_pretty(&outputs).unwrap()).unwrap();
    assert_eq!(planned(repo.path(), Some(&file)), CHANGED);

    // A terminal: `shipgate detect-changes --output json > changes.json`.
    let out = Action::local("detect-changes", repo.path())
        .args(&["--base", &base, "--output", "json"])
        .run();
    out.expect_code(0);
    let file = work.path().join("changes.json");
    std::fs::write(&file, &out.stdout).unwrap();
    assert_eq!(planned(repo.path(), Some(&file)), CHANGED);
}

#[tokio::test(flavor = "multi_thread")]
async fn detect_changes_lists_go_into_notify_components() {
    let (repo, base) = model_repo();
    let path = repo.path().to_path_buf();
    let run: Run = tokio::task::spawn_blocking(move || {
        Action::github("detect-changes", &path)
            .input("base", &base)
            .run()
    })
    .await
    .unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    let dir = tempfile::tempdir().unwrap();

    // `components: ${{ steps.changes.outputs.components }}`
    let server = hook().await;
    let deploy = notify_github(
        dir.path(),
        &server,
        &[("components", run.get("components"))],
    )
    .await;
    assert_eq!(deploy["components"], json!(CHANGED));

    // `components: ${{ steps.changes.outputs.changes }}` (the README's example): every
    // changed filter, groups and tiers among them.
    let server = hook().await;
    let deploy = notify_github(dir.path(), &server, &[("components", run.get("changes"))]).await;
    let changes: Vec<String> = serde_json::from_str(run.get("changes")).unwrap();
    assert_eq!(deploy["components"], json!(changes));
    assert!(changes.iter().any(|c| c == "rent_roll"), "{changes:?}");
}

// ------------------------------------------------------------------------- plan → notify

#[tokio::test(flavor = "multi_thread")]
async fn plans_components_go_into_notify() {
    let (repo, _) = model_repo();
    let path = repo.path().to_path_buf();
    let run: Run = tokio::task::spawn_blocking(move || {
        Action::github("plan", &path)
            .arg("--env")
            .arg("prod")
            .arg("--format")
            .arg("github")
            .run()
    })
    .await
    .unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let prod = ["Cash_Collection_Date", "arrears", "rent_roll"];

    // GitHub: `components: ${{ steps.plan.outputs.components }}`
    let dir = tempfile::tempdir().unwrap();
    let server = hook().await;
    let deploy = notify_github(
        dir.path(),
        &server,
        &[("components", run.get("components"))],
    )
    .await;
    let mut got: Vec<String> = serde_json::from_value(deploy["components"].clone()).unwrap();
    got.sort();
    assert_eq!(got, prod);

    // GitLab: the dotenv report's SHIPGATE_COMPONENTS (comma-separated).
    let out = Action::local("plan", repo.path())
        .args(&["--env", "prod", "--format", "dotenv"])
        .run();
    out.expect_code(0);
    let file = dir.path().join("plan.env");
    std::fs::write(&file, &out.stdout).unwrap();
    let components = dotenv_get(&dotenv(&file), "SHIPGATE_COMPONENTS");
    let server = hook().await;
    let deploy = notify_gitlab(dir.path(), &server, &[("components", &components)]).await;
    let mut got: Vec<String> = serde_json::from_value(deploy["components"].clone()).unwrap();
    got.sort();
    assert_eq!(got, prod);
}
