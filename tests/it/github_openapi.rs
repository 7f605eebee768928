//! Every GitHub REST request shipgate sends conforms to GitHub's published OpenAPI
//! description (`api.github.com.json` from `@octokit/openapi`, pinned by
//! `scripts/setup-test-peers`).
//!
//! The binary runs representative `gate`, `notify` and `detect-changes` scenarios against the
//! stateful GitHub fake and wiremock fakes; the requests they received (method, path, query,
//! body, If-None-Match) are replayed, each distinct one once, to Prism serving the
//! description. Prism validates the path, method, path and query parameters and the JSON body
//! and answers 404/405/422 (or 400/406/415) when one does not match. A request conforms
//! when Prism answers none of those and logs that it passed its validation rules.
//!
//! The endpoints covered must be exactly [`EXPECTED`], and [`EXPECTED`] must name every URL
//! template built in `src/` (a second test reads them from the source), so a new endpoint
//! without a scenario here fails.
//!
//! Run just this: `cargo test --test it github_openapi -- --nocapture` (Prism needs about 15 s
//! to load the 13 MB description).

use crate::support as common;
use crate::support::github_fake;
use crate::support::notify as notify_support;
use crate::support::peers;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use common::{Action, Run};
use github_fake::{GithubFake, APP_KEY_PKCS1};
use notify_support::{FakeComments, Forge, SHA};

/// Every endpoint shipgate calls, as `METHOD template` with the template spelled as in the
/// OpenAPI description's `paths`.
const EXPECTED: [&str; 21] = [
    "POST /app/installations/{installation_id}/access_tokens",
    "GET /orgs/{org}/teams",
    "GET /orgs/{org}/teams/{team_slug}/members",
    "POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
    "GET /repos/{owner}/{repo}/commits/{ref}",
    "GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls",
    "GET /repos/{owner}/{repo}/deployments",
    "POST /repos/{owner}/{repo}/deployments",
    "GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
    "POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses",
    "GET /repos/{owner}/{repo}/issues",
    "POST /repos/{owner}/{repo}/issues",
    "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
    "DELETE /repos/{owner}/{repo}/issues/comments/{comment_id}",
    "GET /repos/{owner}/{repo}/issues/{issue_number}",
    "PATCH /repos/{owner}/{repo}/issues/{issue_number}",
    "GET /repos/{owner}/{repo}/installation",
    "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
    "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
    "GET /repos/{owner}/{repo}/pulls/{pull_number}/files",
    "POST /repos/{owner}/{repo}/statuses/{sha}",
];

const REPO: &str = "acme/widgets";
const WAIT: Duration = Duration::from_secs(30);
/// Prism parses the whole description before it listens (~13 s on an idle machine).
const PRISM_START: Duration = Duration::from_secs(300);
/// Statuses by which Prism refuses a request it cannot match or that fails validation.
const REFUSALS: [u16; 6] = [400, 404, 405, 406, 415, 422];
/// What Prism logs once a request passed every request validation rule.
const PASSED: &str = "The request passed the validation rules";

/// One request as shipgate sent it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Sent {
    method: String,
    path: String,
    /// Raw query, without `?`.
    query: String,
    /// Raw body (empty when none).
    body: String,
    if_none_match: Option<String>,
}

impl Sent {
    fn target(&self) -> String {
        if self.query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{}", self.path, self.query)
        }
    }
}

/// The requests one scenario made, for the report.
struct Recorded {
    scenario: &'static str,
    requests: Vec<Sent>,
}

fn from_fake(scenario: &'static str, fake: &GithubFake) -> Recorded {
    let requests = fake
        .log()
        .iter()
        .map(|l| Sent {
            method: l.method.clone(),
            path: l.route().to_string(),
            query: l.query.clone(),
            body: l.body.clone(),
            if_none_match: l.header("if-none-match").map(str::to_string),
        })
        .collect();
    Recorded { scenario, requests }
}

