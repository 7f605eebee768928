//! `shipgate gate` on GitHub, run as the runner runs it, against a stateful GitHub fake.

use crate::support as common;
use crate::support::github_fake;

use std::path::Path;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use common::{Action, Run};
use github_fake::{GithubFake, APP_KEY_PKCS1, APP_KEY_PKCS8};
use serde_json::{json, Value};

const REPO: &str = "acme/app";
const WAIT: Duration = Duration::from_secs(20);

/// A gate step in run 42 of acme/app, started by `initiator`, polling every 50 ms.
fn gate(fake: &GithubFake, dir: &Path) -> Action {
    step(fake, dir).input("secret", "ghs_faketoken_0123456789")
}

/// [`gate`] without any credentials.
fn step(fake: &GithubFake, dir: &Path) -> Action {
    Action::github("gate", dir)
        .env("GITHUB_API_URL", &fake.url)
        .env("GITHUB_SERVER_URL", "https://github.test")
        .env("GITHUB_REPOSITORY", REPO)
        .env("GITHUB_REPOSITORY_OWNER", "acme")
        .env("GITHUB_RUN_ID", "42")
        .env("GITHUB_RUN_ATTEMPT", "1")
        .env("GITHUB_JOB", "deploy")
        .env("GITHUB_ACTION", "gate")
        .env("GITHUB_SHA", "abc123")
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_ACTOR", "initiator")
        .input("polling-interval-seconds", "0.05")
}

fn spawn(action: Action) -> JoinHandle<Run> {
    std::thread::spawn(move || action.run())
}

fn approvers(run: &Run) -> Vec<Value> {
    serde_json::from_str::<Vec<Value>>(run.get("approvers")).expect("approvers is JSON")
}

fn logins(run: &Run) -> Vec<String> {
    approvers(run)
        .iter()
        .map(|a| a["login"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn two_of_three_approve_and_the_issue_closes_like_manual_approval() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(
        gate(&fake, dir.path())
            .input("approvers", "alice,bob,carol")
            .input("minimum-approvals", "2")
            .input("issue-title", "Deploy v1.2 to prod")
            .input("issue-body", "Changelog: fixes")
            .input("issue-labels", "deploy, prod"),
    );
    let n = fake.wait_for_request(WAIT);
    fake.comment(n, "alice", "Approve\nstaging looked good");
    fake.comment(n, "mallory", "approve");
    fake.comment(n, "bob", "LGTM!");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.get("approval-status"), "approved");
    assert_eq!(run.get("issue-number"), n.to_string());
    assert_eq!(
        run.get("issue-url"),
        format!("https://github.test/{REPO}/issues/{n}")
    );
    assert_eq!(logins(&run), vec!["alice", "bob"]);
    let first = &approvers(&run)[0];
    assert_eq!(first["reason"], "staging looked good");
    assert!(first["comment_url"]
        .as_str()
        .unwrap()
        .contains("#issuecomment-"));
    let (state, reason, body) = fake.issue(n);
    assert_eq!(
        (state.as_str(), reason.as_deref()),
        ("closed", Some("completed"))
    );
    assert!(
        body.contains("Required approvers: [alice, bob, carol]"),
        "{body}"
    );
    assert!(body.contains("Changelog: fixes"));
    assert_eq!(
        fake.comment_bodies(n).last().unwrap(),
        "The required number of approvals (2) has been met; continuing workflow and closing this issue."
    );
    assert!(
        run.summary.contains("approved") && run.summary.contains("@mallory"),
        "{}",
        run.summary
    );
    assert!(run.summary.contains("not an approver"));
    // The token is masked first and never appears in the log otherwise.
    assert!(run
        .stdout
        .starts_with("::add-mask::ghs_faketoken_0123456789\n"));
    assert_eq!(run.stdout.matches("ghs_faketoken_0123456789").count(), 1);
}

#[test]
fn an_approval_among_35_comments_is_seen() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(
        gate(&fake, dir.path())
            .input("approvers", "alice")
            .input("timeout", "20s"),
    );
    let n = fake.wait_for_request(WAIT);
    for i in 0..34 {
        fake.comment(n, "bystander", &format!("comment {i}"));
    }
    fake.comment(n, "alice", "approved");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(logins(&run), vec!["alice"]);
}

#[test]
fn comments_beyond_the_first_page_of_100_are_read() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(
        gate(&fake, dir.path())
            .input("approvers", "alice")
            .input("timeout", "20s"),
    );
    let n = fake.wait_for_request(WAIT);
    for i in 0..130 {
        fake.comment(n, "bystander", &format!("comment {i}"));
    }
    std::thread::sleep(Duration::from_millis(300));
    fake.comment(n, "alice", "approved");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(fake
        .log()
        .iter()
        .any(|l| l.path.contains("/comments?per_page=100&page=2")));
}

#[test]
fn a_member_of_a_35_person_team_can_approve() {
    let fake = GithubFake::start(REPO);
    let members: Vec<String> = (1..=35).map(|i| format!("dev{i}")).collect();
    fake.add_team("acme", "release-managers", &members);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(
        gate(&fake, dir.path())
            .input("approvers", "release-managers")
            .input("minimum-approvals", "1"),
    );
    let n = fake.wait_for_request(WAIT);
    fake.comment(n, "dev35", "yes");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(logins(&run), vec!["dev35"]);
    // Assignees are capped at GitHub's 10.
    assert_eq!(fake.assignees(n).len(), 10);
    // The body names the first 30 (a team of thousands must not overflow GitHub's limit).
    let (_, _, body) = fake.issue(n);
    assert!(body.contains(", and 5 more]"), "{body}");
}

#[test]
fn team_members_are_paginated_past_100() {
    let fake = GithubFake::start(REPO);
    let members: Vec<String> = (1..=135).map(|i| format!("dev{i}")).collect();
    fake.add_team("acme", "eng", &members);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(
        gate(&fake, dir.path())
            .input("approvers", "acme/eng")
            .input("minimum-approvals", "1"),
    );
    let n = fake.wait_for_request(WAIT);
    fake.comment(n, "dev135", "approve");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(logins(&run), vec!["dev135"]);
}

