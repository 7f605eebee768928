//! `notify` to Slack against a stateful fake of the Web API: rate limits, one thread per
//! deployment across processes, webhooks, failures.

use crate::support as common;
use crate::support::notify as notify_support;

use std::time::Instant;

use serde_json::Value;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use notify_support::{assert_no_secrets, bodies, github, FakeSlack, SLACK_TOKEN};

async fn slack_server(fake: &FakeSlack) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(path_regex("^/api/"))
        .respond_with(fake.clone())
        .mount(&server)
        .await;
    server
}

fn slack_step(server: &MockServer, status: &str) -> common::Action {
    let dir = std::env::temp_dir();
    github(&dir, "http://127.0.0.1:9")
        .input("targets", "slack")
        .input("status", status)
        .input("environment", "production")
        .input("version", "v1.4.2")
        .input("slack-token", SLACK_TOKEN)
        .input("slack-channel", "C0DEPLOYS")
        .input("slack-api-url", &format!("{}/api", server.uri()))
}

fn results(run: &common::Run) -> Vec<Value> {
    serde_json::from_str(run.get("results")).expect("results is JSON")
}

fn fake_posts(st: &notify_support::SlackState) -> usize {
    st.calls
        .iter()
        .filter(|(m, b)| m == "chat.postMessage" && b.get("thread_ts").is_none())
        .count()
}

fn run_blocking(action: common::Action) -> common::Run {
    action.run()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_limited_post_waits_for_retry_after_then_succeeds() {
    let fake = FakeSlack::new();
    fake.state().rate_limit_posts = 1;
    let server = slack_server(&fake).await;
    let started = Instant::now();
    let run = tokio::task::spawn_blocking({
        let action = slack_step(&server, "success");
        move || run_blocking(action)
    })
    .await
    .unwrap();
    let elapsed = started.elapsed();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        fake.calls("chat.postMessage").len(),
        2,
        "one 429, one retry"
    );
    assert!(
        elapsed.as_secs_f64() >= 1.0,
        "waited {elapsed:?}, Retry-After was 1 s"
    );
    assert_eq!(fake.state().messages.len(), 1);
    assert_eq!(run.get("slack-ts"), fake.state().messages[0].ts);
    assert_eq!(run.get("slack-channel"), "C0DEPLOYS");
    assert_eq!(results(&run)[0]["state"], "delivered");
    assert_no_secrets(&run, &bodies(&server).await, &[SLACK_TOKEN]);
    assert!(run.stdout.contains(&format!("::add-mask::{SLACK_TOKEN}")));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_process_updates_the_thread_parent_and_replies() {
    let fake = FakeSlack::new();
    let server = slack_server(&fake).await;

    let first = slack_step(&server, "started").input("thread-key", "deploy-1842");
    let first = tokio::task::spawn_blocking(move || first.run())
        .await
        .unwrap();
    assert_eq!(first.code, 0, "{}", first.stdout);
    let parent_ts = first.get("slack-ts").to_string();
    {
        let st = fake.state();
        assert_eq!(st.messages.len(), 1);
        let meta = &st.messages[0].body["metadata"];
        assert_eq!(meta["event_type"], "shipgate_thread");
        assert_eq!(meta["event_payload"]["thread_key"], "deploy-1842");
        assert!(st.messages[0].body["text"]
            .as_str()
            .unwrap()
            .contains("started"));
    }

    // Another job, later: no slack-ts input, only the key. It finds the parent by its metadata.
    let second = slack_step(&server, "success")
        .input("thread-key", "deploy-1842")
        .input("started-at", "2026-11-22T11:56:48Z");
    let second = tokio::task::spawn_blocking(move || second.run())
        .await
        .unwrap();
    assert_eq!(second.code, 0, "{}", second.stdout);
    assert_eq!(second.get("slack-ts"), parent_ts);
    // The first call searched, posted and checked for a racing parent; this one searched.
    assert_eq!(fake.calls("conversations.history").len(), 3);
    let updates = fake.calls("chat.update");
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0]["ts"], parent_ts.as_str());
    assert_eq!(updates[0]["channel"], "C0DEPLOYS");
    assert!(updates[0]["text"].as_str().unwrap().contains("succeeded"));
    assert_eq!(
        updates[0]["metadata"]["event_payload"]["thread_key"],
        "deploy-1842"
    );
    {
        let st = fake.state();
        let parents: Vec<_> = st
            .messages
            .iter()
            .filter(|m| m.thread_ts.is_none())
            .collect();
        let replies: Vec<_> = st
            .messages
            .iter()
            .filter(|m| m.thread_ts.is_some())
            .collect();
        assert_eq!(parents.len(), 1, "still one parent");
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0].thread_ts.as_deref(), Some(parent_ts.as_str()));
        let reply = replies[0].body["blocks"][0]["text"]["text"]
            .as_str()
            .unwrap();
        assert!(reply.contains("succeeded in 3m 12s"), "{reply}");
    }

    // A third call with the slack-ts output (the fast path) does not search.
    let third = slack_step(&server, "failure")
        .input("thread-key", "deploy-1842")
        .input("slack-ts", &parent_ts);
    let third = tokio::task::spawn_blocking(move || third.run())
        .await
        .unwrap();
    assert_eq!(third.code, 0, "{}", third.stdout);
    assert_eq!(
        fake.calls("conversations.history").len(),
        3,
        "no search with slack-ts"
    );
    assert_eq!(fake.calls("chat.update").len(), 2);
    assert_eq!(
        fake.state()
            .messages
            .iter()
            .filter(|m| m.thread_ts.is_some())
            .count(),
        2
    );
    for run in [&first, &second, &third] {
        assert_no_secrets(run, &bodies(&server).await, &[SLACK_TOKEN]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_first_calls_leave_one_thread_parent() {
    let fake = FakeSlack::new();
    // Both first searches answer late, so both runs see no parent and both post one.
    fake.state().slow_history = 2;
    let server = slack_server(&fake).await;
    let runs: Vec<_> = (0..2)
        .map(|_| {
            let step = slack_step(&server, "started").input("thread-key", "race");
            tokio::task::spawn_blocking(move || step.run())
        })
        .collect();
    let mut outs = Vec::new();
    for r in runs {
        let run = r.await.unwrap();
        assert_eq!(run.code, 0, "{}", run.stdout);
        outs.push(run.get("slack-ts").to_string());
    }
    let st = fake.state();
    let parents: Vec<_> = st
        .messages
        .iter()
        .filter(|m| m.thread_ts.is_none())
        .collect();
    assert_eq!(parents.len(), 1, "{parents:?}");
    assert!(
        outs.iter().all(|ts| *ts == parents[0].ts),
        "both runs report the surviving parent"
    );
    assert_eq!(fake_posts(&st), 2, "both runs posted a parent");
}

#[tokio::test(flavor = "multi_thread")]
async fn slack_errors_warn_and_exit_0_or_1_with_strict() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"ok": false, "error": "not_in_channel"})),
        )
        .mount(&server)
        .await;
    let soft = slack_step(&server, "failure");
    let soft = tokio::task::spawn_blocking(move || soft.run())
        .await
        .unwrap();
    assert_eq!(soft.code, 0);
    assert!(soft.stdout.contains("::warning::notify: slack: failed: Slack chat.postMessage failed: not_in_channel (invite the app"), "{}", soft.stdout);
    assert_eq!(soft.get("ok"), "false");
    assert_eq!(results(&soft)[0]["state"], "failed");

    let strict = slack_step(&server, "failure").input("strict", "true");
    let strict = tokio::task::spawn_blocking(move || strict.run())
        .await
        .unwrap();
    assert_eq!(strict.code, 1);
    assert!(
        strict
            .stdout
            .contains("::error::1 of 1 notification target(s) failed: slack"),
        "{}",
        strict.stdout
    );
    assert_eq!(strict.get("ok"), "false", "outputs are still written");
}