async fn from_wiremock(scenario: &'static str, server: &MockServer) -> Recorded {
    let requests = server
        .received_requests()
        .await
        .expect("wiremock records requests")
        .iter()
        .map(|r| Sent {
            method: r.method.as_str().to_string(),
            path: r.url.path().to_string(),
            query: r.url.query().unwrap_or_default().to_string(),
            body: String::from_utf8_lossy(&r.body).into_owned(),
            if_none_match: r
                .headers
                .get("if-none-match")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string),
        })
        .collect();
    Recorded { scenario, requests }
}

// ------------------------------------------------------------------------------- Prism

/// Prism serving a copy of the description, killed when dropped.
struct Prism {
    child: Child,
    base: String,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Prism {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Prism 5.14.2 compiles each schema with Ajv and, when Ajv refuses to compile one, skips
/// the validation silently (the request passes). Ajv refuses `nullable: true` without a
/// sibling `type` (GitHub writes `milestone: {oneOf: [...], nullable: true}` in the bodies of
/// `POST …/issues` and `PATCH …/issues/{issue_number}`), so those bodies would never be
/// checked. This rewrites each such schema `S` to the equivalent `anyOf: [S, {type: null}]`,
/// which Ajv compiles. Examples are left alone. Returns how many schemas it rewrote.
fn make_nullable_compilable(v: &mut Value) -> usize {
    match v {
        Value::Object(map) => {
            let mut n = 0;
            for (k, child) in map.iter_mut() {
                if k != "example" && k != "examples" {
                    n += make_nullable_compilable(child);
                }
            }
            if map.get("nullable") == Some(&Value::Bool(true)) && !map.contains_key("type") {
                map.remove("nullable");
                let inner = Value::Object(std::mem::take(map));
                *v = json!({"anyOf": [inner, {"type": "null"}]});
                n += 1;
            }
            n
        }
        Value::Array(items) => items.iter_mut().map(make_nullable_compilable).sum(),
        _ => 0,
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Prism {
    /// Starts `prism mock` on `spec` (already rewritten) without waiting for it.
    fn start(spec: &Value) -> Prism {
        let prism = peers::peer("prism");
        let dir = tempfile::Builder::new()
            .prefix("shipgate-prism-")
            .tempdir()
            .unwrap();
        let spec_path = dir.path().join("api.github.com.json");
        fs::write(&spec_path, serde_json::to_vec(spec).unwrap()).unwrap();
        let log = dir.path().join("prism.log");
        let out = fs::File::create(&log).unwrap();
        let err = out.try_clone().unwrap();
        let port = free_port();
        let child = Command::new(&prism)
            .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
            .arg(&spec_path)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {}: {e} (run scripts/setup-test-peers)",
                    prism.display()
                )
            });
        Prism {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        }
    }

    fn log_len(&self) -> u64 {
        fs::metadata(&self.log).map(|m| m.len()).unwrap_or(0)
    }

    /// The log from byte `from` on.
    fn log_from(&self, from: u64) -> String {
        let mut f = fs::File::open(&self.log).unwrap();
        f.seek(SeekFrom::Start(from)).unwrap();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).unwrap();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Waits until Prism answers HTTP; panics with its log if it exits or takes too long.
    async fn wait_ready(&mut self, client: &reqwest::Client) {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "Prism exited ({status}) before listening:\n{}",
                    self.log_from(0)
                );
            }
            if client
                .get(format!("{}/zen", self.base))
                .header("Accept", "application/json")
                .send()
                .await
                .is_ok()
            {
                return;
            }
            assert!(
                start.elapsed() < PRISM_START,
                "Prism did not listen within {PRISM_START:?}:\n{}",
                self.log_from(0)
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Sends `s` the way a client Prism can answer does (`Accept: application/json`: Prism
    /// answers GitHub's `application/vnd.github+json` with 406) and returns the status, the
    /// answer and what Prism logged about it.
    async fn replay(&self, client: &reqwest::Client, s: &Sent) -> (u16, String, String) {
        let from = self.log_len();
        let method = reqwest::Method::from_bytes(s.method.as_bytes()).unwrap();
        let mut req = client
            .request(method, format!("{}{}", self.base, s.target()))
            .header("Accept", "application/json")
            .header("Authorization", "Bearer x")
            .header("X-GitHub-Api-Version", "2022-11-28");
        if let Some(tag) = &s.if_none_match {
            req = req.header("If-None-Match", tag);
        }
        if !s.body.is_empty() {
            req = req
                .header("Content-Type", "application/json")
                .body(s.body.clone());
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("Prism did not answer {} {}: {e}", s.method, s.target()));
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        // The log lines of this request end with the negotiated answer or the error; the
        // "Violation" lines of a refused request follow it.
        let start = Instant::now();
        let mut log = self.log_from(from);
        while !(log.contains("> Responding with") || log.contains("Request terminated"))
            && start.elapsed() < Duration::from_secs(5)
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
            log = self.log_from(from);
        }
        if REFUSALS.contains(&status) || !log.contains(PASSED) {
            tokio::time::sleep(Duration::from_millis(300)).await;
            log = self.log_from(from);
        }
        (status, text, log)
    }
}

/// `template` matches `path` segment by segment (`{name}` matches any one segment).
fn matches(template: &str, path: &str) -> bool {
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| (t.starts_with('{') && t.ends_with('}') && !p.is_empty()) || t == p)
}

