//! `notify` on GitLab against a stateful fake of merge-request notes: the sticky note,
//! commit statuses, the dotenv report, and job-token limits. GitLab cannot mask secrets at
//! run time, so every run is searched for them.

use crate::support::notify as notify_support;

use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use notify_support::{assert_no_secrets, bodies, gitlab, FakeComments, Forge, GITLAB_TOKEN, SHA};

const NOTES: &str = "^/api/v4/projects/123/merge_requests/5/notes(/[0-9]+)?$";
const MARKER: &str = "<!-- shipgate:notify:deploy-77 -->";

#[tokio::test(flavor = "multi_thread")]
async fn the_sticky_note_is_created_then_updated_and_its_id_is_a_dotenv_output() {
    let fake = FakeComments::new(Forge::Gitlab);
    fake.state().comments.push((1, "LGTM".into()));
    let server = MockServer::start().await;
    fake.mount(&server, NOTES).await;
    let work = tempfile::tempdir().unwrap();
    let step = |status: &str| {
        gitlab(work.path(), &server.uri())
            .input("targets", "gitlab-note")
            .input("status", status)
            .input("environment", "staging")
            .input("thread-key", "deploy-77")
    };
    let first = step("started");
    let first = tokio::task::spawn_blocking(move || first.run())
        .await
        .unwrap();
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    let dotenv = first.report();
    let id = fake
        .state()
        .comments
        .iter()
        .find(|c| c.1.starts_with(MARKER))
        .map(|c| c.0)
        .unwrap();
    assert!(
        dotenv.contains(&format!("SHIPGATE_gitlab_note_id={id}\n")),
        "{dotenv}"
    );
    assert!(
        dotenv.contains("SHIPGATE_thread_key=deploy-77\n"),
        "{dotenv}"
    );

    let second = step("success");
    let second = tokio::task::spawn_blocking(move || second.run())
        .await
        .unwrap();
    assert_eq!(second.code, 0, "{}{}", second.stdout, second.stderr);
    let (counts, ours) = {
        let st = fake.state();
        let ours: Vec<_> = st
            .comments
            .iter()
            .filter(|c| c.1.starts_with(MARKER))
            .cloned()
            .collect();
        ((st.creates, st.updates), ours)
    };
    assert_eq!(counts, (1, 1));
    assert_eq!(ours.len(), 1);
    assert_eq!(ours[0].0, id);
    let body = &ours[0].1;
    assert!(
        body.contains("### ✅ Deploy of acme/widgets to staging succeeded"),
        "{body}"
    );
    assert!(
        body.contains("[#5](https://gitlab.example.com/acme/widgets/-/merge_requests/5)"),
        "{body}"
    );
    assert!(
        body.contains("https://gitlab.example.com/acme/widgets/-/commit/0123456"),
        "{body}"
    );
    assert!(body.contains("> Fix the \"parking\" job"), "{body}");
    assert!(
        body.contains("[View run](https://gitlab.example.com/acme/widgets/-/pipelines/77)"),
        "{body}"
    );
    for run in [&first, &second] {
        assert!(
            !run.stdout.contains("::add-mask::"),
            "no workflow commands on GitLab"
        );
        assert_no_secrets(run, &bodies(&server).await, &[GITLAB_TOKEN]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_commit_status_maps_the_state_and_names_the_environment() {
    let server = MockServer::start().await;
    let work = tempfile::tempdir().unwrap();
    Mock::given(method("POST"))
        .and(path(format!("/api/v4/projects/123/statuses/{SHA}")))
        .and(header("private-token", GITLAB_TOKEN))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 1})))
        .expect(1)
        .mount(&server)
        .await;
    let step = gitlab(work.path(), &server.uri())
        .input("targets", "gitlab-status")
        .input("status", "cancelled")
        .input("environment", "production");
    let run = tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let sent: Value = serde_json::from_str(&bodies(&server).await[0]).unwrap();
    assert_eq!(sent["state"], "canceled");
    assert_eq!(sent["name"], "shipgate/production");
    assert_eq!(
        sent["target_url"],
        "https://gitlab.example.com/acme/widgets/-/pipelines/77"
    );
    assert_eq!(
        sent["description"],
        "Deploy of acme/widgets to production was cancelled"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_job_token_cannot_write_notes_and_the_warning_says_so_without_the_token() {
    let job_token = "glcbt-SECRETjobtoken0001";
    let server = MockServer::start().await;
    let work = tempfile::tempdir().unwrap();
    Mock::given(method("GET"))
        .and(path("/api/v4/projects/123/merge_requests/5/notes"))
        .and(header("job-token", job_token))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({"message": "403 Forbidden"})))
        .mount(&server)
        .await;
    let step = gitlab(work.path(), &server.uri())
        .input("gitlab-token", "")
        .env("CI_JOB_TOKEN", job_token)
        .input("targets", "gitlab-note")
        .input("status", "failure")
        .input("message", &format!("token was {job_token}"));
    let run = tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap();
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains("warning: notify: gitlab-note: failed: GitLab API answered 403 Forbidden listing the notes of merge request !5")
            && run.stdout.contains("the CI job token cannot do this"),
        "{}",
        run.stdout
    );
    assert_no_secrets(&run, &bodies(&server).await, &[job_token]);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_merge_request_the_note_is_skipped() {
    let server = MockServer::start().await;
    let work = tempfile::tempdir().unwrap();
    let step = gitlab(work.path(), &server.uri())
        .env("CI_MERGE_REQUEST_IID", "")
        .input("targets", "gitlab-note")
        .input("status", "success");
    let run = tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("notify: gitlab-note: skipped: no merge request"),
        "{}",
        run.stdout
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn two_concurrent_jobs_leave_one_note() {
    let fake = FakeComments::new(Forge::Gitlab);
    // Both jobs' first searches answer late: both find nothing and both create.
    fake.state().slow_lists = 2;
    let server = MockServer::start().await;
    let work = tempfile::tempdir().unwrap();
    fake.mount(&server, NOTES).await;
    let runs: Vec<_> = ["started", "success"]
        .into_iter()
        .map(|status| {
            let step = gitlab(work.path(), &server.uri())
                .input("targets", "gitlab-note")
                .input("status", status)
                .input("thread-key", "deploy-77");
            tokio::task::spawn_blocking(move || step.run())
        })
        .collect();
    for r in runs {
        let run = r.await.unwrap();
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    }
    let (creates, ours) = {
        let st = fake.state();
        let ours: Vec<u64> = st
            .comments
            .iter()
            .filter(|c| c.1.starts_with(MARKER))
            .map(|c| c.0)
            .collect();
        (st.creates, ours)
    };
    assert_eq!(creates, 2, "the race happened");
    assert_eq!(ours.len(), 1, "{ours:?}");
}
