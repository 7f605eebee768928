//! `shipgate gate` on GitLab Free without a token: manual approve jobs record who ran them,
//! the gate job counts distinct eligible approvers of this pipeline.

use crate::support as common;

use std::path::Path;

use common::{Action, Run};

const POLICY: &str = "approvers:
  tech-leads: { users: [alice, carol] }
  product: { users: [carol, dave] }
approvals:
  all_of: [ { group: tech-leads, min: 1 }, { group: product, min: 1 } ]
exclude: [initiator]
";

fn job(dir: &Path, mode: &str, name: &str, user: &str) -> Action {
    Action::gitlab("gate", dir)
        .env("CI_PIPELINE_ID", "900")
        .env("CI_COMMIT_SHA", "abc123")
        .env("CI_JOB_NAME", name)
        .env(
            "CI_JOB_URL",
            &format!("https://gitlab.test/acme/app/-/jobs/{name}"),
        )
        .env("CI_PIPELINE_CREATED_AT", "2026-03-02T10:00:00Z")
        .env("SHIPGATE_NOW", "2026-03-02T10:30:00Z")
        .env("SHIPGATE_INITIATOR", "erin")
        .env("GITLAB_USER_LOGIN", user)
        .input("mode", mode)
        .input("policy", POLICY)
}

fn approve(dir: &Path, name: &str, user: &str) -> Run {
    job(dir, "gitlab-approve", name, user).run()
}

#[test]
fn a_tech_lead_and_a_product_owner_pass_the_gate() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(approve(dir.path(), "approve-lead", "alice").code, 0);
    let record =
        std::fs::read_to_string(dir.path().join("shipgate-approvals/approve-lead.json")).unwrap();
    assert!(
        record.contains("\"login\": \"alice\"") && record.contains("\"pipeline\": \"900\""),
        "{record}"
    );
    assert_eq!(approve(dir.path(), "approve-product", "dave").code, 0);
    let gate = job(dir.path(), "gitlab-jobs", "gate", "alice").run();
    assert_eq!(gate.code, 0, "{}{}", gate.stdout, gate.stderr);
    assert!(
        gate.report().contains("SHIPGATE_approval_status=approved"),
        "{}",
        gate.report()
    );
    assert!(
        gate.stdout.contains("`tech-leads`: alice; `product`: dave"),
        "{}",
        gate.stdout
    );
}

#[test]
fn someone_in_both_groups_fills_one_place_only() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(approve(dir.path(), "approve-lead", "carol").code, 0);
    assert_eq!(approve(dir.path(), "approve-product", "carol").code, 0);
    let gate = job(dir.path(), "gitlab-jobs", "gate", "carol").run();
    assert_eq!(gate.code, 3, "{}", gate.stdout);
    assert!(gate.report().contains("SHIPGATE_approval_status=blocked"));
    assert!(
        gate.stdout
            .contains("already approved (each person counts once)"),
        "{}",
        gate.stdout
    );
}

#[test]
fn the_initiator_and_strangers_cannot_approve() {
    let dir = tempfile::tempdir().unwrap();
    let stranger = approve(dir.path(), "approve-lead", "mallory");
    assert_eq!(stranger.code, 3);
    assert!(
        stranger
            .stderr
            .contains("@mallory cannot approve: not an approver of this gate"),
        "{}",
        stranger.stderr
    );
    let initiator = job(dir.path(), "gitlab-approve", "approve-lead", "erin")
        .input(
            "policy",
            &POLICY.replace("users: [alice, carol]", "users: [alice, erin]"),
        )
        .run();
    assert_eq!(initiator.code, 3);
    assert!(
        initiator.stderr.contains("excluded: started the pipeline"),
        "{}",
        initiator.stderr
    );
    assert!(!dir.path().join("shipgate-approvals").exists());
}

#[test]
fn records_of_another_pipeline_do_not_count() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(approve(dir.path(), "approve-lead", "alice").code, 0);
    let old = job(dir.path(), "gitlab-approve", "approve-product", "dave")
        .env("CI_PIPELINE_ID", "899")
        .run();
    assert_eq!(old.code, 0);
    let gate = job(dir.path(), "gitlab-jobs", "gate", "alice").run();
    assert_eq!(gate.code, 3);
    assert!(
        gate.stdout.contains("recorded for pipeline 899"),
        "{}",
        gate.stdout
    );
}

