//! `shipgate gate` on GitLab through the REST API, against a stateful GitLab fake.

use crate::support as common;
use crate::support::gitlab_fake;

use std::io::{Read, Write};
use std::net::TcpStream;

use gitlab_fake::{GitlabFake, Kind, TOKEN};
use serde_json::{json, Value};

// --- the fake itself ---

/// A status, lower-cased headers and the body of one plain HTTP/1.1 exchange.
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }

    /// The URL of a `Link` relation.
    fn link(&self, rel: &str) -> Option<String> {
        let tag = format!("rel=\"{rel}\"");
        self.header("link")?
            .split(", ")
            .find(|l| l.ends_with(&tag))
            .map(|l| l[1..l.find('>').unwrap()].to_string())
    }
}

/// `method url` with `headers` and an optional JSON body.
fn call(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&Value>) -> Answer {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, target) = rest.split_at(rest.find('/').unwrap());
    let mut stream = TcpStream::connect(host).unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() {
        req.push_str("Content-Type: application/json\r\n");
    }
    req.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream.write_all(req.as_bytes()).unwrap();
    let mut raw = String::new();
    stream.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Answer {
        status,
        headers,
        body: body.to_string(),
    }
}

fn get(fake: &GitlabFake, path: &str) -> Answer {
    call(
        "GET",
        &format!("{}{path}", fake.api_url()),
        &[("PRIVATE-TOKEN", TOKEN)],
        None,
    )
}

#[test]
fn fake_paginates_notes_like_gitlab() {
    let fake = GitlabFake::start_at(Some("2026-03-02T10:00:00Z"), 1.0);
    let iid = fake.add_issue("Approve", "please", "opened", "2026-03-02T09:00:00Z");
    for n in 0..35 {
        let at = format!("2026-03-02T09:{n:02}:00Z");
        fake.note_at(Kind::Issue, iid, "alice", &format!("note {n}"), &at, &at);
    }
    let first = get(
        &fake,
        "/projects/group%2Fapp/issues/1/notes?sort=asc&order_by=created_at&per_page=20",
    );
    assert_eq!(first.status, 200, "{}", first.body);
    let items = first.json();
    assert_eq!(items.as_array().unwrap().len(), 20);
    assert_eq!(items[0]["body"], "note 0");
    assert_eq!(items[0]["created_at"], "2026-03-02T09:00:00.000Z");
    assert_eq!(items[0]["author"]["username"], "alice");
    assert_eq!(items[0]["noteable_type"], "Issue");
    assert_eq!(items[0]["system"], false);
    for (h, v) in [
        ("x-page", "1"),
        ("x-per-page", "20"),
        ("x-next-page", "2"),
        ("x-prev-page", ""),
        ("x-total", "35"),
        ("x-total-pages", "2"),
    ] {
        assert_eq!(first.header(h), Some(v), "{h}");
    }
    assert!(first.link("prev").is_none());
    assert!(first.link("first").unwrap().contains("page=1&"));
    let next = first.link("next").unwrap();
    assert!(next.starts_with(&fake.url), "{next}");
    assert!(next.contains("sort=asc") && next.contains("order_by=created_at"));
    assert!(next.contains("page=2") && next.contains("per_page=20"));
    assert_eq!(first.link("last").unwrap(), next);

    let second = call("GET", &next, &[("PRIVATE-TOKEN", TOKEN)], None);
    assert_eq!(second.json().as_array().unwrap().len(), 15);
    assert_eq!(second.json()[14]["body"], "note 34");
    assert_eq!(second.header("x-next-page"), Some(""));
    assert_eq!(second.header("x-prev-page"), Some("1"));
    assert!(second.link("next").is_none() && second.link("prev").is_some());

    // GitLab's default order is newest first; numeric id and path address one project.
    let default = get(&fake, "/projects/42/issues/1/notes");
    assert_eq!(default.json()[0]["body"], "note 34");
}

