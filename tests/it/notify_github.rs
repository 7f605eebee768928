//! `notify` to GitHub against stateful fakes: the sticky pull-request comment (created
//! once, then updated; concurrent runs leave one), commit and deployment statuses.

use crate::support as common;
use crate::support::notify as notify_support;

use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use notify_support::{assert_no_secrets, bodies, github, FakeComments, Forge, GITHUB_TOKEN, SHA};

const HEAD: &str = "feedfacefeedfacefeedfacefeedfacefeedface";
const MARKER: &str = "<!-- shipgate:notify:production -->";

fn pr_event() -> Value {
    json!({
        "number": 7,
        "pull_request": {
            "number": 7,
            "html_url": "https://github.com/acme/widgets/pull/7",
            "title": "Add the \"parking\" job",
            "head": {"sha": HEAD}
        }
    })
}

async fn comments_server(fake: &FakeComments) -> MockServer {
    let server = MockServer::start().await;
    fake.mount(
        &server,
        "^/repos/acme/widgets/issues/(7/comments|comments/[0-9]+)$",
    )
    .await;
    server
}

fn comment_step(server: &MockServer, status: &str) -> common::Action {
    github(&std::env::temp_dir(), &server.uri())
        .event("pull_request", pr_event())
        .input("targets", "github-comment, github-summary")
        .input("status", status)
        .input("environment", "production")
        .input("version", "v2.0.0")
}