#[test]
fn an_edited_approval_does_not_count_and_the_gate_times_out() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(
        gate(&fake, dir.path())
            .input("approvers", "alice,bob")
            .input("minimum-approvals", "1")
            .input("timeout", "3s"),
    );
    let n = fake.wait_for_request(WAIT);
    let id = fake.comment(n, "bob", "wait for QA");
    std::thread::sleep(Duration::from_millis(1100));
    fake.edit_comment(id, "approve");
    let run = run.join().unwrap();
    assert_eq!(run.code, 4, "{}", run.stdout);
    assert_eq!(run.get("approval-status"), "timed-out");
    assert!(
        run.summary.contains("edited after posting"),
        "{}",
        run.summary
    );
    // The gate stopped waiting: the unmet rule failed, nothing is shown as still waited for.
    assert!(
        run.summary
            .contains("| ❌ | at least 1 distinct approver(s)"),
        "{}",
        run.summary
    );
    assert!(!run.summary.contains("⏳"), "{}", run.summary);
    let (state, _, _) = fake.issue(n);
    assert_eq!(state, "closed");
    assert!(fake
        .comment_bodies(n)
        .last()
        .unwrap()
        .starts_with("Request timed out after 3s"));
}

#[test]
fn an_approval_older_than_the_request_does_not_count() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(
        gate(&fake, dir.path())
            .input("approvers", "alice")
            .input("timeout", "2s"),
    );
    let n = fake.wait_for_request(WAIT);
    let old = fake.at(-3600);
    fake.comment_at(n, "alice", "approve", &old, &old);
    let run = run.join().unwrap();
    assert_eq!(run.code, 4, "{}", run.stdout);
    assert!(
        run.summary.contains("posted before this request"),
        "{}",
        run.summary
    );
}

#[test]
fn the_initiator_cannot_approve() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(
        gate(&fake, dir.path())
            .env("GITHUB_ACTOR", "alice")
            .input("approvers", "alice,bob")
            .input("minimum-approvals", "1")
            .input("exclude-workflow-initiator-as-approver", "true"),
    );
    let n = fake.wait_for_request(WAIT);
    fake.comment(n, "alice", "approve");
    std::thread::sleep(Duration::from_millis(300));
    fake.comment(n, "bob", "approve");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(logins(&run), vec!["bob"]);
    assert!(run.summary.contains("excluded: started the workflow"));
    let (_, _, body) = fake.issue(n);
    assert!(body.contains("Required approvers: [bob]"), "{body}");
}

#[test]
fn all_approvers_excluded_is_bad_input() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let run = gate(&fake, dir.path())
        .env("GITHUB_ACTOR", "alice")
        .input("approvers", "alice")
        .input("exclude-workflow-initiator-as-approver", "true")
        .run();
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout.contains("only 0 eligible approver(s)"),
        "{}",
        run.stdout
    );
    assert_eq!(fake.issue_count(), 0);
}

#[test]
fn a_denial_vetoes_and_exits_3() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(gate(&fake, dir.path()).input("approvers", "alice,bob"));
    let n = fake.wait_for_request(WAIT);
    fake.comment(n, "alice", "approve");
    fake.comment(n, "bob", "denied.\nnot during the sale");
    let run = run.join().unwrap();
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(run.get("approval-status"), "denied");
    let denied: Vec<Value> = serde_json::from_str(run.get("denied-by")).unwrap();
    assert_eq!(denied[0]["reason"], "not during the sale");
    assert_eq!(
        fake.comment_bodies(n).last().unwrap(),
        "Request denied. Closing issue and failing workflow."
    );
    assert_eq!(fake.issue(n).1.as_deref(), Some("not_planned"));
    // The veto ended the request: its row is a failure, not a wait.
    assert!(run.summary.contains("| ❌ | no veto"), "{}", run.summary);
    assert!(!run.summary.contains("⏳"), "{}", run.summary);
}

#[test]
fn denial_without_fail_on_denial_exits_0() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(
        gate(&fake, dir.path())
            .input("approvers", "alice")
            .input("fail-on-denial", "false"),
    );
    let n = fake.wait_for_request(WAIT);
    fake.comment(n, "alice", "no");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0);
    assert_eq!(run.get("approval-status"), "denied");
    assert_eq!(
        fake.comment_bodies(n).last().unwrap(),
        "Request denied. Closing issue but continuing workflow."
    );
}

#[test]
fn one_person_approving_twice_counts_once() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(
        gate(&fake, dir.path())
            .input("approvers", "alice,bob")
            .input("timeout", "2s"),
    );
    let n = fake.wait_for_request(WAIT);
    fake.comment(n, "alice", "approve");
    fake.comment(n, "Alice", "lgtm");
    let run = run.join().unwrap();
    assert_eq!(run.code, 4, "{}", run.stdout);
    assert_eq!(logins(&run), vec!["alice"]);
    assert!(run
        .summary
        .contains("already approved (each person counts once)"));
}

#[test]
fn custom_words_are_taken_literally() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(
        gate(&fake, dir.path())
            .input("approvers", "alice,bob")
            .input("minimum-approvals", "1")
            .input("additional-approved-words", "+1, :shipit:")
            .input("additional-denied-words", "-1"),
    );
    let n = fake.wait_for_request(WAIT);
    fake.comment(n, "bob", "11");
    fake.comment(n, "alice", ":shipit:");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(logins(&run), vec!["alice"]);
}

const POLICY: &str = "approvers:
  tech-leads: { users: [alice, carol] }
  product: { users: [carol, dave] }
approvals:
  all_of: [ { group: tech-leads, min: 1 }, { group: product, min: 1 } ]
exclude: [initiator]
";

#[test]
fn tech_lead_and_product_need_two_distinct_people() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(
        gate(&fake, dir.path())
            .input("policy", POLICY)
            .input("environment", "prod"),
    );
    let n = fake.wait_for_request(WAIT);
    fake.comment(n, "carol", "approve");
    std::thread::sleep(Duration::from_millis(400));
    fake.comment(n, "initiator", "approve");
    std::thread::sleep(Duration::from_millis(400));
    fake.comment(n, "alice", "approve");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(logins(&run), vec!["carol", "alice"]);
    assert!(
        run.summary
            .contains("`tech-leads`: alice; `product`: carol"),
        "{}",
        run.summary
    );
    // Titled by the deciding policy (here inline), then the environment.
    assert!(
        run.summary
            .contains("## Gate for `prod` (inline policy): ✅ approved"),
        "{}",
        run.summary
    );
}

#[test]
fn a_named_policy_comes_from_shipgate_yml() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".shipgate.yml"),
        "version: 1
tiers: [stable]
environments:
  - name: staging
  - name: prod
    gate: prod-approval
approvers:
  tech-leads: { users: [alice] }
  product: { users: [dave] }
gates:
  prod-approval:
    approvals: { all_of: [ { group: tech-leads }, { group: product } ] }