/// The description's template for a request: the matching path that has the method, with
/// the most literal segments (as Prism resolves `/issues/comments/1` before
/// `/issues/{issue_number}/comments`).
fn template_of(paths: &serde_json::Map<String, Value>, method: &str, path: &str) -> Option<String> {
    paths
        .iter()
        .filter(|(t, ops)| matches(t, path) && ops.get(method.to_lowercase()).is_some())
        .max_by_key(|(t, _)| t.split('/').filter(|s| !s.starts_with('{')).count())
        .map(|(t, _)| format!("{method} {t}"))
}

// ------------------------------------------------------------------------------- scenarios

/// A gate step in run 42 of acme/widgets (as tests/it/gate_github.rs runs it).
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

fn expect_code(run: &Run, code: i32, what: &str) {
    assert_eq!(
        run.code, code,
        "{what}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        run.stdout, run.stderr
    );
}

/// Blocking mode with everything that calls the API: a bare approver name that is a team of
/// the owner (teams of the org, members over two pages), commit authors excluded (the
/// commit), an `after-environment` rule (deployments and their statuses), close-means-denial
/// (conditional GETs of the issue), 100 comments (the next, empty, page is polled), then an
/// approval closes the issue. Then attempt 2 of the same run finds the closed request (issue
/// search), reopens it with a comment, and times out.
fn gate_blocking() -> Recorded {
    let fake = GithubFake::start(REPO);
    let members: Vec<String> = (1..=135).map(|i| format!("dev{i}")).collect();
    fake.add_team("acme", "release-managers", &members);
    fake.add_commit("abc123", "author1", "committer1");
    let (began, succeeded) = (fake.at(-7300), fake.at(-7200));
    fake.add_deployment(
        "staging",
        "abc123",
        &[("in_progress", &began), ("success", &succeeded)],
    );
    let dir = tempfile::tempdir().unwrap();
    let step = |attempt: &str| {
        gate(&fake, dir.path())
            .env("GITHUB_RUN_ATTEMPT", attempt)
            .input("approvers", "release-managers")
            .input("minimum-approvals", "1")
            .input("exclude", "commit-authors")
            .input("after-environment", "staging")
            .input("close-issue-means-denial", "true")
            .input("issue-labels", "deploy, prod")
    };
    let first = step("1");
    let first = std::thread::spawn(move || first.run());
    let n = fake.wait_for_request(WAIT);
    for i in 0..100 {
        fake.comment(n, "bystander", &format!("comment {i}"));
    }
    std::thread::sleep(Duration::from_millis(600));
    fake.comment(n, "dev135", "approve");
    let first = first.join().unwrap();
    expect_code(&first, 0, "gate attempt 1 is approved");
    assert_eq!(fake.issue(n).0, "closed");

    // Times are whole seconds: the re-run's comment must come a second after the approval,
    // which then no longer counts.
    std::thread::sleep(Duration::from_millis(1100));
    let second = step("2").input("timeout", "1s").run();
    expect_code(
        &second,
        4,
        "gate attempt 2 reopens the request and times out",
    );
    assert!(fake
        .comment_bodies(n)
        .iter()
        .any(|b| b.starts_with("Re-run (attempt 2)")));
    from_fake("gate: blocking, then a re-run", &fake)
}