fn marked(fake: &FakeComments) -> Vec<(u64, String)> {
    fake.state()
        .comments
        .iter()
        .filter(|(_, b)| b.starts_with(MARKER))
        .cloned()
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sticky_comment_is_created_once_then_updated() {
    let fake = FakeComments::new(Forge::Github);
    {
        // 150 comments by others, one quoting our marker mid-text: two pages to search.
        let mut st = fake.state();
        for i in 0..150u64 {
            st.comments.push((i + 1, format!("comment {i}")));
        }
        st.comments
            .push((151, format!("someone quoted {MARKER} here")));
    }
    let server = comments_server(&fake).await;

    let first = comment_step(&server, "started");
    let first = tokio::task::spawn_blocking(move || first.run())
        .await
        .unwrap();
    assert_eq!(first.code, 0, "{}", first.stdout);
    let ours = marked(&fake);
    assert_eq!(ours.len(), 1, "{}", first.stdout);
    let id = ours[0].0;
    assert_eq!(first.get("github-comment-id"), id.to_string());
    assert_eq!(
        first.get("github-comment-url"),
        format!("https://github.com/acme/widgets/pull/7#issuecomment-{id}")
    );
    assert!(ours[0]
        .1
        .contains("Deploy of acme/widgets v2.0.0 to production started"));
    assert!(ours[0]
        .1
        .contains("[#7](https://github.com/acme/widgets/pull/7) Add the \"parking\" job"));
    assert!(
        ours[0]
            .1
            .contains("[`feedfac`](https://github.com/acme/widgets/commit/feedface"),
        "statuses go to the PR head"
    );

    let second = comment_step(&server, "success");
    let second = tokio::task::spawn_blocking(move || second.run())
        .await
        .unwrap();
    assert_eq!(second.code, 0, "{}", second.stdout);
    let ours = marked(&fake);
    assert_eq!(ours.len(), 1, "updated, not added");
    assert_eq!(ours[0].0, id);
    assert!(ours[0].1.contains("to production succeeded"));
    {
        let st = fake.state();
        assert_eq!((st.creates, st.updates, st.deletes), (1, 1, 0));
        assert_eq!(st.comments.len(), 152);
    }
    assert!(
        second.summary.contains("to production succeeded"),
        "job summary: {}",
        second.summary
    );
    assert!(!second.summary.contains(MARKER), "no marker in the summary");
    for run in [&first, &second] {
        assert_no_secrets(run, &bodies(&server).await, &[GITHUB_TOKEN]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_concurrent_runs_leave_one_comment() {
    let fake = FakeComments::new(Forge::Github);
    // Both runs' first searches answer late: both find nothing and both create.
    fake.state().slow_lists = 2;
    let server = comments_server(&fake).await;
    let runs: Vec<_> = ["started", "success"]
        .into_iter()
        .map(|status| {
            let step = comment_step(&server, status).input("targets", "github-comment");
            tokio::task::spawn_blocking(move || step.run())
        })
        .collect();
    let mut ids = Vec::new();
    for r in runs {
        let run = r.await.unwrap();
        assert_eq!(run.code, 0, "{}", run.stdout);
        ids.push(run.get("github-comment-id").to_string());
    }
    {
        let st = fake.state();
        assert_eq!(st.creates, 2, "the race happened");
        assert!(st.deletes >= 1);
    }
    let ours = marked(&fake);
    assert_eq!(ours.len(), 1, "{ours:?}");
    assert!(ids.iter().all(|id| *id == ours[0].0.to_string()), "{ids:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn on_a_push_the_comment_goes_to_the_pull_request_of_the_commit() {
    let fake = FakeComments::new(Forge::Github);
    let server = comments_server(&fake).await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/acme/widgets/commits/{SHA}/pulls")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{"number": 7}])))
        .expect(1)
        .mount(&server)
        .await;
    let step = github(&std::env::temp_dir(), &server.uri())
        .event(
            "push",
            json!({"head_commit": {"message": "Merge pull request #7"}}),
        )
        .input("targets", "github-comment")
        .input("status", "success");
    let run = tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    let all = fake.state().comments.clone();
    assert_eq!(all.len(), 1);
    assert!(all[0].1.starts_with("<!-- shipgate:notify:deploy -->"));
    assert!(all[0].1.contains("> Merge pull request #7"));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_pull_request_the_comment_is_skipped() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/repos/acme/widgets/commits/{SHA}/pulls")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let step = github(&std::env::temp_dir(), &server.uri())
        .input("targets", "github-comment")
        .input("status", "success")
        .input("strict", "true");
    let run = tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap();
    assert_eq!(run.code, 0, "skipping is not a failure: {}", run.stdout);
    let results: Vec<Value> = serde_json::from_str(run.get("results")).unwrap();
    assert_eq!(results[0]["state"], "skipped");
    assert_eq!(run.get("ok"), "true");
}

#[tokio::test(flavor = "multi_thread")]
async fn commit_and_deployment_statuses() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/repos/acme/widgets/statuses/{SHA}")))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 1})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/widgets/deployments"))
        .and(query_param("sha", SHA))
        .and(query_param("environment", "production"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/widgets/deployments"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 99})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(
            "^/repos/acme/widgets/deployments/(99|123)/statuses$",
        ))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 5})))
        .expect(2)
        .mount(&server)
        .await;
    let step = |extra: Option<&str>| {
        let mut s = github(&std::env::temp_dir(), &server.uri())
            .input("targets", "github-status,github-deployment")
            .input("status", "failure")
            .input("environment", "production")
            .input("environment-url", "https://widgets.example.com")
            .input("message", &"x".repeat(500));
        if let Some(id) = extra {
            s = s
                .input("deployment-id", id)
                .input("targets", "github-deployment");
        }
        s
    };
    let first = step(None);
    let first = tokio::task::spawn_blocking(move || first.run())
        .await
        .unwrap();
    assert_eq!(first.code, 0, "{}", first.stdout);
    assert_eq!(first.get("github-deployment-id"), "99");
    let second = step(Some("123"));
    let second = tokio::task::spawn_blocking(move || second.run())
        .await
        .unwrap();
    assert_eq!(second.code, 0, "{}", second.stdout);
    assert_eq!(second.get("github-deployment-id"), "123");

    let requests = server.received_requests().await.unwrap();
    let body_of = |p: &str| -> Value {
        let r = requests
            .iter()
            .find(|r| r.url.path() == p && r.method.as_str() == "POST")
            .unwrap();
        serde_json::from_slice(&r.body).unwrap()
    };
    let status = body_of(&format!("/repos/acme/widgets/statuses/{SHA}"));
    assert_eq!(status["state"], "failure");
    assert_eq!(status["context"], "shipgate/production");
    assert_eq!(
        status["target_url"],
        "https://github.com/acme/widgets/actions/runs/42"
    );
    assert_eq!(
        status["description"],
        "Deploy of acme/widgets to production failed"
    );
    let created = body_of("/repos/acme/widgets/deployments");
    assert_eq!(created["ref"], SHA);
    assert_eq!(created["environment"], "production");
    assert_eq!(created["required_contexts"], json!([]));
    let dstatus = body_of("/repos/acme/widgets/deployments/99/statuses");
    assert_eq!(dstatus["state"], "failure");
    assert_eq!(dstatus["environment_url"], "https://widgets.example.com");
    assert_eq!(
        dstatus["log_url"],
        "https://github.com/acme/widgets/actions/runs/42"
    );
    assert!(dstatus["description"].as_str().unwrap().chars().count() <= 140);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_read_only_token_warns_with_the_reason() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/widgets/issues/7/comments"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/widgets/issues/7/comments"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_json(json!({"message": "Resource not accessible by integration"})),
        )
        .mount(&server)
        .await;
    let step = comment_step(&server, "success").input("targets", "github-comment");
    let run = tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap();
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.contains("::warning::notify: github-comment: failed: GitHub API answered 403 Forbidden commenting on #7")
            && run.stdout.contains("GITHUB_TOKEN is read-only"),
        "{}",
        run.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secondary_rate_limit_is_reported_as_a_rate_limit() {
    // Issue 10 #5: every client has the secondary-rate-limit rule of `http.rs` (a bare 403
    // that says "secondary rate limit"), not only the gate's.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/repos/acme/widgets/statuses/{SHA}")))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
        })))
        .mount(&server)
        .await;
    let step = github(&std::env::temp_dir(), &server.uri())
        .input("targets", "github-status")
        .input("status", "success");
    let run = tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap();
    let results: Vec<Value> = serde_json::from_str(run.get("results")).unwrap();
    assert_eq!(results[0]["state"], "failed", "{}", run.stdout);
    let detail = results[0]["detail"].as_str().unwrap_or_default();
    assert!(
        detail.starts_with("GitHub rate limit: 403 Forbidden setting the commit status"),
        "{detail}"
    );
    assert!(detail.contains("secondary rate limit"), "{detail}");
    assert_eq!(run.get("ok"), "false");
}