",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let run = spawn(gate(&fake, dir.path()).input("environment", "prod"));
    let n = fake.wait_for_request(WAIT);
    fake.comment(n, "dave", "approve");
    fake.comment(n, "alice", "approve");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(logins(&run), vec!["dave", "alice"]);
    let (_, _, body) = fake.issue(n);
    assert!(
        body.contains("Policy `prod-approval`: 1 of `tech-leads`, 1 of `product`"),
        "{body}"
    );
    // The summary names the deciding policy, not only the environment.
    assert!(
        run.summary
            .contains("## Gate `prod-approval` for `prod`: ✅ approved"),
        "{}",
        run.summary
    );
}

#[test]
fn a_502_then_success_is_retried() {
    let fake = GithubFake::start(REPO);
    fake.fail("POST", "/issues", 502, &[], "bad gateway", 1);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(gate(&fake, dir.path()).input("approvers", "alice"));
    let n = fake.wait_for_request(WAIT);
    fake.comment(n, "alice", "approve");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    let posts: Vec<u16> = fake
        .log()
        .iter()
        .filter(|l| l.method == "POST" && l.path.ends_with("/issues"))
        .map(|l| l.status)
        .collect();
    assert_eq!(posts, vec![502, 201]);
}

#[test]
fn rate_limits_while_waiting_are_waited_out() {
    // Simulated time runs 600× faster, so the minute GitHub asks for after a bare 403
    // secondary limit passes in 0.1 s.
    let fake = GithubFake::start(REPO);
    fake.fail("GET", "/comments", 429, &[("retry-after", "1")], "{}", 1);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(
        gate(&fake, dir.path())
            .env("SHIPGATE_TIME_SCALE", "600")
            .input("polling-interval-seconds", "10")
            .input("approvers", "alice"),
    );
    let n = fake.wait_for_request(WAIT);
    while !fake
        .log()
        .iter()
        .any(|l| l.method == "GET" && l.path.contains("/comments") && l.status == 200)
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    fake.fail(
        "GET",
        "/comments",
        403,
        &[],
        "{\"message\":\"You have exceeded a secondary rate limit\"}",
        2,
    );
    std::thread::sleep(Duration::from_millis(500));
    fake.comment(n, "alice", "approve");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    let statuses: Vec<u16> = fake
        .log()
        .iter()
        .filter(|l| l.method == "GET" && l.path.contains("/comments"))
        .map(|l| l.status)
        .collect();
    assert_eq!(statuses[0], 429);
    assert_eq!(statuses.last(), Some(&200));
    assert!(
        statuses.iter().filter(|s| **s == 403).count() == 2,
        "{statuses:?}"
    );
    assert!(
        run.stdout.contains("secondary rate limit"),
        "{}",
        run.stdout
    );
}

#[test]
fn an_api_error_is_exit_1_never_denied() {
    let fake = GithubFake::start(REPO);
    fake.fail(
        "POST",
        "/issues",
        401,
        &[],
        "{\"message\":\"Bad credentials\"}",
        1,
    );
    let dir = tempfile::tempdir().unwrap();
    let run = gate(&fake, dir.path()).input("approvers", "alice").run();
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.outputs.is_empty(),
        "no outputs on an operational error: {:?}",
        run.outputs
    );
    assert!(
        run.stdout.contains("401") && run.stdout.contains("invalid or expired"),
        "{}",
        run.stdout
    );
}

#[test]
fn repeated_poll_failures_end_in_exit_1() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(gate(&fake, dir.path()).input("approvers", "alice"));
    fake.wait_for_request(WAIT);
    fake.fail(
        "GET",
        "/comments",
        404,
        &[],
        "{\"message\":\"Not Found\"}",
        100,
    );
    let run = run.join().unwrap();
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains("polls in a row failed"),
        "{}",
        run.stdout
    );
}

#[test]
fn unassignable_approvers_do_not_stop_the_request() {
    let fake = GithubFake::start(REPO);
    fake.unassignable("ghost-user");
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(
        gate(&fake, dir.path())
            .input("approvers", "alice,ghost-user")
            .input("minimum-approvals", "1"),
    );
    let n = fake.wait_for_request(WAIT);
    fake.comment(n, "alice", "approve");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(fake.assignees(n).is_empty());
    assert!(
        run.stdout.contains("::warning::GitHub refused to assign"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_rerun_finds_a_request_written_in_the_old_marker_format() {
    // Issue 10 #6: requests opened before the one marker format (`<!-- shipgate-gate {json}
    // -->`) are still found by a re-run, not opened again.
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let record = json!({
        "key": "acme/app#42/deploy/gate/approvers",
        "sha": "0123456789abcdef0123456789abcdef01234567",
        "ref": "refs/heads/main",
        "run_id": "42",
        "environment": null,
        "inputs": {},
    });
    let n = fake.add_issue(
        "Manual approval required for workflow run 42",
        &format!("Approve?\n\n<!-- shipgate-gate {record} -->"),
        "open",
        &fake.at(-60),
    );
    let run = gate(&fake, dir.path())
        .env("GITHUB_RUN_ATTEMPT", "2")
        .input("approvers", "alice")
        .input("timeout", "1s")
        .run();
    assert_eq!(run.code, 4, "{}", run.stdout);
    assert_eq!(run.get("issue-number"), n.to_string(), "{}", run.stdout);
    assert_eq!(fake.issue_count(), 1);
}

#[test]
fn a_rerun_finds_its_request_instead_of_opening_another() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    // Attempt 1 opens the request and times out.
    let first = gate(&fake, dir.path())
        .input("approvers", "alice,bob")
        .input("timeout", "1s")
        .run();
    assert_eq!(first.code, 4);
    let n: u64 = first.get("issue-number").parse().unwrap();
    // Attempt 2 reopens the same issue; the earlier approval no longer counts.
    let before = fake.at(0);
    fake.comment_at(n, "alice", "approve", &fake.at(-1), &fake.at(-1));
    let run = spawn(
        gate(&fake, dir.path())
            .env("GITHUB_RUN_ATTEMPT", "2")
            .input("approvers", "alice,bob"),
    );
    let start = std::time::Instant::now();
    while fake.issue(n).0 != "open" {
        assert!(start.elapsed() < WAIT);
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(1100));
    fake.comment(n, "alice", "approve");
    fake.comment(n, "bob", "approve");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.get("issue-number"), n.to_string());
    assert_eq!(fake.issue_count(), 1);
    assert!(fake
        .comment_bodies(n)
        .iter()
        .any(|b| b.starts_with("Re-run (attempt 2)")));
    let times: Vec<String> = approvers(&run)
        .iter()
        .map(|a| a["time"].as_str().unwrap().to_string())
        .collect();
    assert!(times.iter().all(|t| *t > before), "{times:?}");
}

#[test]
fn close_issue_means_denial() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(
        gate(&fake, dir.path())
            .input("approvers", "alice")
            .input("close-issue-means-denial", "true"),
    );
    let n = fake.wait_for_request(WAIT);
    fake.close_issue(n);
    let run = run.join().unwrap();
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(run.get("approval-status"), "denied");
}

