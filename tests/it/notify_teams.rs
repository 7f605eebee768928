//! `notify` to a Microsoft Teams Workflows webhook: 202 is "accepted, not confirmed", 413
//! is a clear failure (a warning, or exit 1 with strict), and cards are cut to fit.

use crate::support as common;
use crate::support::notify as notify_support;

use serde_json::Value;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use notify_support::{assert_no_secrets, bodies, github};

const FLOW: &str = "/workflows/0a1b2c3d4e5f/triggers/manual/paths/invoke";
const SIG: &str = "SECRETsigAbCdEf0123456789xyz";

async fn teams(status: u16) -> (MockServer, String) {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(FLOW))
        .and(header("content-type", "application/json; charset=utf-8"))
        .respond_with(
            ResponseTemplate::new(status).set_body_string(if status == 413 {
                "{\"error\":{\"code\":\"MessageTooLarge\"}}"
            } else {
                ""
            }),
        )
        .mount(&server)
        .await;
    let url = format!(
        "{}{FLOW}?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig={SIG}",
        server.uri()
    );
    (server, url)
}

fn step(url: &str) -> common::Action {
    github(&std::env::temp_dir(), "http://127.0.0.1:9")
        .input("targets", "teams")
        .input("status", "success")
        .input("environment", "production")
        .input("teams-webhook-url", url)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_202_is_reported_as_accepted_not_confirmed() {
    let (server, url) = teams(202).await;
    let s = step(&url);
    let run = tokio::task::spawn_blocking(move || s.run()).await.unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("notify: teams: accepted: accepted, not confirmed (HTTP 202"),
        "{}",
        run.stdout
    );
    let results: Vec<Value> = serde_json::from_str(run.get("results")).unwrap();
    assert_eq!(results[0]["state"], "accepted");
    assert_eq!(run.get("ok"), "true");
    let sent = bodies(&server).await;
    let body: Value = serde_json::from_str(&sent[0]).unwrap();
    assert_eq!(body["type"], "message");
    assert_eq!(
        body["attachments"][0]["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let card = &body["attachments"][0]["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["body"][0]["color"], "Good");
    assert_eq!(
        card["actions"][0]["url"],
        "https://github.com/acme/widgets/actions/runs/42"
    );
    assert_no_secrets(&run, &sent, &[&url, SIG]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_413_warns_by_default_and_fails_with_strict() {
    let (server, url) = teams(413).await;
    let s = step(&url);
    let soft = tokio::task::spawn_blocking(move || s.run()).await.unwrap();
    assert_eq!(soft.code, 0);
    assert!(
        soft.stdout.contains(
            "::warning::notify: teams: failed: the Teams webhook answered 413 Payload Too Large"
        ) && soft
            .stdout
            .contains("Teams refuses bodies over about 28 KB"),
        "{}",
        soft.stdout
    );
    let s = step(&url).input("strict", "true");
    let strict = tokio::task::spawn_blocking(move || s.run()).await.unwrap();
    assert_eq!(strict.code, 1, "{}", strict.stdout);
    assert_eq!(
        server.received_requests().await.unwrap().len(),
        2,
        "a 413 is not retried"
    );
    for run in [&soft, &strict] {
        assert_no_secrets(run, &bodies(&server).await, &[&url, SIG]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn large_cards_are_cut_to_fit_with_a_link_to_the_run() {
    let (server, url) = teams(200).await;
    let components: Vec<String> = (0..5000).map(|i| format!("etl_job_{i:05}")).collect();
    let s = step(&url)
        .input("components", &serde_json::to_string(&components).unwrap())
        .input("message", &"Ünïcødé \"quoted\" \\ 🚀\n".repeat(2000));
    let run = tokio::task::spawn_blocking(move || s.run()).await.unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("notify: teams: delivered: delivered (HTTP 200)"),
        "{}",
        run.stdout
    );
    let sent = bodies(&server).await;
    assert!(sent[0].len() <= 28_000, "{} bytes", sent[0].len());
    let body: Value = serde_json::from_str(&sent[0]).unwrap();
    let text = body.to_string();
    assert!(text.contains("(truncated; see https://github.com/acme/widgets/actions/runs/42)"));
    let facts = body["attachments"][0]["content"]["body"][1]["facts"]
        .as_array()
        .unwrap();
    let components = facts
        .iter()
        .find(|f| f["title"] == "Components (5000)")
        .unwrap();
    assert!(components["value"]
        .as_str()
        .unwrap()
        .starts_with("etl_job_00000, etl_job_00001"));
}