#[test]
fn fake_answers_304_to_a_matching_etag() {
    let fake = GitlabFake::start();
    let iid = fake.add_issue("Approve", "please", "opened", "2026-03-02T09:00:00Z");
    fake.note(iid, "alice", "approved");
    let path = format!("{}/projects/42/issues/{iid}/notes", fake.api_url());
    let first = call("GET", &path, &[("PRIVATE-TOKEN", TOKEN)], None);
    let etag = first.header("etag").unwrap().to_string();
    assert!(etag.starts_with("W/\""), "{etag}");
    let again = call(
        "GET",
        &path,
        &[("PRIVATE-TOKEN", TOKEN), ("If-None-Match", &etag)],
        None,
    );
    assert_eq!((again.status, again.body.as_str()), (304, ""));
    fake.note(iid, "bob", "approved");
    let changed = call(
        "GET",
        &path,
        &[("PRIVATE-TOKEN", TOKEN), ("If-None-Match", &etag)],
        None,
    );
    assert_eq!(changed.status, 200);
    assert_eq!(changed.json().as_array().unwrap().len(), 2);
    let log = fake.log();
    assert!(log[1].conditional && !log[1].full());
    assert_eq!((fake.counted(), fake.full_answers()), (3, 2));
}

#[test]
fn fake_finds_a_posted_issue_by_part_of_its_description() {
    let fake = GitlabFake::start();
    let created = call(
        "POST",
        &format!("{}/projects/42/issues", fake.api_url()),
        &[("PRIVATE-TOKEN", TOKEN)],
        Some(&json!({
            "title": "Approval needed: deploy to prod",
            "description": "Comment approve.\n\n<!-- shipgate-gate pipeline=900 env=prod -->",
            "labels": "approval,prod",
        })),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let issue = created.json();
    assert_eq!(
        (issue["iid"].as_u64(), &issue["state"]),
        (Some(1), &json!("opened"))
    );
    assert_eq!(issue["labels"], json!(["approval", "prod"]));
    assert_eq!(
        issue["web_url"],
        format!("{}/group/app/-/issues/1", fake.url)
    );
    assert_eq!(issue["author"]["username"], "project_42_bot");
    fake.add_issue("Other", "pipeline=901", "opened", "2026-03-01T00:00:00Z");

    let found = get(
        &fake,
        "/projects/group%2Fapp/issues?search=shipgate-gate%20pipeline%3D900&in=description&state=opened",
    );
    let found = found.json();
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found[0]["iid"], 1);
    let none = get(
        &fake,
        "/projects/42/issues?search=pipeline%3D902&in=title,description",
    );
    assert_eq!(none.json(), json!([]));
    assert_eq!(fake.issue(1).0, "opened");
}

#[test]
fn fake_demands_a_token() {
    let fake = GitlabFake::start();
    fake.add_issue("Approve", "please", "opened", "2026-03-02T09:00:00Z");
    let url = format!("{}/projects/42/issues/1/notes", fake.api_url());
    let none = call("GET", &url, &[], None);
    assert_eq!(
        (none.status, none.json()),
        (401, json!({"message": "401 Unauthorized"}))
    );
    let wrong = call("GET", &url, &[("PRIVATE-TOKEN", "glpat-wrong")], None);
    assert_eq!(wrong.status, 401);
    let job = call("GET", &url, &[("JOB-TOKEN", "ci-job-token")], None);
    assert_eq!(
        (job.status, job.json()),
        (403, json!({"message": "403 Forbidden"}))
    );
    let unknown = get(&fake, "/projects/43/issues");
    assert_eq!(unknown.json(), json!({"message": "404 Project Not Found"}));
}