#[test]
fn outside_the_window_nothing_is_requested() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    // Saturday 7 March 2026, 10:00 UTC.
    let run = gate(&fake, dir.path())
        .env("SHIPGATE_NOW", "2026-03-07T10:00:00Z")
        .input("approvers", "alice")
        .input("windows", "Mon-Fri 09:00-17:00 Europe/London")
        .run();
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(run.get("approval-status"), "blocked");
    assert_eq!(fake.issue_count(), 0);
    assert!(
        run.summary
            .contains("outside every window (now Sat 10:00 Europe/London)"),
        "{}",
        run.summary
    );
}

#[test]
fn a_freeze_blocks_with_its_reason() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let run = gate(&fake, dir.path())
        .env("SHIPGATE_NOW", "2026-12-24T12:00:00Z")
        .input("approvers", "alice")
        .input("freezes", "2026-12-20..2027-01-04 year-end")
        .run();
    assert_eq!(run.code, 3);
    assert!(
        run.stdout
            .contains("frozen: 2026-12-20..2027-01-04 (year-end)"),
        "{}",
        run.stdout
    );
}

#[test]
fn the_wait_timer_holds_an_approved_request() {
    let fake = GithubFake::start_at(REPO, Some("2026-03-02T10:00:00Z"), 600.0);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(
        gate(&fake, dir.path())
            .env("SHIPGATE_NOW", "2026-03-02T10:00:00Z")
            .env("SHIPGATE_TIME_SCALE", "600")
            .input("approvers", "alice")
            .input("wait-timer", "20m"),
    );
    let n = fake.wait_for_request(WAIT);
    fake.comment(n, "alice", "approve");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    let closed_at = fake.now();
    assert!(
        closed_at.as_str() >= "2026-03-02T10:20:00Z",
        "closed at {closed_at}"
    );
    assert!(run.summary.contains("wait timer 20m"));
}

#[test]
fn after_staging_soaks_then_passes() {
    let fake = GithubFake::start_at(REPO, Some("2026-03-08T06:50:00Z"), 600.0);
    // Deployed to staging at 01:30 EST; the US clocks jump at 02:00, so 30 minutes of soak
    // ends at 07:00 UTC (03:00 EDT), not an hour later.
    fake.add_deployment(
        "staging",
        "abc123",
        &[
            ("in_progress", "2026-03-08T06:29:00Z"),
            ("success", "2026-03-08T06:30:00Z"),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(
        gate(&fake, dir.path())
            .env("SHIPGATE_NOW", "2026-03-08T06:50:00Z")
            .env("SHIPGATE_TIME_SCALE", "600")
            .input("approvers", "alice")
            .input("after-environment", "staging")
            .input("after-soak", "30m"),
    );
    let n = fake.wait_for_request(WAIT);
    fake.comment(n, "alice", "approve");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(fake.now().as_str() >= "2026-03-08T07:00:00Z");
    assert!(
        run.summary.contains("after `staging` for 30m"),
        "{}",
        run.summary
    );
}

#[test]
fn after_an_environment_never_deployed_is_blocked() {
    let fake = GithubFake::start(REPO);
    fake.add_deployment("staging", "abc123", &[("failure", "2026-03-08T06:30:00Z")]);
    let dir = tempfile::tempdir().unwrap();
    let run = gate(&fake, dir.path())
        .input("approvers", "alice")
        .input("after-environment", "staging")
        .run();
    assert_eq!(run.code, 3);
    assert!(
        run.summary
            .contains("the latest deployment of abc123 to `staging` is failure"),
        "{}",
        run.summary
    );
    let run = gate(&fake, dir.path())
        .input("approvers", "alice")
        .input("after-environment", "qa")
        .run();
    assert_eq!(run.code, 3);
    assert!(
        run.summary
            .contains("commit abc123 was never deployed to `qa`"),
        "{}",
        run.summary
    );
}

#[test]
fn request_mode_opens_and_exits_pending() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let run = gate(&fake, dir.path())
        .input("mode", "request")
        .input("approvers", "alice")
        .input("dispatch-inputs", "{\"version\": \"1.2.3\"}")
        .run();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.get("approval-status"), "pending");
    assert_eq!(run.get("issue-number"), "1");
    let (_, _, body) = fake.issue(1);
    assert!(
        body.contains(
            "<!-- shipgate:gate:acme/app_42/deploy/gate/approvers {\"key\":\"acme/app#42/deploy/gate/approvers\""
        ),
        "{body}"
    );
    assert!(body.contains("\"version\":\"1.2.3\""));
}

fn comment_event(n: u64) -> Value {
    json!({"action": "created", "issue": {"number": n}, "comment": {"body": "approve"}})
}

#[test]
fn evaluate_closes_and_dispatches_the_deploy_on_approval() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let req = gate(&fake, dir.path())
        .input("mode", "request")
        .input("approvers", "alice,bob")
        .input("dispatch-inputs", "{\"version\": \"1.2.3\"}")
        .run();
    assert_eq!(req.code, 0);
    fake.comment(1, "alice", "approve");
    let pending = gate(&fake, dir.path())
        .env("GITHUB_SHA", "defaultbranchsha")
        .event("issue_comment", comment_event(1))
        .input("mode", "evaluate")
        .input("approvers", "alice,bob")
        .input("dispatch-workflow", "deploy.yml")
        .run();
    assert_eq!(pending.code, 0, "{}", pending.stdout);
    assert_eq!(pending.get("approval-status"), "pending");
    assert!(fake.dispatches().is_empty());
    fake.comment(1, "bob", "approve");
    let done = gate(&fake, dir.path())
        .event("issue_comment", comment_event(1))
        .input("mode", "evaluate")
        .input("approvers", "alice,bob")
        .input("dispatch-workflow", "deploy.yml")
        .run();
    assert_eq!(done.code, 0, "{}", done.stdout);
    assert_eq!(done.get("approval-status"), "approved");
    assert_eq!(
        fake.dispatches(),
        vec![
            json!({"ref": "main", "inputs": {"version": "1.2.3", "gate-issue": "1"}, "workflow": "deploy.yml"})
        ]
    );
    assert_eq!(fake.issue(1).0, "closed");
    // Not a request: nothing to do.
    let other = fake.add_issue("bug", "it broke", "open", &fake.now());
    let none = gate(&fake, dir.path())
        .event("issue_comment", comment_event(other))
        .input("mode", "evaluate")
        .input("approvers", "alice,bob")
        .run();
    assert_eq!(none.code, 0);
    assert_eq!(none.get("approval-status"), "none");
}