/// Request mode opens the issue; evaluate mode (on the approval comment) closes it and
/// dispatches the deploy workflow; verify mode re-reads the issue and its comments.
fn gate_request_evaluate_verify() -> Recorded {
    let fake = GithubFake::start(REPO);
    let dir = tempfile::tempdir().unwrap();
    let req = gate(&fake, dir.path())
        .input("mode", "request")
        .input("approvers", "alice")
        .input("dispatch-inputs", "{\"version\": \"1.2.3\"}")
        .run();
    expect_code(&req, 0, "request mode");
    fake.comment(1, "alice", "approve");
    let evaluate = gate(&fake, dir.path())
        .event(
            "issue_comment",
            json!({"action": "created", "issue": {"number": 1}, "comment": {"body": "approve"}}),
        )
        .input("mode", "evaluate")
        .input("approvers", "alice")
        .input("dispatch-workflow", "deploy.yml")
        .run();
    expect_code(&evaluate, 0, "evaluate mode");
    assert_eq!(evaluate.get("approval-status"), "approved");
    assert_eq!(fake.dispatches().len(), 1);
    let verify = gate(&fake, dir.path())
        .event("workflow_dispatch", json!({"inputs": {"gate-issue": "1"}}))
        .input("mode", "verify")
        .input("approvers", "alice")
        .run();
    expect_code(&verify, 0, "verify mode");
    from_fake("gate: request, evaluate + dispatch, verify", &fake)
}

/// Request mode authenticated as a GitHub App: the installation is looked up on the
/// repository, a JWT is exchanged for an installation token scoped to it, and the request
/// opened with that token.
fn gate_github_app() -> Recorded {
    let fake = GithubFake::start(REPO);
    fake.enable_app("123456", 4242);
    let dir = tempfile::tempdir().unwrap();
    let req = step(&fake, dir.path())
        .input("app-id", "123456")
        .input("app-private-key", APP_KEY_PKCS1)
        .input("mode", "request")
        .input("approvers", "alice")
        .run();
    expect_code(&req, 0, "request mode as a GitHub App");
    assert_eq!(
        fake.minted(),
        [("ghs_inst_1".to_string(), vec!["widgets".to_string()])]
    );
    from_fake("gate: request as a GitHub App", &fake)
}

const MARKER: &str = "<!-- shipgate:notify:production -->";

async fn run_blocking(step: Action) -> Run {
    tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap()
}

/// The sticky comment on a pull request with 150 other comments (two pages) and two marked
/// ones left by a race: the older is updated, the newer deleted.
async fn notify_sticky_comment() -> Recorded {
    let fake = FakeComments::new(Forge::Github);
    {
        let mut st = fake.state();
        for i in 0..150u64 {
            st.comments.push((i + 1, format!("comment {i}")));
        }
        st.comments.push((500, format!("{MARKER}\nolder")));
        st.comments.push((501, format!("{MARKER}\nnewer")));
    }
    let server = MockServer::start().await;
    fake.mount(
        &server,
        "^/repos/acme/widgets/issues/(7/comments|comments/[0-9]+)$",
    )
    .await;
    let step = notify_support::github(&std::env::temp_dir(), &server.uri())
        .event(
            "pull_request",
            json!({"number": 7, "pull_request": {"number": 7, "head": {"sha": SHA}}}),
        )
        .input("targets", "github-comment")
        .input("status", "success")
        .input("environment", "production")
        .input("strict", "true");
    let run = run_blocking(step).await;
    expect_code(&run, 0, "notify github-comment");
    {
        let st = fake.state();
        assert_eq!((st.updates, st.deletes), (1, 1), "one update, one delete");
    }
    from_wiremock("notify: sticky comment update", &server).await
}