#[tokio::test(flavor = "multi_thread")]
async fn incoming_webhooks_post_and_reply_with_a_known_ts() {
    let server = MockServer::start().await;
    let hook_path = "/services/T000/B000/XyZSECRETwebhookPath0001";
    Mock::given(method("POST"))
        .and(path(hook_path))
        .respond_with(ResponseTemplate::new(200).set_body_string("ok"))
        .expect(2)
        .mount(&server)
        .await;
    let url = format!("{}{hook_path}", server.uri());
    let dir = std::env::temp_dir();
    let base = || {
        github(&dir, "http://127.0.0.1:9")
            .input("status", "success")
            .input("slack-webhook-url", &url)
    };
    let plain = base();
    let plain = tokio::task::spawn_blocking(move || plain.run())
        .await
        .unwrap();
    assert_eq!(plain.code, 0, "{}", plain.stdout);
    let reply = base()
        .input("slack-ts", "1763812800.000001")
        .input("targets", "slack");
    let reply = tokio::task::spawn_blocking(move || reply.run())
        .await
        .unwrap();
    assert_eq!(reply.code, 0);
    let sent = bodies(&server).await;
    let first: Value = serde_json::from_str(&sent[0]).unwrap();
    let second: Value = serde_json::from_str(&sent[1]).unwrap();
    assert!(first.get("thread_ts").is_none());
    assert!(first["blocks"].as_array().unwrap().len() > 2);
    assert_eq!(second["thread_ts"], "1763812800.000001");
    // Default targets on GitHub: the given webhook plus the job summary.
    let kinds: Vec<String> = results(&plain)
        .iter()
        .map(|r| r["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["slack", "github-summary"]);
    assert!(
        plain.summary.contains("Deploy of acme/widgets succeeded"),
        "{}",
        plain.summary
    );
    for run in [&plain, &reply] {
        assert_no_secrets(run, &sent, &[&url, "XyZSECRETwebhookPath0001"]);
    }
}