#[test]
fn verify_rechecks_the_approval_and_the_commit() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let req = gate(&fake, dir.path())
        .input("mode", "request")
        .input("approvers", "alice")
        .run();
    assert_eq!(req.code, 0);
    let verify = |sha: &str| {
        gate(&fake, dir.path())
            .env("GITHUB_SHA", sha)
            .event("workflow_dispatch", json!({"inputs": {"gate-issue": "1"}}))
            .input("mode", "verify")
            .input("approvers", "alice")
            .run()
    };
    let early = verify("abc123");
    assert_eq!(early.code, 3, "{}", early.stdout);
    assert!(early.summary.contains("the request is not approved"));
    fake.comment(1, "alice", "approve");
    let ok = verify("abc123");
    assert_eq!(ok.code, 0, "{}", ok.stdout);
    assert_eq!(ok.get("approval-status"), "approved");
    let moved = verify("fff999");
    assert_eq!(moved.code, 3);
    assert!(
        moved
            .summary
            .contains("approved commit `abc123`, but this run deploys `fff999`"),
        "{}",
        moved.summary
    );
}

#[test]
fn bad_inputs_exit_2_before_any_request() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    for (name, value, message) in [
        (
            "minimum-approvals",
            "3",
            "needs 3 approval(s) but only 2 eligible",
        ),
        ("polling-interval-seconds", "0", "greater than 0"),
        ("windows", "Mon-Fry 09:00-17:00", "unknown day 'Fry'"),
        ("timeout", "soon", "not a duration"),
        ("mode", "later", "not one of blocking"),
    ] {
        let run = gate(&fake, dir.path())
            .input("approvers", "alice,bob")
            .input(name, value)
            .run();
        assert_eq!(run.code, 2, "{name}: {}", run.stdout);
        assert!(run.stdout.contains(message), "{name}: {}", run.stdout);
    }
    assert_eq!(fake.issue_count(), 0);
}

// ------------------------------------------------------------------------ GitHub App

const APP_ID: &str = "123456";
const INSTALLATION: u64 = 4242;

/// A gate step authenticated as GitHub App [`APP_ID`] with `key` instead of a token.
fn app_gate(fake: &GithubFake, dir: &Path, key: &str) -> Action {
    step(fake, dir)
        .input("app-id", APP_ID)
        .input("app-private-key", key)
}

/// The base64 lines of the test key (what must never reach the log).
fn key_lines() -> Vec<&'static str> {
    APP_KEY_PKCS1
        .lines()
        .filter(|l| !l.starts_with("-----") && !l.trim().is_empty())
        .collect()
}

/// Lines of stdout and stderr, other than `::add-mask::` commands, that contain `secret`.
fn leaks<'a>(run: &'a Run, secret: &str) -> Vec<&'a str> {
    run.stdout
        .lines()
        .chain(run.stderr.lines())
        .filter(|l| !l.starts_with("::add-mask::") && l.contains(secret))
        .collect()
}

/// No line of the key, no minted token and no raw `value` appears in the log except in
/// `::add-mask::` commands.
fn assert_nothing_leaks(run: &Run, fake: &GithubFake, value: &str) {
    let mut secrets: Vec<String> = key_lines().iter().map(|l| l.to_string()).collect();
    secrets.extend(fake.minted().into_iter().map(|(t, _)| t));
    secrets.push(value.trim().to_string());
    for secret in &secrets {
        let found = leaks(run, secret);
        assert!(
            found.is_empty(),
            "a secret ({}…) is in the log outside ::add-mask::: {found:#?}",
            secret.chars().take(12).collect::<String>()
        );
    }
}

/// The requests that are not the App's own (installation lookup, token exchange).
fn api_requests(fake: &GithubFake) -> Vec<github_fake::Logged> {
    fake.log()
        .into_iter()
        .filter(|l| !l.route().ends_with("/installation") && !l.route().starts_with("/app/"))
        .collect()
}

/// The App's happy path with `key` as given: the installation is looked up, one token scoped
/// to the repository is minted with a valid JWT, used for every other request and masked.
fn app_approves(key: &str) {
    let fake = GithubFake::start(REPO);
    fake.enable_app(APP_ID, INSTALLATION);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(app_gate(&fake, dir.path(), key).input("approvers", "alice,bob"));
    let n = fake.wait_for_request(WAIT);
    fake.comment(n, "alice", "approve");
    fake.comment(n, "bob", "approve");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.get("approval-status"), "approved");
    assert_eq!(fake.issue(n).0, "closed");
    let log = fake.log();
    let lookups: Vec<u16> = log
        .iter()
        .filter(|l| l.method == "GET" && l.route() == "/repos/acme/app/installation")
        .map(|l| l.status)
        .collect();
    assert_eq!(lookups, [200], "the installation is looked up once");
    let exchange = format!("/app/installations/{INSTALLATION}/access_tokens");
    assert!(log
        .iter()
        .any(|l| l.method == "POST" && l.route() == exchange && l.status == 201));
    assert_eq!(
        fake.minted(),
        [("ghs_inst_1".to_string(), vec!["app".to_string()])],
        "one token, scoped to the gate's repository"
    );
    assert!(
        log.iter().all(|l| l.status != 401),
        "every request was authorized: {:#?}",
        log.iter()
            .map(|l| format!("{} {} → {}", l.method, l.path, l.status))
            .collect::<Vec<_>>()
    );
    for l in api_requests(&fake) {
        assert_eq!(
            l.header("authorization"),
            Some("Bearer ghs_inst_1"),
            "{} {}",
            l.method,
            l.path
        );
    }
    assert!(
        run.stdout.lines().any(|l| l == "::add-mask::ghs_inst_1"),
        "{}",
        run.stdout
    );
    assert_nothing_leaks(&run, &fake, key);
}

#[test]
fn a_github_app_key_mints_a_scoped_masked_installation_token() {
    app_approves(APP_KEY_PKCS1);
}

#[test]
fn a_github_app_key_with_literal_newline_escapes_works() {
    // A key pasted into a variable on one line, its line breaks written as `\n`.
    let escaped = APP_KEY_PKCS1.trim().replace('\n', "\\n");
    assert!(!escaped.contains('\n'));
    app_approves(&escaped);
}