#[test]
fn deploy_freeze_and_windows_block_the_gate_job() {
    let dir = tempfile::tempdir().unwrap();
    approve(dir.path(), "approve-lead", "alice");
    approve(dir.path(), "approve-product", "dave");
    let frozen = job(dir.path(), "gitlab-jobs", "gate", "alice")
        .env("CI_DEPLOY_FREEZE", "true")
        .run();
    assert_eq!(frozen.code, 3);
    assert!(
        frozen.stdout.contains("CI_DEPLOY_FREEZE"),
        "{}",
        frozen.stdout
    );
    // Monday 2 March 2026 10:30 UTC is 05:30 in New York: before the window.
    let early = job(dir.path(), "gitlab-jobs", "gate", "alice")
        .input("windows", "Mon-Fri 09:00-17:00 America/New_York")
        .run();
    assert_eq!(early.code, 3);
    assert!(
        early
            .stdout
            .contains("outside every window (now Mon 05:30 America/New_York)"),
        "{}",
        early.stdout
    );
    let open = job(dir.path(), "gitlab-jobs", "gate", "alice")
        .env("SHIPGATE_NOW", "2026-03-02T15:00:00Z")
        .input("windows", "Mon-Fri 09:00-17:00 America/New_York")
        .run();
    assert_eq!(open.code, 0, "{}", open.stdout);
}

#[test]
fn a_wait_timer_not_yet_over_fails_with_when_to_retry() {
    let dir = tempfile::tempdir().unwrap();
    approve(dir.path(), "approve-lead", "alice");
    approve(dir.path(), "approve-product", "dave");
    let gate = job(dir.path(), "gitlab-jobs", "gate", "alice")
        .input("wait-timer", "1h")
        .run();
    assert_eq!(gate.code, 3);
    assert!(
        gate.stdout
            .contains("a timer runs until 2026-03-02T11:00:00Z"),
        "{}",
        gate.stdout
    );
}

#[test]
fn groups_need_a_token() {
    let dir = tempfile::tempdir().unwrap();
    let run = Action::gitlab("gate", dir.path())
        .env("GITLAB_USER_LOGIN", "alice")
        .input("mode", "gitlab-approve")
        .input("approvers", "alice,acme/leads")
        .run();
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("without a token the GitLab gate takes usernames only"),
        "{}",
        run.stderr
    );
}

/// An approve job with its own `needs:` that leaves out gate-initiator does not get
/// SHIPGATE_INITIATOR: the error says exactly what to add.
#[test]
fn a_missing_initiator_record_says_to_add_gate_initiator_to_needs() {
    let dir = tempfile::tempdir().unwrap();
    let run = Action::gitlab("gate", dir.path())
        .env("CI_PIPELINE_ID", "900")
        .env("CI_COMMIT_SHA", "abc123")
        .env("CI_JOB_NAME", "approve-lead")
        .env("GITLAB_USER_LOGIN", "alice")
        .input("mode", "gitlab-approve")
        .input("policy", POLICY)
        .run();
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let log = format!("{}{}", run.stdout, run.stderr);
    assert!(
        log.contains("extends: .shipgate-gate-initiator")
            && log.contains("needs: [gate-initiator, ...]"),
        "{log}"
    );
    assert!(!dir.path().join("shipgate-approvals").exists());
}

/// A gate that asks nobody passes in the gate job on its time rules alone.
#[test]
fn a_gate_with_no_approvers_passes_on_its_time_rules() {
    let dir = tempfile::tempdir().unwrap();
    let run = job(dir.path(), "gitlab-jobs", "gate", "erin")
        .input("policy", "wait: 10m\n")
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.report().contains("SHIPGATE_approval_status=approved"),
        "{}",
        run.report()
    );
}

/// Two approve jobs whose names differ only in characters a file name cannot keep write two
/// records, and both count.
#[test]
fn approve_jobs_with_names_alike_after_sanitising_keep_their_own_records() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(approve(dir.path(), "approve lead", "alice").code, 0);
    assert_eq!(approve(dir.path(), "approve_lead", "dave").code, 0);
    let records = std::fs::read_dir(dir.path().join("shipgate-approvals"))
        .unwrap()
        .count();
    assert_eq!(records, 2);
    let gate = job(dir.path(), "gitlab-jobs", "gate", "erin").run();
    assert_eq!(gate.code, 0, "{}{}", gate.stdout, gate.stderr);
}

/// A dry run of an approve job checks the user but writes no record.
#[test]
fn a_dry_run_approve_job_writes_no_record() {
    let dir = tempfile::tempdir().unwrap();
    let run = job(dir.path(), "gitlab-approve", "approve-lead", "alice")
        .input("dry-run", "true")
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(!dir.path().join("shipgate-approvals").exists());
    assert!(
        run.report().contains("SHIPGATE_approval_status=dry-run"),
        "{}",
        run.report()
    );
}
