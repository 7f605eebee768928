//! End to end under gitlab-ci-local: pipelines that include gitlab-templates/gate.yml with
//! inputs and extend its token jobs (`.shipgate-gate-issue`, `.shipgate-gate-verify`), run
//! with the shell executor and the freshly built binary on PATH, against the stateful GitLab
//! API fake. Checked: the request issue and its notes on the fake, the dotenv report
//! (`SHIPGATE_issue_number`, `SHIPGATE_approval_status`) in later jobs, the jobs' decisions
//! and exit codes, and that the token never shows in a log.
//!
//! gitlab-ci-local sets `GITLAB_CI=false`; shipgate knows it is on GitLab from
//! `CI_PIPELINE_SOURCE`. The fake's URL and project reach the jobs as `--variable`s, which
//! override gitlab-ci-local's predefined ones.

use crate::support::gitlab_fake;
use crate::support::peers;

use std::process::Command;
use std::time::{Duration, Instant};

use gitlab_fake::{GitlabFake, TOKEN};
use peers::{clean_env, path_with, peer, run, shipgate, Outcome, Repo};

/// gitlab-ci-local's own limit; the gate's `timeout` input (60 s) ends a wait that goes
/// wrong before this does.
const LIMIT: Duration = Duration::from_secs(120);
/// How long the test waits for the blocking gate to open its request.
const WAIT: Duration = Duration::from_secs(60);
const TEMPLATE: &str = "gitlab-templates/gate.yml";

/// A repository whose `main` holds `pipeline` and the template from this checkout (tracked:
/// gitlab-ci-local only includes tracked files), with an `origin` remote on that commit.
fn gate_repo(pipeline: &str) -> Repo {
    let repo = Repo::new();
    repo.copy_from_project(TEMPLATE)
        .write(".gitlab-ci.yml", pipeline)
        .write(
            ".gitignore",
            ".gitlab-ci-local/\nshipgate-gate.env\nshipgate-gate.json\n",
        )
        .write("README.md", "# demo\n");
    let base = repo.commit("base");
    repo.git(&[
        "remote",
        "add",
        "origin",
        "git@gitlab.example.com:group/app.git",
    ]);
    repo.git(&["update-ref", "refs/remotes/origin/main", &base]);
    repo.git(&[
        "symbolic-ref",
        "refs/remotes/origin/HEAD",
        "refs/remotes/origin/main",
    ]);
    repo
}

/// gitlab-ci-local (the whole pipeline, or only `jobs`) with the shell executor (the
/// template's `image:` is ignored and the built binary is first on PATH), pointed at the fake.
/// Resolving the peer here fails the test at once, with the install hint, when it is missing.
fn gitlab_ci_local(repo: &Repo, fake: &GitlabFake, jobs: &[&str]) -> Command {
    let bin_dir = shipgate().parent().expect("binary folder").to_path_buf();
    let api = fake.api_url();
    let predefined = [
        ("CI_API_V4_URL", api.as_str()),
        ("CI_PROJECT_ID", "42"),
        ("CI_PROJECT_PATH", gitlab_fake::PROJECT_PATH),
        ("CI_PIPELINE_SOURCE", "push"),
    ];
    let own = [
        ("GITLAB_TOKEN", TOKEN),
        // GitLab variable names cannot hold hyphens: the underscore form of the input.
        ("INPUT_POLLING_INTERVAL_SECONDS", "0.05"),
    ];
    let mut cmd = Command::new(peer("gitlab-ci-local"));
    clean_env(&mut cmd)
        .env("PATH", path_with(&[&bin_dir]))
        .args(["--no-color", "--force-shell-executor"]);
    for (name, value) in predefined.iter().chain(own.iter()) {
        cmd.args(["--variable", &format!("{name}={value}")]);
    }
    let names: Vec<&str> = predefined.iter().map(|(n, _)| *n).collect();
    cmd.args(["--ignore-predefined-vars", &names.join(",")]);
    cmd.args(jobs).current_dir(repo.path());
    cmd
}