#[test]
fn a_given_installation_id_skips_the_lookup() {
    let fake = GithubFake::start(REPO);
    fake.enable_app(APP_ID, INSTALLATION);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(
        app_gate(&fake, dir.path(), APP_KEY_PKCS8)
            .input("app-installation-id", &INSTALLATION.to_string())
            .input("approvers", "alice"),
    );
    let n = fake.wait_for_request(WAIT);
    fake.comment(n, "alice", "approve");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        !fake
            .log()
            .iter()
            .any(|l| l.route().ends_with("/installation")),
        "no installation lookup"
    );
    assert_eq!(fake.minted().len(), 1);
    assert_nothing_leaks(&run, &fake, APP_KEY_PKCS8);
}

#[test]
fn a_long_wait_refreshes_the_app_token_before_it_expires() {
    // Simulated time runs 600× faster: the first installation token (one hour) expires
    // after 6 s, and the fake answers 401 to it from then on. The approval arrives after
    // 1 h 10 min, so it can only be seen with a refreshed token.
    let fake = GithubFake::start_at(REPO, Some("2026-03-02T10:00:00Z"), 600.0);
    fake.enable_app(APP_ID, INSTALLATION);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(
        app_gate(&fake, dir.path(), APP_KEY_PKCS1)
            .env("SHIPGATE_NOW", &fake.now())
            .env("SHIPGATE_TIME_SCALE", "600")
            .input("polling-interval-seconds", "10")
            .input("approvers", "alice")
            .input("timeout", "3h"),
    );
    let n = fake.wait_for_request(WAIT);
    let start = Instant::now();
    while fake.minted().len() < 2 || fake.now().as_str() < "2026-03-02T11:10:00Z" {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "no refresh by {}: {:?}",
            fake.now(),
            fake.minted()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    fake.comment(n, "alice", "approve");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.get("approval-status"), "approved");
    let minted = fake.minted();
    assert!(minted.len() >= 2, "{minted:?}");
    assert!(
        minted.iter().all(|(_, repos)| repos == &["app"]),
        "{minted:?}"
    );
    let log = fake.log();
    assert!(
        log.iter().all(|l| l.status != 401),
        "no request went out with an expired token: {:#?}",
        log.iter()
            .filter(|l| l.status == 401)
            .map(|l| format!("{} {} ({:?})", l.method, l.path, l.header("authorization")))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        log.iter()
            .filter(|l| l.route().ends_with("/installation"))
            .count(),
        1,
        "the installation is looked up once"
    );
    let used: Vec<String> = api_requests(&fake)
        .iter()
        .filter_map(|l| l.header("authorization").map(str::to_string))
        .collect();
    for (token, _) in &minted {
        assert!(
            run.stdout
                .lines()
                .any(|l| l == format!("::add-mask::{token}")),
            "{token} is masked: {}",
            run.stdout
        );
    }
    assert!(used.contains(&"Bearer ghs_inst_1".to_string()));
    assert!(used.contains(&"Bearer ghs_inst_2".to_string()));
    assert_nothing_leaks(&run, &fake, APP_KEY_PKCS1);
    // The fake does refuse the first token now: the refresh was needed.
    let latest = &minted.last().unwrap().0;
    assert_eq!(
        get_status(&fake, "/repos/acme/app/issues/1", "ghs_inst_1"),
        401
    );
    assert_eq!(get_status(&fake, "/repos/acme/app/issues/1", latest), 200);
}

/// The status the fake answers to `GET path` with `token`.
fn get_status(fake: &GithubFake, path: &str, token: &str) -> u16 {
    use std::io::{Read, Write};
    let addr = fake.url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn bad_app_inputs_exit_2_naming_the_input_without_printing_the_key() {
    let fake = GithubFake::start(REPO);
    fake.enable_app(APP_ID, INSTALLATION);
    let dir = tempfile::tempdir().unwrap();
    // The App ID without its key.
    let run = step(&fake, dir.path())
        .input("app-id", APP_ID)
        .input("approvers", "alice")
        .run();
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("app-private-key"), "{}", run.stdout);
    // Keys that are not keys: garbage, a PEM cut off, a PEM with a corrupted body.
    let cut = APP_KEY_PKCS1.lines().take(6).collect::<Vec<_>>().join("\n");
    let line = key_lines()[3];
    let corrupt = APP_KEY_PKCS1.replacen(&line[..16], "AAAAAAAAAAAAAAAA", 1);
    for (name, key) in [
        ("garbage", "not-a-key-but-a-secret-all-the-same-0123456789"),
        ("cut off", cut.as_str()),
        ("corrupt", corrupt.as_str()),
    ] {
        let run = app_gate(&fake, dir.path(), key)
            .input("approvers", "alice")
            .run();
        assert_eq!(run.code, 2, "{name}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stdout.contains("app-private-key"),
            "{name}: {}",
            run.stdout
        );
        assert_nothing_leaks(&run, &fake, key);
        assert!(
            leaks(&run, &line[16..48]).is_empty(),
            "{name}: a piece of the key is in the log"
        );
    }
    assert!(fake.log().is_empty(), "no request: {:?}", fake.log());
    assert_eq!(fake.issue_count(), 0);
}

#[test]
fn a_wrong_app_id_is_an_api_failure_and_opens_nothing() {
    let fake = GithubFake::start(REPO);
    fake.enable_app(APP_ID, INSTALLATION);
    let dir = tempfile::tempdir().unwrap();
    let run = app_gate(&fake, dir.path(), APP_KEY_PKCS1)
        .input("app-id", "654321")
        .input("approvers", "alice")
        .run();
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.outputs.is_empty(),
        "no decision on an API failure: {:?}",
        run.outputs
    );
    assert!(run.stdout.contains("401"), "{}", run.stdout);
    assert!(run.stdout.contains("app-id"), "{}", run.stdout);
    assert_eq!(fake.issue_count(), 0);
    assert!(fake.minted().is_empty());
    let log = fake.log();
    assert!(
        !log.is_empty() && log.iter().all(|l| l.status == 401),
        "{log:?}"
    );
    assert_nothing_leaks(&run, &fake, APP_KEY_PKCS1);
}

// ------------------------------------------------------------------ issue 9 items