#[test]
fn fake_paginates_group_members() {
    let fake = GitlabFake::start();
    let names: Vec<String> = (0..35).map(|n| format!("lead{n:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    fake.add_group("acme/leads", &refs);
    let first = get(&fake, "/groups/acme%2Fleads/members/all?per_page=20");
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.json().as_array().unwrap().len(), 20);
    assert_eq!(first.json()[0]["username"], "lead00");
    assert_eq!(first.json()[0]["access_level"], 30);
    assert_eq!(first.header("x-total"), Some("35"));
    let second = call(
        "GET",
        &first.link("next").unwrap(),
        &[("PRIVATE-TOKEN", TOKEN)],
        None,
    );
    assert_eq!(second.json().as_array().unwrap().len(), 15);
    assert_eq!(second.json()[14]["username"], "lead34");
    assert_eq!(second.header("x-next-page"), Some(""));
    let missing = get(&fake, "/groups/acme%2Fnobody/members/all");
    assert_eq!(
        (missing.status, missing.json()),
        (404, json!({"message": "404 Group Not Found"}))
    );
}

// --- the gate ---

use std::path::Path;
use std::thread::JoinHandle;
use std::time::Duration;

use common::{Action, Run};

const WAIT: Duration = Duration::from_secs(20);
const SHA: &str = "abc123def456";

/// A gate job of pipeline 900 in project 42, started by `erin`, polling every 50 ms.
fn job(fake: &GitlabFake, dir: &Path) -> Action {
    Action::gitlab("gate", dir)
        .env("CI_API_V4_URL", &fake.api_url())
        .env("CI_PROJECT_ID", "42")
        .env("CI_PROJECT_PATH", "group/app")
        .env("CI_PIPELINE_ID", "900")
        .env(
            "CI_PIPELINE_URL",
            "https://gitlab.test/group/app/-/pipelines/900",
        )
        .env("CI_JOB_NAME", "gate-prod")
        .env("CI_COMMIT_SHA", SHA)
        .env("CI_COMMIT_REF_NAME", "main")
        .env("GITLAB_USER_LOGIN", "erin")
        .input("secret", TOKEN)
        .input("polling-interval-seconds", "0.05")
        // A test that waits in vain fails (exit 4) instead of hanging.
        .input("timeout", "60")
}

fn spawn(action: Action) -> JoinHandle<Run> {
    std::thread::spawn(move || action.run())
}

/// The job's JSON artifact (every output).
fn artifact(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("shipgate-gate.json")).unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn logins(doc: &Value) -> Vec<String> {
    doc["approvers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["login"].as_str().unwrap().to_string())
        .collect()
}

const LEAD_AND_PRODUCT: &str = "approvers:
  tech-leads: { users: [acme/leads] }
  product: { users: [dave, frank] }
approvals:
  all_of: [ { group: tech-leads, min: 1 }, { group: product, min: 1 } ]
exclude: [initiator]
";

#[test]
fn a_group_lead_and_product_approve_through_issue_notes() {
    let fake = GitlabFake::start();
    // 120 members and the initiator: two pages of 100.
    let leads: Vec<String> = (0..120).map(|i| format!("lead{i:03}")).collect();
    let mut members: Vec<&str> = leads.iter().map(String::as_str).collect();
    members.push("erin");
    fake.add_group("acme/leads", &members);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(
        job(&fake, dir.path())
            .input("policy", LEAD_AND_PRODUCT)
            .input("environment", "prod")
            .input("issue-labels", "deploy,prod"),
    );
    let n = fake.wait_for_request(WAIT);
    let (state, description, title) = fake.issue(n);
    assert_eq!(state, "opened");
    assert_eq!(title, "Manual approval required for pipeline 900");
    assert!(
        description.contains("@lead119") && description.contains("@dave"),
        "{description}"
    );
    assert!(
        !description.contains("@erin"),
        "the initiator is excluded: {description}"
    );
    assert_eq!(fake.issue_labels(n), vec!["deploy", "prod"]);
    fake.note(n, "erin", "approve");
    fake.system_note(n, "changed the description");
    fake.note(n, "lead007", "approved\nsmoke tests green");
    fake.note(n, "dave", "LGTM");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let doc = artifact(dir.path());
    assert_eq!(doc["approval-status"], "approved");
    assert_eq!(doc["issue-number"], n);
    assert_eq!(logins(&doc), vec!["lead007", "dave"]);
    assert_eq!(doc["approvers"][0]["reason"], "smoke tests green");
    assert!(doc["approvers"][0]["comment_url"]
        .as_str()
        .unwrap()
        .contains(&format!("/-/issues/{n}#note_")));
    let env = run.report();
    assert!(env.contains(&format!("SHIPGATE_issue_number={n}")), "{env}");
    assert!(env.contains("SHIPGATE_approval_status=approved"), "{env}");
    assert_eq!(fake.issue(n).0, "closed");
    let bodies = fake.note_bodies(n);
    assert!(
        bodies
            .last()
            .unwrap()
            .starts_with("The required number of approvals (2) has been met"),
        "{bodies:?}"
    );
    assert!(
        !run.stdout.contains(TOKEN) && !run.stderr.contains(TOKEN),
        "token leaked"
    );
    // The group's second page was read.
    assert!(
        fake.log()
            .iter()
            .any(|l| l.path.contains("/groups/") && l.query.contains("page=2")),
        "{:#?}",
        fake.log()
            .iter()
            .filter(|l| l.path.contains("/groups/"))
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_denial_closes_the_issue_and_exits_3() {
    let fake = GitlabFake::start();
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(job(&fake, dir.path()).input("approvers", "alice,bob"));
    let n = fake.wait_for_request(WAIT);
    fake.note(n, "bob", "deny\nnot during the incident");
    let run = run.join().unwrap();
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    let doc = artifact(dir.path());
    assert_eq!(doc["approval-status"], "denied");
    assert_eq!(doc["denied-by"][0]["login"], "bob");
    assert_eq!(fake.issue(n).0, "closed");
    assert!(fake
        .note_bodies(n)
        .last()
        .unwrap()
        .contains("Request denied. Closing issue and failing workflow."));
}

#[test]
fn edited_and_older_notes_do_not_count_and_a_retry_finds_the_same_issue() {
    let fake = GitlabFake::start();
    let dir = tempfile::tempdir().unwrap();
    // The first attempt timed out and closed its request.
    let first = spawn(
        job(&fake, dir.path())
            .input("approvers", "alice,bob")
            .input("timeout", "0.3"),
    );
    let n = fake.wait_for_request(WAIT);
    fake.note(n, "alice", "approve");
    let first = first.join().unwrap();
    assert_eq!(first.code, 4, "{}{}", first.stdout, first.stderr);
    assert_eq!(artifact(dir.path())["approval-status"], "timed-out");
    assert_eq!(fake.issue(n).0, "closed");
    assert!(fake
        .note_bodies(n)
        .last()
        .unwrap()
        .starts_with("Request timed out after"));
    // The retried job finds it, reopens it, and alice's earlier approval no longer counts.
    let retry = spawn(job(&fake, dir.path()).input("approvers", "alice,bob"));
    fake.wait_for_log("PUT", &format!("/issues/{n}"), WAIT);
    std::thread::sleep(Duration::from_millis(300));
    let bob = fake.note(n, "bob", "approve");
    fake.edit_note(bob, "approve");
    fake.note(n, "bob", "approve");
    fake.note(n, "alice", "approve");
    let retry = retry.join().unwrap();
    assert_eq!(retry.code, 0, "{}{}", retry.stdout, retry.stderr);
    assert_eq!(
        fake.issue_count(),
        1,
        "a retry never opens a second request"
    );
    let doc = artifact(dir.path());
    assert_eq!(logins(&doc), vec!["bob", "alice"]);
    let summary = retry.stdout.clone() + &retry.stderr;
    assert!(summary.contains("Found this run's request"), "{summary}");
}

#[test]
fn commit_and_merge_request_authors_and_the_pipeline_starter_cannot_approve() {
    let fake = GitlabFake::start();
    fake.add_commit(SHA, "carol@example.com", "noreply@example.com");
    fake.add_user("carol", "carol@example.com");
    fake.add_pipeline(900, SHA, "main", "gina");
    fake.add_merge_request(7, "hank");
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(
        job(&fake, dir.path())
            .env("CI_MERGE_REQUEST_IID", "7")
            .input("approvers", "alice,carol,gina,hank,erin")
            .input("minimum-approvals", "1")
            .input("exclude", "initiator,rerun-actor,commit-authors,pr-author"),
    );
    let n = fake.wait_for_request(WAIT);
    for who in ["carol", "gina", "hank", "erin"] {
        fake.note(n, who, "approve");
    }
    std::thread::sleep(Duration::from_millis(300));
    fake.note(n, "alice", "approve");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let doc = artifact(dir.path());
    assert_eq!(logins(&doc), vec!["alice"]);
}

#[test]
fn an_active_freeze_period_blocks_before_anything_is_asked() {
    // Saturday 2026-03-28 12:00 UTC, inside Friday 23:00 → Monday 07:00 London.
    let fake = GitlabFake::start_at(Some("2026-03-28T12:00:00Z"), 1.0);
    fake.add_freeze_period("0 23 * * 5", "0 7 * * 1", "Europe/London");
    let dir = tempfile::tempdir().unwrap();
    let run = job(&fake, dir.path())
        .env("SHIPGATE_NOW", "2026-03-28T12:00:00Z")
        .input("approvers", "alice")
        .run();
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    let doc = artifact(dir.path());
    assert_eq!(doc["approval-status"], "blocked");
    let why = doc["rules"].to_string();
    assert!(
        why.contains("deploy freeze period `0 23 * * 5` → `0 7 * * 1` (Europe/London) until 2026-03-30T06:00:00Z"),
        "{why}"
    );
    assert_eq!(fake.issue_count(), 0);
    // CI_DEPLOY_FREEZE alone blocks too.
    let fake = GitlabFake::start();
    let run = job(&fake, dir.path())
        .env("CI_DEPLOY_FREEZE", "true")
        .input("approvers", "alice")
        .run();
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(artifact(dir.path())["rules"]
        .to_string()
        .contains("CI_DEPLOY_FREEZE"));
}

#[test]
fn after_staging_needs_a_successful_deployment_of_the_same_commit_and_its_soak() {
    let fake = GitlabFake::start_at(Some("2026-03-02T12:00:00Z"), 1.0);
    let dir = tempfile::tempdir().unwrap();
    // Never deployed to staging: blocked at once.
    let run = job(&fake, dir.path())
        .env("SHIPGATE_NOW", "2026-03-02T12:00:00Z")
        .input("approvers", "alice")
        .input("after-environment", "staging")
        .input("after-soak", "2h")
        .run();
    assert_eq!(run.code, 3, "{}{}", run.stdout, run.stderr);
    assert!(artifact(dir.path())["rules"]
        .to_string()
        .contains("was never deployed to `staging`"));
    // Deployed 3 hours ago (an older commit failed after it, which does not matter).
    fake.add_deployment(
        "staging",
        SHA,
        "success",
        "2026-03-02T08:50:00Z",
        Some("2026-03-02T09:00:00Z"),
    );
    fake.add_deployment("staging", "other", "failed", "2026-03-02T10:00:00Z", None);
    let run = spawn(
        job(&fake, dir.path())
            .env("SHIPGATE_NOW", "2026-03-02T12:00:00Z")
            .input("approvers", "alice")
            .input("after-environment", "staging")
            .input("after-soak", "2h"),
    );
    let n = fake.wait_for_request(WAIT);
    fake.note(n, "alice", "approve");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(artifact(dir.path())["rules"]
        .to_string()
        .contains("deployed successfully at 2026-03-02T09:00:00Z, 3h ago"));
}

#[test]
fn a_502_is_retried_and_a_bad_token_is_an_api_error() {
    let fake = GitlabFake::start();
    fake.fail("GET", "/notes", 502, &[], 1);
    let dir = tempfile::tempdir().unwrap();
    let run = spawn(job(&fake, dir.path()).input("approvers", "alice"));
    let n = fake.wait_for_request(WAIT);
    fake.note(n, "alice", "approve");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(fake.log().iter().any(|l| l.status == 502));

    let run = job(&fake, dir.path())
        .input("secret", "glpat-wrong")
        .input("approvers", "alice")
        .run();
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("401"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("glpat-wrong"),
        "token leaked: {}",
        run.stderr
    );

    let run = Action::gitlab("gate", dir.path())
        .env("CI_PROJECT_ID", "42")
        .input("approvers", "alice")
        .run();
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("secret"), "{}", run.stderr);
}

#[test]
fn request_then_a_comment_webhook_pipeline_evaluates_plays_the_deploy_and_verify_rechecks() {
    let fake = GitlabFake::start();
    fake.add_pipeline(900, SHA, "main", "erin");
    let deploy = fake.add_job(900, "deploy-prod", "manual");
    let dir = tempfile::tempdir().unwrap();
    let request = job(&fake, dir.path())
        .input("mode", "request")
        .input("approvers", "alice,bob")
        .input("minimum-approvals", "1")
        .run();
    assert_eq!(request.code, 0, "{}{}", request.stdout, request.stderr);
    let doc = artifact(dir.path());
    assert_eq!(doc["approval-status"], "pending");
    let n = doc["issue-number"].as_u64().unwrap();
    assert!(request
        .report()
        .contains(&format!("SHIPGATE_issue_number={n}")));

    // A note arrives; the webhook starts a trigger pipeline with the note event.
    let note = fake.note(n, "alice", "approve");
    let payload = dir.path().join("payload.json");
    std::fs::write(
        &payload,
        json!({"object_kind": "note", "object_attributes": {"id": note, "noteable_type": "Issue"}, "issue": {"iid": n}}).to_string(),
    )
    .unwrap();
    let evaluate = job(&fake, dir.path())
        .env("CI_PIPELINE_ID", "901")
        .env("CI_PIPELINE_SOURCE", "trigger")
        .env("TRIGGER_PAYLOAD", payload.to_str().unwrap())
        .input("mode", "evaluate")
        .input("approvers", "alice,bob")
        .input("minimum-approvals", "1")
        .input("dispatch-workflow", "deploy-prod")
        .run();
    assert_eq!(evaluate.code, 0, "{}{}", evaluate.stdout, evaluate.stderr);
    assert_eq!(artifact(dir.path())["approval-status"], "approved");
    assert_eq!(fake.played(), vec![deploy]);
    assert_eq!(fake.issue(n).0, "closed");

    // The played job re-checks; the issue number comes from the request job's dotenv.
    let verify = |sha: &str| {
        job(&fake, dir.path())
            .env("CI_COMMIT_SHA", sha)
            .env("SHIPGATE_issue_number", &n.to_string())
            .input("mode", "verify")
            .input("approvers", "alice,bob")
            .input("minimum-approvals", "1")
            .run()
    };
    let ok = verify(SHA);
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    let other = verify("fffffff");
    assert_eq!(other.code, 3, "{}{}", other.stdout, other.stderr);
    assert!(artifact(dir.path())["rules"]
        .to_string()
        .contains("but this run deploys `fffffff`"));
}

#[test]
fn in_a_merge_request_the_request_is_a_note_and_approvals_are_later_notes() {
    let fake = GitlabFake::start();
    fake.add_merge_request(7, "hank");
    let early = fake.mr_note(7, "alice", "approve");
    let dir = tempfile::tempdir().unwrap();
    let mr_job = |fake: &GitlabFake| {
        job(fake, dir.path())
            .env("CI_MERGE_REQUEST_IID", "7")
            .input("request-in", "merge-request")
            .input("approvers", "alice,bob")
            .input("exclude", "pr-author")
    };
    let run = spawn(mr_job(&fake));
    fake.wait_for_log("POST", "/merge_requests/7/notes", WAIT);
    std::thread::sleep(Duration::from_millis(200));
    fake.mr_note(7, "alice", "approve");
    fake.mr_note(7, "bob", "lgtm");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let doc = artifact(dir.path());
    assert_eq!(logins(&doc), vec!["alice", "bob"]);
    assert_eq!(doc["issue-number"], 7);
    assert!(
        doc["approvers"][0]["comment_url"]
            .as_str()
            .unwrap()
            .contains("/-/merge_requests/7#note_"),
        "{doc}"
    );
    assert!(
        !doc["approvers"][0]["comment_url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("#note_{early}")),
        "alice's approval from before the request must not count: {doc}"
    );
    let bodies = fake.mr_note_bodies(7);
    assert!(
        bodies[1].starts_with("### Manual approval required for pipeline 900"),
        "{bodies:?}"
    );
    let last = bodies.last().unwrap();
    assert!(
        last.contains("has been met") && last.contains("<!-- shipgate:gate:closed -->"),
        "{last}"
    );
    assert_eq!(fake.issue_count(), 0, "no issue is opened");
    // A retry of the job asks again with a new note: earlier approvals do not count.
    let retry = spawn(mr_job(&fake).input("timeout", "0.5"));
    let retry = retry.join().unwrap();
    assert_eq!(retry.code, 4, "{}{}", retry.stdout, retry.stderr);
    assert_eq!(
        fake.mr_note_bodies(7)
            .iter()
            .filter(|b| b.starts_with("### Manual approval required"))
            .count(),
        2
    );
}

/// `dry-run` on GitLab needs no token: an offline preview of the issue and the rules.
#[test]
fn a_dry_run_needs_no_token_on_gitlab() {
    let dir = tempfile::tempdir().unwrap();
    let run = common::Action::gitlab("gate", dir.path())
        .env("CI_PROJECT_ID", "42")
        .env("CI_PIPELINE_ID", "900")
        .env("CI_API_V4_URL", "http://127.0.0.1:9/api/v4")
        .input("dry-run", "true")
        .input("approvers", "alice,group/leads")
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let dotenv = run.report();
    assert!(
        dotenv.contains("SHIPGATE_approval_status=dry-run"),
        "{dotenv}"
    );
    assert!(
        run.stdout.contains("asking alice, group/leads (team)"),
        "{}",
        run.stdout
    );
}

const GITLAB_CONFIG: &str = "version: 1
tiers: [stable]
environments:
  - name: staging
  - name: eu
    gate: stagger
  - name: prod
    gate: prod-approval
approvers:
  leads: { users: [alice] }
  sre: { users: [erin, frank] }
gates:
  stagger:
    after: { environment: staging, soak: 30m }
  prod-approval:
    approvals: { all_of: [ { group: leads } ] }
";

/// With a token, a soak-only gate opens no issue and passes once staging has soaked; a
/// gate's issue @-mentions only its own policy's approvers.
#[test]
fn a_soak_only_gate_opens_no_issue_and_a_request_mentions_only_its_approvers() {
    let fake = GitlabFake::start_at(Some("2026-03-02T12:00:00Z"), 1.0);
    fake.add_deployment(
        "staging",
        SHA,
        "success",
        "2026-03-02T10:50:00Z",
        Some("2026-03-02T11:00:00Z"),
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".shipgate.yml"), GITLAB_CONFIG).unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let run = job(&fake, dir.path())
        .env("SHIPGATE_NOW", "2026-03-02T12:00:00Z")
        .input("environment", "eu")
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(artifact(dir.path())["approval-status"], "approved");
    assert_eq!(
        fake.issue_count(),
        0,
        "no issue for a gate that asks nobody"
    );

    let run = spawn(job(&fake, dir.path()).input("environment", "prod"));
    let n = fake.wait_for_request(WAIT);
    let (_, description, _) = fake.issue(n);
    assert!(description.contains("@alice"), "{description}");
    assert!(
        !description.contains("@erin") && !description.contains("@frank"),
        "only the policy's approvers are pinged: {description}"
    );
    fake.note(n, "alice", "approve");
    let run = run.join().unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}