fn run_pipeline(mut cmd: Command) -> Outcome {
    let out = run(&mut cmd, LIMIT);
    println!("{}", out.dump());
    out
}

/// The issue whose notes the binary listed (the request it watches), if any yet.
fn watched_issue(fake: &GitlabFake) -> Option<u64> {
    fake.log().iter().rev().find_map(|l| {
        if l.method != "GET" || l.status >= 400 {
            return None;
        }
        let rest = l.path.split("/issues/").nth(1)?;
        rest.strip_suffix("/notes")?.parse().ok()
    })
}

/// The log lines a job printed (gitlab-ci-local prefixes them with the job name and `>`).
fn job_lines<'a>(out: &'a Outcome, job: &str) -> Vec<&'a str> {
    out.stdout
        .lines()
        .filter(|l| {
            l.strip_prefix(job)
                .is_some_and(|rest| rest.starts_with(' ') && rest.trim_start().starts_with("> "))
        })
        .collect()
}

fn job_says(out: &Outcome, job: &str, text: &str) -> bool {
    job_lines(out, job).iter().any(|l| l.contains(text))
}

/// The jobs reached the fake with the token, yet neither gitlab-ci-local's output nor the
/// job logs it keeps hold it.
fn assert_token_hidden(repo: &Repo, fake: &GitlabFake, out: &Outcome) {
    let log = fake.log();
    assert!(
        !log.is_empty() && log.iter().all(|l| l.auth == "private" && l.status < 400),
        "every API call carries the token and succeeds: {log:#?}"
    );
    out.assert_lacks(TOKEN);
    let logs = repo.path().join(".gitlab-ci-local/output");
    let mut seen = 0;
    for entry in std::fs::read_dir(&logs).expect("gitlab-ci-local job logs") {
        let path = entry.expect("log entry").path();
        let text = std::fs::read_to_string(&path).expect("read a job log");
        assert!(!text.contains(TOKEN), "token leaked in {}", path.display());
        seen += 1;
    }
    assert!(seen > 0, "no job log in {}", logs.display());
}

const REQUEST_PIPELINE: &str = r#"include:
  - local: gitlab-templates/gate.yml
    inputs:
      mode: request
      approvers: alice,bob
      minimum-approvals: "1"
      environment: production
      timeout: "60"
      stage: gate
      image: registry.example.com/shipgate:e2e
stages: [gate, deploy]
request-prod:
  extends: .shipgate-gate-issue
deploy:
  extends: .shipgate-gate-verify
  stage: deploy
  needs: [request-prod]
  script:
    - echo "deploy sees request ${SHIPGATE_issue_number} (${SHIPGATE_approval_status})"
    - shipgate gate
    - echo deployed
"#;