/// Every duration and count input is bounded: too large is exit 2 naming the input and the
/// maximum, never a panic (exit 134) and never a request.
#[test]
fn huge_durations_and_counts_are_bad_input_naming_the_maximum() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let long_title = "x".repeat(300);
    let long_body = "y".repeat(70_000);
    let big_inputs = format!("{{\"notes\": \"{}\"}}", "n".repeat(3_000));
    std::fs::write(dir.path().join("body.md"), "z".repeat(300_000)).unwrap();
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: &[Case] = &[
        (&[("issue-title", &long_title)], "issue-title", "at most 255"),
        (&[("issue-body", &long_body)], "issue-body", "maximum 60000"),
        (&[("dispatch-inputs", &big_inputs)], "dispatch-inputs", "maximum 2000"),
        (&[("issue-body-file-path", "body.md")], "issue-body-file-path", "maximum 60000"),
        (&[("timeout", "1e20")], "timeout", "maximum duration 365d"),
        (&[("timeout", "99999999999999999999999d")], "timeout", "maximum duration 365d"),
        (&[("wait-timer", "1e20")], "wait-timer", "maximum duration 365d"),
        (&[("wait-timer", "366d")], "wait-timer", "maximum duration 365d"),
        (
            &[("after-environment", "staging"), ("after-soak", "1e20")],
            "after-soak",
            "maximum duration 365d",
        ),
        (&[("polling-interval-seconds", "1e20")], "polling-interval-seconds", "maximum 3600"),
        (&[("polling-interval-seconds", "1e-300")], "polling-interval-seconds", "greater than 0"),
        (&[("minimum-approvals", "99999999999")], "minimum-approvals", "from 0 to 1000"),
        (&[("veto", "4294967296")], "veto", "from 0 to 1000"),
        (
            &[("policy", "approvers: {a: {users: [alice]}}\ntimeout: '1e20'\n")],
            "policy",
            "maximum duration 365d",
        ),
        (
            &[("policy", "approvers: {a: {users: [alice]}}\nwait: 9999999d\n")],
            "policy",
            "maximum duration 365d",
        ),
        (
            &[("policy", "approvers: {a: {users: [alice]}}\nafter: {environment: staging, soak: 400d}\n")],
            "policy",
            "maximum duration 365d",
        ),
        (
            &[(
                "policy",
                "approvers: {a: {users: [alice]}}\napprovals: {any_of: [{group: a, min: 4000000000}]}\n",
            )],
            "policy",
            "maximum 1000",
        ),
    ];
    for (inputs, name, message) in cases {
        let mut action = gate(&fake, dir.path()).input("approvers", "alice,bob");
        for (k, v) in *inputs {
            action = action.input(k, v);
        }
        let run = action.run();
        assert_eq!(run.code, 2, "{inputs:?}: {}{}", run.stdout, run.stderr);
        assert!(run.stdout.contains(name), "{inputs:?}: {}", run.stdout);
        assert!(run.stdout.contains(message), "{inputs:?}: {}", run.stdout);
    }
    // The clock's test hook is bounded too (it would overflow the scaled arithmetic).
    let run = gate(&fake, dir.path())
        .env("SHIPGATE_TIME_SCALE", "1e300")
        .input("approvers", "alice")
        .run();
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("SHIPGATE_TIME_SCALE"), "{}", run.stdout);
    // A named gate in .shipgate.yml is bounded the same way, and the message names the key.
    std::fs::write(
        dir.path().join(".shipgate.yml"),
        "version: 1
tiers: [stable]
environments:
  - name: prod
    gate: slow
approvers:
  leads: { users: [alice] }
gates:
  slow:
    approvals: { all_of: [ { group: leads } ] }
    timeout: 999999d
",
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join(".git")).unwrap();
    let run = gate(&fake, dir.path()).input("environment", "prod").run();
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("gate 'slow'")
            && run
                .stdout
                .contains("timeout: '999999d' is longer than the maximum duration 365d"),
        "{}",
        run.stdout
    );
    assert_eq!(fake.issue_count(), 0);
}

const STAGGER_CONFIG: &str = "version: 1
tiers: [stable]
environments:
  - name: staging
  - name: eu
    gate: stagger
  - name: us
    gate: quorum-free
  - name: prod
    gate: prod-approval
  - name: dr
    gate: sre-quorum
approvers:
  leads: { users: [alice] }
  product: { users: [dave] }
  sre: { users: [erin, frank] }
gates:
  sre-quorum:
    approvals: { all_of: [ { group: sre } ] }
    veto: 2
  stagger:
    after: { environment: staging, soak: 30m }
  quorum-free:
    approvals: { min_total: 0 }
    wait: 10m
  prod-approval:
    approvals: { all_of: [ { group: leads } ] }
";

fn config_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".shipgate.yml"), STAGGER_CONFIG).unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    dir
}

/// A soak-only gate (the multi-region stagger) passes once the soak has run, and opens no
/// request: nobody needs to approve.
#[test]
fn a_soak_only_gate_passes_without_a_request() {
    let fake = GithubFake::start_at(REPO, Some("2026-03-08T06:50:00Z"), 600.0);
    fake.add_deployment("staging", "abc123", &[("success", "2026-03-08T06:30:00Z")]);
    let dir = config_dir();
    let run = gate(&fake, dir.path())
        .env("SHIPGATE_NOW", "2026-03-08T06:50:00Z")
        .env("SHIPGATE_TIME_SCALE", "600")
        .input("environment", "eu")
        .input("timeout", "2h")
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.get("approval-status"), "approved");
    assert_eq!(
        fake.issue_count(),
        0,
        "no request for a gate that asks nobody"
    );
    assert!(
        fake.now().as_str() >= "2026-03-08T07:00:00Z",
        "{}",
        fake.now()
    );
    assert!(
        run.summary.contains("after `staging` for 30m"),
        "{}",
        run.summary
    );
    assert!(run.summary.contains("none needed"), "{}", run.summary);
}

/// `min_total: 0` with a wait timer: passes when the timer ends, without a request.
#[test]
fn a_timer_only_gate_passes_when_the_timer_ends() {
    let fake = GithubFake::start_at(REPO, Some("2026-03-02T10:00:00Z"), 600.0);
    let dir = config_dir();
    let run = gate(&fake, dir.path())
        .env("SHIPGATE_NOW", "2026-03-02T10:00:00Z")
        .env("SHIPGATE_TIME_SCALE", "600")
        .input("environment", "us")
        .input("timeout", "1h")
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.get("approval-status"), "approved");
    assert_eq!(fake.issue_count(), 0);
    assert!(
        fake.now().as_str() >= "2026-03-02T10:10:00Z",
        "{}",
        fake.now()
    );
    assert!(run.summary.contains("wait timer 10m"), "{}", run.summary);
    // Inline, the same: no approvers, only a soak.
    fake.add_deployment("staging", "abc123", &[("success", "2026-03-01T10:00:00Z")]);
    let run = gate(&fake, dir.path())
        .input("policy", "after: { environment: staging, soak: 1h }\n")
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(fake.issue_count(), 0);
}