/// On a push, the comment goes to the pull request of the commit (and is created).
async fn notify_comment_on_push() -> Recorded {
    let fake = FakeComments::new(Forge::Github);
    let server = MockServer::start().await;
    fake.mount(
        &server,
        "^/repos/acme/widgets/issues/(7/comments|comments/[0-9]+)$",
    )
    .await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/acme/widgets/commits/{SHA}/pulls")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"number": 7}])))
        .mount(&server)
        .await;
    let step = notify_support::github(&std::env::temp_dir(), &server.uri())
        .event("push", json!({"head_commit": {"message": "Merge #7"}}))
        .input("targets", "github-comment")
        .input("status", "started")
        .input("strict", "true");
    let run = run_blocking(step).await;
    expect_code(&run, 0, "notify github-comment on a push");
    assert_eq!(fake.state().creates, 1);
    from_wiremock("notify: comment on the pull request of a push", &server).await
}

/// A commit status and a deployment status (the deployment found by none, so created), then
/// a status on a given deployment id.
async fn notify_statuses() -> Recorded {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/repos/acme/widgets/statuses/{SHA}")))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 1})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/widgets/deployments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/widgets/deployments"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 99})))
        .mount(&server)
        .await;
    for id in [99, 123] {
        Mock::given(method("POST"))
            .and(path(format!(
                "/repos/acme/widgets/deployments/{id}/statuses"
            )))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 5})))
            .mount(&server)
            .await;
    }
    let step = notify_support::github(&std::env::temp_dir(), &server.uri())
        .input("targets", "github-status, github-deployment")
        .input("status", "failure")
        .input("environment", "production")
        .input("environment-url", "https://widgets.example.com")
        .input("message", &"x".repeat(500))
        .input("strict", "true");
    let run = run_blocking(step).await;
    expect_code(&run, 0, "notify github-status, github-deployment");
    assert_eq!(run.get("github-deployment-id"), "99");
    let step = notify_support::github(&std::env::temp_dir(), &server.uri())
        .input("targets", "github-deployment")
        .input("status", "success")
        .input("deployment-id", "123")
        .input("strict", "true");
    let run = run_blocking(step).await;
    expect_code(&run, 0, "notify github-deployment with a deployment id");
    from_wiremock("notify: commit and deployment statuses", &server).await
}

/// 150 files of a pull request, 100 per page with a `Link` to the next.
struct Files {
    base: String,
}

impl Respond for Files {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let page: usize = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "page")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(1);
        let files: Vec<Value> = ((page - 1) * 100..(page * 100).min(150))
            .map(|i| json!({"filename": format!("src/f{i}.rs"), "status": "modified"}))
            .collect();
        let mut resp = ResponseTemplate::new(200).set_body_json(files);
        if page == 1 {
            let next = format!(
                "<{}/repos/acme/widgets/pulls/7/files?per_page=100&page=2>; rel=\"next\"",
                self.base
            );
            resp = resp.insert_header("link", next.as_str());
        }
        resp
    }
}