/// Request mode opens the issue and passes; the deploy job gets the issue number through
/// the dotenv report, and its verify step refuses until an approver said so. Run again
/// alone (as a played job would be), with the request job's dotenv kept, it deploys.
#[test]
fn request_then_verify_through_the_dotenv_report() {
    let fake = GitlabFake::start();
    let repo = gate_repo(REQUEST_PIPELINE);

    let first = run_pipeline(gitlab_ci_local(&repo, &fake, &[]));
    assert!(
        !first.status.success(),
        "deploy must fail before the approval\n{}",
        first.dump()
    );
    assert_eq!(fake.issue_count(), 1, "one request issue");
    let n = 1;
    let (state, description, title) = fake.issue(n);
    assert_eq!(state, "opened", "request mode leaves the issue open");
    assert!(title.contains("approval"), "{title}");
    assert!(
        description.contains("@alice") && description.contains("@bob"),
        "{description}"
    );
    let dotenv = std::fs::read_to_string(repo.path().join(
        ".gitlab-ci-local/artifacts/request-prod/.gitlab-ci-reports/dotenv/shipgate-gate.env",
    ))
    .expect("request-prod's dotenv report");
    assert!(
        dotenv
            .lines()
            .any(|l| l == format!("SHIPGATE_issue_number={n}")),
        "{dotenv}"
    );
    assert!(
        dotenv
            .lines()
            .any(|l| l == "SHIPGATE_approval_status=pending"),
        "{dotenv}"
    );
    assert!(
        first.stdout.contains("PASS  request-prod"),
        "request mode passes\n{}",
        first.dump()
    );
    assert!(
        job_says(
            &first,
            "deploy",
            &format!("deploy sees request {n} (pending)")
        ),
        "the dotenv report did not reach deploy\n{}",
        first.dump()
    );
    assert!(
        job_says(&first, "deploy", &format!("verify #{n}: blocked")),
        "{}",
        first.dump()
    );
    first.assert_contains("the request is not approved");
    assert!(
        !job_says(&first, "deploy", "deployed"),
        "deploy went on without approval\n{}",
        first.dump()
    );
    assert!(
        first.stdout.contains("FAIL  deploy"),
        "deploy is reported failed\n{}",
        first.dump()
    );
    assert!(
        first
            .stderr
            .lines()
            .any(|l| l.starts_with("deploy ") && l.trim_end().ends_with("FAIL 3")),
        "verify exits 3 (a decision)\n{}",
        first.dump()
    );
    assert_token_hidden(&repo, &fake, &first);

    // bob approves; deploy alone again, with request-prod's dotenv from the first run.
    fake.note(n, "bob", "approve");
    let second = run_pipeline(gitlab_ci_local(&repo, &fake, &["deploy"]));
    second.assert_success();
    assert!(
        job_says(
            &second,
            "deploy",
            &format!("deploy sees request {n} (pending)")
        ),
        "{}",
        second.dump()
    );
    assert!(
        job_says(&second, "deploy", &format!("verify #{n}: approved")),
        "{}",
        second.dump()
    );
    assert!(job_says(&second, "deploy", "deployed"), "{}", second.dump());
    assert!(
        job_lines(&second, "request-prod").is_empty(),
        "only deploy ran\n{}",
        second.dump()
    );
    assert_eq!(fake.issue_count(), 1, "verify never opens a request");
    assert_token_hidden(&repo, &fake, &second);
}

const BLOCKING_PIPELINE: &str = r#"include:
  - local: gitlab-templates/gate.yml
    inputs:
      approvers: alice,bob
      minimum-approvals: "1"
      environment: production
      timeout: "60"
stages: [deploy]
gate-prod:
  extends: .shipgate-gate-issue
deploy:
  stage: deploy
  needs: [gate-prod]
  script:
    - echo "approval status=${SHIPGATE_approval_status} issue=${SHIPGATE_issue_number}"
    - echo "approvers=${SHIPGATE_approvers}"
"#;