/// The request is assigned to (and names) only the deciding policy's approvers, not every
/// approver group of `.shipgate.yml`.
#[test]
fn the_request_asks_only_the_policys_approvers() {
    let fake = GithubFake::start(REPO);
    let dir = config_dir();
    let run = spawn(gate(&fake, dir.path()).input("environment", "prod"));
    let n = fake.wait_for_request(WAIT);
    assert_eq!(fake.assignees(n), vec!["alice"]);
    let (_, _, body) = fake.issue(n);
    assert!(body.contains("Required approvers: [alice]"), "{body}");
    fake.comment(n, "erin", "approve");
    fake.comment(n, "alice", "approve");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(logins(&run), vec!["alice"]);
    assert!(run.summary.contains("not an approver"), "{}", run.summary);
}

/// `dry-run` is an offline preview: no token, not one API request, and the request it would
/// open (title, body, who is asked) and the rules (held, waiting, failed) are shown.
#[test]
fn a_dry_run_is_offline_and_previews_the_request_and_the_rules() {
    let fake = GithubFake::start_at(REPO, Some("2026-03-02T10:00:00Z"), 1.0);
    let dir = config_dir();
    let run = step(&fake, dir.path())
        .env("SHIPGATE_NOW", "2026-03-02T10:00:00Z")
        .input("dry-run", "true")
        .input("environment", "prod")
        .input("issue-title", "Deploy v2 to prod")
        .input("windows", "Mon-Fri 09:00-17:00 UTC")
        .input("wait-timer", "30m")
        .input("after-environment", "staging")
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(fake.log().len(), 0, "a dry run made API requests");
    assert_eq!(run.get("approval-status"), "dry-run");
    assert!(
        run.stdout
            .contains("would open \"Deploy v2 to prod\" in acme/app, asking alice"),
        "{}",
        run.stdout
    );
    for text in [
        "Would open \"Deploy v2 to prod\" in acme/app, asking: alice.",
        "Required approvers: [alice]",
        "Policy `prod-approval`: 1 of `leads`",
        "| ✅ | deployment window: Mon-Fri 09:00-17:00 UTC |",
        "| ⏳ | wait timer 30m |",
        "| ⏳ | after `staging` for 0s | not checked in a dry run",
    ] {
        assert!(run.summary.contains(text), "{text}\n{}", run.summary);
    }
    // A gate that asks nobody: no request would be opened.
    let run = step(&fake, dir.path())
        .input("dry-run", "true")
        .input("environment", "eu")
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.summary.contains("no request would be opened"),
        "{}",
        run.summary
    );
    assert_eq!(fake.log().len(), 0);
}

/// Break glass: one input switches a named rule of the config's gate off, with a required
/// reason recorded in the summary and the outputs.
#[test]
fn skip_rules_switches_a_named_rule_off_with_a_recorded_reason() {
    let fake = GithubFake::start(REPO);
    let dir = config_dir();
    // staging never ran this commit: the stagger gate blocks.
    let blocked = gate(&fake, dir.path()).input("environment", "eu").run();
    assert_eq!(blocked.code, 3, "{}{}", blocked.stdout, blocked.stderr);
    let run = gate(&fake, dir.path())
        .input("environment", "eu")
        .input("skip-rules", "after")
        .input("skip-reason", "hotfix INC-123")
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.get("approval-status"), "approved");
    assert_eq!(run.get("skipped-rules"), "after");
    assert_eq!(run.get("skip-reason"), "hotfix INC-123");
    assert!(
        run.summary
            .contains("Rules skipped for this run (skip-rules): after — reason: hotfix INC-123"),
        "{}",
        run.summary
    );
    assert!(!run.summary.contains("after `staging`"), "{}", run.summary);
    for (inputs, name, message) in [
        (
            vec![("skip-rules", "after")],
            "skip-reason",
            "needs a reason",
        ),
        (
            vec![("skip-rules", "approvals"), ("skip-reason", "x")],
            "skip-rules",
            "approvals cannot be skipped",
        ),
        (
            vec![("skip-reason", "x")],
            "skip-reason",
            "only with skip-rules",
        ),
    ] {
        let mut action = gate(&fake, dir.path()).input("environment", "eu");
        for (k, v) in &inputs {
            action = action.input(k, v);
        }
        let run = action.run();
        assert_eq!(run.code, 2, "{inputs:?}: {}", run.stdout);
        assert!(
            run.stdout.contains(name) && run.stdout.contains(message),
            "{inputs:?}: {}",
            run.stdout
        );
    }
    assert_eq!(fake.issue_count(), 0);
}

/// A named gate takes `veto` as an inline policy does: with a quorum of 2, one denial is
/// recorded and the request goes on.
#[test]
fn a_named_gate_takes_a_veto_quorum() {
    let fake = GithubFake::start(REPO);
    let dir = config_dir();
    let run = spawn(gate(&fake, dir.path()).input("environment", "dr"));
    let n = fake.wait_for_request(WAIT);
    assert_eq!(fake.assignees(n), vec!["erin", "frank"]);
    fake.comment(n, "erin", "deny\nnot yet");
    std::thread::sleep(Duration::from_millis(300));
    fake.comment(n, "frank", "approve");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(logins(&run), vec!["frank"]);
    assert!(
        run.summary.contains("2 denials end the request"),
        "{}",
        run.summary
    );
}

/// A user value quoted in a gate error is cut short, so the line stays bounded and still
/// says what is wrong (the rule after the value is not lost to the line's cut).
#[test]
fn gate_errors_quote_user_values_on_one_bounded_line() {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let huge = format!("later\n::error::{}", "z".repeat(10_000));
    for (name, rule) in [
        ("mode", "is not one of blocking"),
        ("exclude", "(expected one of: initiator"),
        ("request-in", "is not one of issue, merge-request"),
        ("issue-number", "is not an issue number"),
        ("fail-on-denial", "expected true or false, got"),
    ] {
        let run = gate(&fake, dir.path())
            .input("approvers", "alice")
            .input(name, &huge)
            .run();
        assert_eq!(run.code, 2, "{name}: {}", run.stdout);
        let line = run
            .stdout
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{name}: {}", run.stdout));
        assert!(line.len() < 1_000, "{name}: {} bytes", line.len());
        assert!(line.contains(rule), "{name}: {line}");
        assert!(
            !run.stdout.lines().any(|l| l.starts_with("::error::zzz")),
            "{name}"
        );
    }
}