/// detect-changes without a checkout reads the pull request's files from the API.
async fn detect_changes_files() -> Recorded {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/widgets/pulls/7/files"))
        .respond_with(Files { base: server.uri() })
        .mount(&server)
        .await;
    let empty = tempfile::tempdir().unwrap();
    let step = Action::github("detect-changes", empty.path())
        .input("filters", "src: 'src/**'")
        .input("token", "ghs_faketoken0001")
        .env("GITHUB_API_URL", &server.uri())
        .env("GITHUB_REPOSITORY", REPO)
        .event(
            "pull_request",
            json!({"number": 7, "pull_request": {"number": 7}, "repository": {"full_name": REPO, "default_branch": "main"}}),
        );
    let run = run_blocking(step).await;
    expect_code(&run, 0, "detect-changes over the API");
    assert_eq!(run.get("src_count"), "150");
    from_wiremock("detect-changes: pull request files", &server).await
}

// ------------------------------------------------------------------------------- the tests

#[tokio::test(flavor = "multi_thread")]
async fn every_github_request_conforms_to_the_openapi_description() {
    let started = Instant::now();
    let spec_file = peers::peer_file("openapi/api.github.com.json");
    let mut spec: Value = serde_json::from_slice(&fs::read(&spec_file).unwrap())
        .unwrap_or_else(|e| panic!("{} is not JSON: {e}", spec_file.display()));
    let paths = spec["paths"]
        .as_object()
        .expect("the description has paths")
        .clone();
    let rewritten = make_nullable_compilable(&mut spec);
    // Prism loads the description while the scenarios run.
    let mut prism = Prism::start(&spec);
    drop(spec);

    let mut recorded = tokio::task::spawn_blocking(|| {
        vec![
            gate_blocking(),
            gate_request_evaluate_verify(),
            gate_github_app(),
        ]
    })
    .await
    .unwrap();
    recorded.push(notify_sticky_comment().await);
    recorded.push(notify_comment_on_push().await);
    recorded.push(notify_statuses().await);
    recorded.push(detect_changes_files().await);
    let scenarios_took = started.elapsed();

    // Each distinct request once, with the scenario that first sent it.
    let mut distinct: BTreeMap<Sent, &'static str> = BTreeMap::new();
    let mut total = 0;
    for r in &recorded {
        total += r.requests.len();
        for s in &r.requests {
            distinct.entry(s.clone()).or_insert(r.scenario);
        }
    }

    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let waiting = Instant::now();
    prism.wait_ready(&client).await;
    let waited = waiting.elapsed();

    let mut failures = Vec::new();
    let mut covered: BTreeMap<String, BTreeMap<u16, usize>> = BTreeMap::new();
    for (s, scenario) in &distinct {
        let template = template_of(&paths, &s.method, &s.path);
        let (status, answer, log) = prism.replay(&client, s).await;
        let conforms = !REFUSALS.contains(&status) && log.contains(PASSED);
        match &template {
            Some(t) if conforms => {
                *covered
                    .entry(t.clone())
                    .or_default()
                    .entry(status)
                    .or_default() += 1;
            }
            _ => {
                let detail: Vec<&str> = log
                    .lines()
                    .filter(|l| l.contains("[VALIDATOR]") || l.contains("Request terminated"))
                    .collect();
                failures.push(format!(
                    "{} {} (from {scenario}; template: {})\n  body: {}\n  Prism answered {status}: {}\n  Prism's validation:\n    {}",
                    s.method,
                    s.target(),
                    template.as_deref().unwrap_or("none in the description"),
                    if s.body.is_empty() { "(none)" } else { &s.body },
                    answer.chars().take(600).collect::<String>(),
                    detail.join("\n    ")
                ));
            }
        }
    }

    let conditional = distinct
        .keys()
        .filter(|s| s.if_none_match.is_some())
        .count();
    println!(
        "github_openapi: {total} requests from {} scenarios, {} distinct ({conditional} with \
         If-None-Match), replayed to Prism ({rewritten} nullable schemas made compilable); \
         scenarios {:.1}s, then waited {:.1}s for Prism, total {:.1}s",
        recorded.len(),
        distinct.len(),
        scenarios_took.as_secs_f64(),
        waited.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    for (t, statuses) in &covered {
        println!("  {t:<75} {statuses:?}");
    }
    assert!(
        failures.is_empty(),
        "{} request(s) do not conform to GitHub's OpenAPI description:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    let expected: BTreeSet<String> = EXPECTED.iter().map(|s| s.to_string()).collect();
    let seen: BTreeSet<String> = covered.keys().cloned().collect();
    let missing: Vec<&String> = expected.difference(&seen).collect();
    let unexpected: Vec<&String> = seen.difference(&expected).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "the endpoints exercised differ from EXPECTED\n  not exercised by any scenario: \
         {missing:#?}\n  exercised but not in EXPECTED: {unexpected:#?}"
    );
}

/// A URL template of `src/` (`/repos/{repo}/issues/{number}/comments?per_page=100`) or of
/// [`EXPECTED`] (`/repos/{owner}/{repo}/issues/{issue_number}/comments`) as a shape:
/// placeholders become `*`, shipgate's one placeholder for owner/name (`/repos/{repo}/…`,
/// `/repos/{}/…`: one not followed by another) two of them, the query goes.
fn shape(template: &str) -> String {
    let path = template.split('?').next().unwrap_or_default();
    let is_placeholder = |s: &str| s.starts_with('{') && s.ends_with('}');
    let segs: Vec<&str> = path.split('/').collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < segs.len() {
        let seg = segs[i];
        let owner_and_name = seg == "repos"
            && segs.get(i + 1).is_some_and(|s| is_placeholder(s))
            && !segs.get(i + 2).is_some_and(|s| is_placeholder(s));
        if owner_and_name {
            out.extend(["repos", "*", "*"]);
            i += 2;
            continue;
        }
        i += 1;
        out.push(if is_placeholder(seg) { "*" } else { seg });
    }
    out.join("/")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every GitHub URL template built in `src/` (a string literal with `/repos/{` or
/// `/orgs/{`, or `/app/` and a placeholder) has an endpoint in [`EXPECTED`], and every
/// endpoint there is still built: an endpoint added without a scenario above fails here.
#[test]
fn expected_names_every_url_template_in_the_source() {
    let mut files = Vec::new();
    rust_files(&peers::root().join("src"), &mut files);
    let mut in_source: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            // The insides of string literals: every other piece between quotes.
            for literal in line.split('"').skip(1).step_by(2) {
                // `/app/` only with a placeholder after it: `/repos/acme/app/…` in a unit
                // test is no template.
                let app = literal
                    .find("/app/")
                    .filter(|at| literal[*at..].contains('{'));
                let found = literal
                    .find("/repos/{")
                    .or_else(|| literal.find("/orgs/{"))
                    .or(app);
                if let Some(at) = found {
                    let place = format!(
                        "{}:{}",
                        file.strip_prefix(peers::root()).unwrap().display(),
                        i + 1
                    );
                    in_source
                        .entry(shape(&literal[at..]))
                        .or_default()
                        .push(place);
                }
            }
        }
    }
    assert!(
        in_source.len() >= 10,
        "found too few URL templates in src/ ({in_source:?}): has the way URLs are built changed?"
    );
    let expected: BTreeSet<String> = EXPECTED
        .iter()
        .map(|e| shape(e.split_once(' ').unwrap().1))
        .collect();
    let built: BTreeSet<String> = in_source.keys().cloned().collect();
    let untested: Vec<String> = built
        .difference(&expected)
        .map(|s| format!("{s} (built at {})", in_source[s].join(", ")))
        .collect();
    let stale: Vec<&String> = expected.difference(&built).collect();
    assert!(
        untested.is_empty() && stale.is_empty(),
        "add a scenario and its endpoint to EXPECTED in tests/it/github_openapi.rs for each URL \
         built in src/ but not covered: {untested:#?}\nremove from EXPECTED what src/ no longer \
         builds: {stale:#?}"
    );
}