/// The default (blocking) mode waits in the job for an approval note, then passes its
/// decision to the next job.
#[test]
fn blocking_gate_waits_for_an_approval_note() {
    let fake = GitlabFake::start();
    let repo = gate_repo(BLOCKING_PIPELINE);
    let cmd = gitlab_ci_local(&repo, &fake, &[]);
    let (out, n, note) = std::thread::scope(|s| {
        let pipeline = s.spawn(|| run_pipeline(cmd));
        // Approve once the gate watches its request; a pipeline that ends first fails here
        // with its output instead of leaving the test waiting.
        let started = Instant::now();
        let n = loop {
            if let Some(n) = watched_issue(&fake) {
                break n;
            }
            if pipeline.is_finished() {
                let out = pipeline.join().expect("gitlab-ci-local thread");
                panic!(
                    "the pipeline ended before the gate asked for approval\n{}",
                    out.dump()
                );
            }
            assert!(started.elapsed() < WAIT, "no approval request in time");
            std::thread::sleep(Duration::from_millis(10));
        };
        assert_eq!(fake.wait_for_request(WAIT), n);
        let note = fake.note(n, "bob", "approve");
        (pipeline.join().expect("gitlab-ci-local thread"), n, note)
    });
    out.assert_success();
    assert_eq!(fake.issue_count(), 1, "one request issue");
    let (state, description, _) = fake.issue(n);
    assert!(
        description.contains("@alice") && description.contains("@bob"),
        "{description}"
    );
    assert_eq!(state, "closed", "a decided request is closed");
    assert!(
        fake.note_bodies(n)
            .last()
            .is_some_and(|b| b.starts_with("The required number of approvals (1) has been met")),
        "{:?}",
        fake.note_bodies(n)
    );
    assert!(
        job_says(
            &out,
            "deploy",
            &format!("approval status=approved issue={n}")
        ),
        "deploy did not get the gate's dotenv report\n{}",
        out.dump()
    );
    // gitlab-ci-local's dotenv parser ends an unquoted value at `#` (GitLab keeps it), so
    // deploy sees the approvers up to the first comment URL's `#note_`; the report is whole.
    assert!(
        job_says(&out, "deploy", r#"approvers=[{"login":"bob","#),
        "{}",
        out.dump()
    );
    let dotenv =
        std::fs::read_to_string(repo.path().join(
            ".gitlab-ci-local/artifacts/gate-prod/.gitlab-ci-reports/dotenv/shipgate-gate.env",
        ))
        .expect("gate-prod's dotenv report");
    let approvers = dotenv
        .lines()
        .find_map(|l| l.strip_prefix("SHIPGATE_approvers="))
        .unwrap_or_else(|| panic!("no SHIPGATE_approvers in\n{dotenv}"));
    let approvers: serde_json::Value = serde_json::from_str(approvers).expect("approvers JSON");
    assert_eq!(approvers[0]["login"], "bob", "{approvers}");
    assert!(
        approvers[0]["comment_url"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("/-/issues/{n}#note_{note}"))),
        "{approvers}"
    );
    assert!(out.stdout.contains("PASS  gate-prod"), "{}", out.dump());
    assert_token_hidden(&repo, &fake, &out);
}

/// The token-free approve jobs of the template, with an `exclude: [initiator]` policy and
/// approve jobs that set their own `needs:`. Without gate-initiator in those needs the job
/// fails saying exactly what to add; with it (as the template's header shows) the pipeline
/// passes.
fn approve_pipeline(approve_needs: &str) -> String {
    format!(
        r#"include:
  - local: gitlab-templates/gate.yml
    inputs:
      policy: |
        approvers:
          leads: {{ users: [alice] }}
        exclude: [initiator]
      image: registry.example.com/shipgate:e2e
stages: [build, deploy]
build:
  stage: build
  script: [echo built]
gate-initiator:
  extends: .shipgate-gate-initiator
  variables:
    GITLAB_USER_LOGIN: erin
approve-lead:
  extends: .shipgate-gate-approve
  needs: {approve_needs}
  variables:
    INPUT_MODE: gitlab-approve
    GITLAB_USER_LOGIN: alice
gate:
  extends: .shipgate-gate
  needs: [gate-initiator, approve-lead]
"#
    )
}

#[test]
fn approve_jobs_with_their_own_needs_must_list_gate_initiator() {
    let fake = GitlabFake::start();
    let broken = gate_repo(&approve_pipeline("[build]"));
    let mut cmd = gitlab_ci_local(&broken, &fake, &[]);
    cmd.args(["--manual", "approve-lead"]);
    let out = run_pipeline(cmd);
    assert!(!out.status.success(), "{}", out.dump());
    // A failing job's log reaches gitlab-ci-local's stdout or stderr.
    assert!(
        out.dump()
            .lines()
            .any(|l| l.starts_with("approve-lead") && l.contains("needs: [gate-initiator, ...]")),
        "the error says what to add\n{}",
        out.dump()
    );

    let fixed = gate_repo(&approve_pipeline("[build, gate-initiator]"));
    let mut cmd = gitlab_ci_local(&fixed, &fake, &[]);
    cmd.args(["--manual", "approve-lead"]);
    let out = run_pipeline(cmd);
    assert!(out.status.success(), "{}", out.dump());
    assert!(
        job_says(&out, "gate", "approved"),
        "the gate job passes\n{}",
        out.dump()
    );
}
