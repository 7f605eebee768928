//! What `notify` sends: the built-in layouts with hostile input (snapshots), size limits
//! with a 10,000-character commit message, user templates, named targets and identities
//! from the config, signatures, dry runs, and the secret scan of everything.

use crate::support as common;
use crate::support::notify as notify_support;

use std::path::Path;

use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use notify_support::{
    assert_no_secrets, bodies, github, gitlab, snapshot, FakeComments, FakeSlack, Forge,
    GITHUB_TOKEN, GITLAB_TOKEN, SLACK_TOKEN, WEBHOOK_SECRET,
};

const TEAMS_PATH: &str = "/workflows/feedbeef/triggers/manual/paths/invoke";
const TEAMS_SIG: &str = "SECRETteamsSignature0123456789";
const HOOK_PATH: &str = "/hooks/SECRETwebhookPathSegment0001";

/// Text built to break payloads: quotes, backslashes, newlines and tabs, unicode and emoji,
/// Slack and Markdown control sequences, our own marker, template syntax.
const HOSTILE: &str = "Fix \"quoted\" 'single' \\back\\slash\\ \\n literal\nline two\ttab\r\n\
Ünïcødé ✓ — 日本語 🚀🔥👩‍💻 <!channel> <@U999|boss> <https://evil.example|click> \
|table|cell| `code` ```fence``` <!-- shipgate:notify:production --> {{ ci.run_url }} {% raw %} \u{7}bell end";

fn hostile(chars: usize) -> String {
    HOSTILE.chars().cycle().take(chars).collect()
}

struct Fakes {
    server: MockServer,
    slack: FakeSlack,
    comments: FakeComments,
}

async fn fakes() -> Fakes {
    let server = MockServer::start().await;
    let slack = FakeSlack::new();
    Mock::given(path_regex("^/api/"))
        .respond_with(slack.clone())
        .mount(&server)
        .await;
    let comments = FakeComments::new(Forge::Github);
    comments
        .mount(
            &server,
            "^/repos/acme/widgets/issues/(7/comments|comments/[0-9]+)$",
        )
        .await;
    for p in [TEAMS_PATH, HOOK_PATH] {
        Mock::given(method("POST"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
    }
    Fakes {
        server,
        slack,
        comments,
    }
}

fn teams_url(server: &MockServer) -> String {
    format!(
        "{}{TEAMS_PATH}?api-version=2016-06-01&sv=1.0&sig={TEAMS_SIG}",
        server.uri()
    )
}

fn hook_url(server: &MockServer) -> String {
    format!("{}{HOOK_PATH}", server.uri())
}

/// The config with identities (for mentions) and a minimal pipeline model.
fn write_config(dir: &Path, extra: &str) {
    let text = format!(
        "version: 1\ntiers: [stable]\nenvironments:\n  - name: production\nnotify:\n{extra}  identities:\n    octocat: {{ slack: U0OCTO, teams: octo@example.com, name: Octo Cat }}\n"
    );
    std::fs::write(dir.join(".shipgate.yml"), text).unwrap();
}

/// Every target at once, on a push whose commit message is `commit`.
fn everything(
    f: &Fakes,
    dir: &Path,
    commit: &str,
    message: &str,
    components: &[String],
) -> common::Action {
    github(dir, &f.server.uri())
        .event("push", json!({"head_commit": {"message": commit}}))
        .input(
            "targets",
            "slack, teams, webhook, github-comment, github-summary",
        )
        .input("status", "failure")
        .input("environment", "prod \"eu\" <1>")
        .input("environment-url", "https://prod.example.com/?a=1&b=\"2\"")
        .input("version", "v1.2.3-\"rc\"\\1 🚀")
        .input("components", &serde_json::to_string(components).unwrap())
        .input("approvers", "alice, bob")
        .input("message", message)
        .input("started-at", "2026-11-22T11:58:30Z")
        .input("pr-number", "7")
        .input("thread-key", "release-7")
        .input("slack-token", SLACK_TOKEN)
        .input("slack-channel", "C0DEPLOYS")
        .input("slack-api-url", &format!("{}/api", f.server.uri()))
        .input("teams-webhook-url", &teams_url(&f.server))
        .input("webhook-url", &hook_url(&f.server))
        .input("webhook-secret", WEBHOOK_SECRET)
}

async fn requests_to(server: &MockServer, p: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == p)
        .collect()
}

fn json_of(r: &Request) -> Value {
    serde_json::from_slice(&r.body)
        .unwrap_or_else(|e| panic!("{} sent invalid JSON: {e}", r.url.path()))
}

/// Slack's limits, checked on a message as sent.
fn assert_fits_slack(m: &Value) {
    assert!(m["text"].as_str().unwrap().chars().count() <= 4000);
    let blocks = m["blocks"].as_array().unwrap();
    assert!(blocks.len() <= 50);
    for b in blocks {
        match b["type"].as_str().unwrap() {
            "header" => assert!(b["text"]["text"].as_str().unwrap().chars().count() <= 150),
            "section" => {
                if let Some(t) = b["text"]["text"].as_str() {
                    assert!(
                        t.chars().count() <= 3000,
                        "section of {}",
                        t.chars().count()
                    );
                }
                if let Some(fields) = b["fields"].as_array() {
                    assert!(fields.len() <= 10);
                    for f in fields {
                        assert!(f["text"].as_str().unwrap().chars().count() <= 2000);
                    }
                }
            }
            _ => {}
        }
    }
}

fn all_secrets(server: &MockServer) -> Vec<String> {
    vec![
        SLACK_TOKEN.into(),
        GITHUB_TOKEN.into(),
        WEBHOOK_SECRET.into(),
        teams_url(server),
        TEAMS_SIG.into(),
        hook_url(server),
        "SECRETwebhookPathSegment0001".into(),
    ]
}

fn check_secrets(run: &common::Run, bodies: &[String], server: &MockServer) {
    let secrets = all_secrets(server);
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_no_secrets(run, bodies, &refs);
}

#[tokio::test(flavor = "multi_thread")]
async fn built_in_layouts_with_hostile_input_match_their_snapshots() {
    let f = fakes().await;
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), "");
    let components = vec![
        "api".to_string(),
        "web \"ui\"".to_string(),
        "etl|jobs".to_string(),
    ];
    let step = everything(
        &f,
        dir.path(),
        HOSTILE,
        "Rolled back: \"db\" \\ migration\n🚨 <b>",
        &components,
    );
    let run = tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.get("ok"), "true", "{}", run.stdout);

    let slack = f.slack.calls("chat.postMessage");
    assert_eq!(slack.len(), 1);
    assert_fits_slack(&slack[0]);
    let text = slack[0].to_string();
    assert!(
        text.contains("&lt;!channel&gt;") && !text.contains("<!channel>"),
        "Slack control sequences are escaped"
    );
    assert!(
        text.contains("<@U0OCTO> please take a look"),
        "the identity map turns octocat into a Slack mention"
    );
    snapshot("slack-message", &slack[0]);

    let teams = requests_to(&f.server, TEAMS_PATH).await;
    let card = json_of(&teams[0]);
    assert!(teams[0].body.len() <= 28_000);
    assert_eq!(
        card["attachments"][0]["content"]["msteams"]["entities"][0]["mentioned"]["id"],
        "octo@example.com"
    );
    snapshot("teams-card", &card);

    let hook = requests_to(&f.server, HOOK_PATH).await;
    let body = json_of(&hook[0]);
    assert_eq!(
        body["change"]["commit_message"], HOSTILE,
        "the webhook carries the text unchanged"
    );
    assert_eq!(body["deploy"]["duration"], "1m 30s");
    snapshot("webhook-body", &body);

    let comment = f.comments.state().comments[0].1.clone();
    assert!(comment.starts_with("<!-- shipgate:notify:release-7 -->\n"));
    let (_, rest) = comment.split_once('\n').unwrap();
    assert!(
        !rest.contains("<!-- shipgate"),
        "a quoted marker is escaped"
    );
    assert!(comment.contains("@octocat please take a look"));
    snapshot("github-comment", &Value::String(comment));
    snapshot("job-summary", &Value::String(run.summary.clone()));
    check_secrets(&run, &bodies(&f.server).await, &f.server);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_10000_character_commit_message_fits_every_target() {
    let f = fakes().await;
    let dir = tempfile::tempdir().unwrap();
    let components: Vec<String> = (0..3000)
        .map(|i| format!("job_{i:04}_{}", "é\"".repeat(3)))
        .collect();
    let commit = hostile(10_000);
    let step = everything(&f, dir.path(), &commit, &hostile(40_000), &components);
    let run = tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.get("ok"), "true", "{}", run.stdout);
    let run_link = "https://github.com/acme/widgets/actions/runs/42";

    let slack = f.slack.calls("chat.postMessage");
    assert_fits_slack(&slack[0]);
    assert!(slack[0]
        .to_string()
        .contains(&format!("<{run_link}|(truncated: see the run)>")));

    let teams = requests_to(&f.server, TEAMS_PATH).await;
    assert!(
        teams[0].body.len() <= 28_000,
        "{} bytes",
        teams[0].body.len()
    );
    assert!(json_of(&teams[0])
        .to_string()
        .contains(&format!("(truncated; see {run_link})")));

    let hook = json_of(&requests_to(&f.server, HOOK_PATH).await[0]);
    assert_eq!(
        hook["change"]["commit_message"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        10_000
    );

    let comment = f.comments.state().comments[0].1.clone();
    assert!(
        comment.chars().count() <= 65_536,
        "{}",
        comment.chars().count()
    );
    assert!(comment.contains(&format!("[(truncated: see the run)]({run_link})")));
    assert!(run.summary.len() <= 1024 * 1024);
    check_secrets(&run, &bodies(&f.server).await, &f.server);
}

#[tokio::test(flavor = "multi_thread")]
async fn user_templates_insert_values_as_json_and_markdown() {
    let f = fakes().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("teams.json.j2"),
        r#"{"type": "AdaptiveCard", "version": "1.4", "body": [{"type": "TextBlock", "text": {{ deploy.status_emoji ~ " " ~ change.commit_message }}}]}"#,
    )
    .unwrap();
    let step = everything(&f, dir.path(), HOSTILE, "m", &[])
        .input("slack-template", r#"{"text": {{ change.commit_message }}, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": {{ "*" ~ deploy.environment ~ "*: " ~ deploy.status }}}}], "unfurl_links": false}"#)
        .input("teams-template", "teams.json.j2")
        .input("webhook-template", "{\"env\": {{ deploy.environment }},\n \"components\": {{ deploy.components }}, \"who\": {{ ci.actor }}, \"n\": {{ change.pr_number }}}")
        .input("comment-template", "Deployed **{{ deploy.version }}** {% if deploy.status == 'failure' %}(failed){% endif %}");
    let run = tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);

    let slack = &f.slack.calls("chat.postMessage")[0];
    assert_eq!(slack["text"], HOSTILE);
    assert_eq!(
        slack["blocks"][0]["text"]["text"],
        "*prod \"eu\" <1>*: failure"
    );
    assert_eq!(slack["unfurl_links"], false);
    assert_eq!(
        slack["metadata"]["event_payload"]["thread_key"],
        "release-7"
    );
    let teams = json_of(&requests_to(&f.server, TEAMS_PATH).await[0]);
    assert_eq!(
        teams["type"], "message",
        "a bare card is wrapped in the envelope"
    );
    assert_eq!(
        teams["attachments"][0]["content"]["body"][0]["text"],
        format!("❌ {HOSTILE}")
    );
    let hook = json_of(&requests_to(&f.server, HOOK_PATH).await[0]);
    assert_eq!(
        hook,
        json!({"env": "prod \"eu\" <1>", "components": [], "who": "octocat", "n": 7})
    );
    let comment = f.comments.state().comments[0].1.clone();
    assert_eq!(
        comment,
        "<!-- shipgate:notify:release-7 -->\nDeployed **v1.2.3-\"rc\"\\1 🚀** (failed)"
    );
    assert_eq!(run.summary, "Deployed **v1.2.3-\"rc\"\\1 🚀** (failed)");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_template_error_exits_2_and_sends_nothing() {
    let f = fakes().await;
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "slack-template",
            "{\"text\": {{ deploy.nope }}}",
            "template slack-template, line 1: undefined value",
        ),
        (
            "webhook-template",
            "{\"text\": \"{{ deploy.status }}\"}",
            "not \"{{ deploy.title }}\"",
        ),
        (
            "teams-template",
            "missing.json.j2",
            "input 'teams-template': cannot read 'missing.json.j2'",
        ),
        (
            "comment-template",
            "{% if %}",
            "template comment-template, line 1: syntax error",
        ),
    ];
    for (input, template, expected) in cases {
        let step = everything(&f, dir.path(), "c", "m", &[]).input(input, template);
        let run = tokio::task::spawn_blocking(move || step.run())
            .await
            .unwrap();
        assert_eq!(run.code, 2, "{input}: {}", run.stdout);
        assert!(
            run.stdout.contains(&format!("::error::input '{input}': "))
                && run.stdout.contains(expected),
            "{input}: {}",
            run.stdout
        );
        assert!(run.outputs.is_empty(), "nothing written");
    }
    assert!(
        f.server.received_requests().await.unwrap().is_empty(),
        "nothing sent"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_renders_every_payload_redacted_and_sends_nothing() {
    let f = fakes().await;
    let dir = tempfile::tempdir().unwrap();
    // A careless workflow pastes a token into the message: it must not come out anywhere.
    let leaky = format!("token is {SLACK_TOKEN} and {GITHUB_TOKEN}");
    let step = everything(&f, dir.path(), HOSTILE, &leaky, &[]).input("dry-run", "true");
    let run = tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        f.server.received_requests().await.unwrap().is_empty(),
        "nothing sent"
    );
    for out in [&run.stdout, &run.summary] {
        assert!(out.contains("## shipgate notify: dry run"));
        for target in [
            "### slack (slack)",
            "### teams (teams)",
            "### webhook (webhook)",
            "### github-comment (github-comment)",
            "### github-summary (github-summary)",
        ] {
            assert!(out.contains(target), "{target} in {out}");
        }
        assert!(out.contains("Would find the thread 'release-7' in C0DEPLOYS"));
        assert!(out.contains("token is *** and ***"));
    }
    let results: Vec<Value> = serde_json::from_str(run.get("results")).unwrap();
    assert!(results.iter().all(|r| r["state"] == "dry-run"));
    // Payload lines cannot be workflow commands: they print between stop-commands markers.
    let start = run
        .stdout
        .find("::stop-commands::")
        .expect("commands stopped");
    let token = run.stdout[start + 17..].lines().next().unwrap();
    assert_eq!(token.len(), 32);
    let end = run
        .stdout
        .find(&format!("::{token}::"))
        .expect("commands resumed");
    assert!(start < run.stdout.find("## shipgate notify: dry run").unwrap());
    assert!(end > run.stdout.find("### github-summary").unwrap());
    check_secrets(&run, &[], &f.server);

    // Locally, --output json gives the payloads as data.
    let out = common::Action::local("notify", dir.path())
        .env("SHIPGATE_NOW", notify_support::NOW)
        .args(&[
            "--dry-run",
            "--output",
            "json",
            "--status",
            "success",
            "--targets",
            "teams",
        ])
        .args(&["--teams-webhook-url", &teams_url(&f.server)])
        .run();
    assert_eq!(out.code, 0);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["dry_run"], true);
    assert_eq!(
        doc["payloads"]["teams"]["attachments"][0]["content"]["type"],
        "AdaptiveCard"
    );
    out.stderr_lacks(TEAMS_SIG);
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_bodies_are_signed_with_hmac_sha256() {
    let f = fakes().await;
    let dir = tempfile::tempdir().unwrap();
    let step = everything(&f, dir.path(), "c", "m", &[]).input("targets", "webhook");
    let run = tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    let hook = &requests_to(&f.server, HOOK_PATH).await[0];
    let sig = hook
        .headers
        .get("x-shipgate-signature-256")
        .unwrap()
        .to_str()
        .unwrap();
    let hex = sig.strip_prefix("sha256=").unwrap();
    let tag: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, WEBHOOK_SECRET.as_bytes());
    assert!(
        ring::hmac::verify(&key, &hook.body, &tag).is_ok(),
        "the signature verifies"
    );
    assert_eq!(hook.headers.get("x-shipgate-event").unwrap(), "notify");
    assert_eq!(hook.headers.get("x-shipgate-delivery").unwrap().len(), 32);
}

#[tokio::test(flavor = "multi_thread")]
async fn secret_urls_never_show_in_errors_on_github_or_gitlab() {
    // A port nobody listens on: the connection error names the URL, which must be redacted.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let secret_url = format!("http://127.0.0.1:{port}/hooks/T00/B00/SECRETdeadHookToken0001");
    let dir = tempfile::tempdir().unwrap();
    let on_github = github(dir.path(), "http://127.0.0.1:9")
        .input("targets", "webhook")
        .input("status", "success")
        .input("webhook-url", &secret_url);
    let on_gitlab = gitlab(dir.path(), "http://127.0.0.1:9")
        .input("targets", "webhook")
        .input("status", "success")
        .input("webhook-url", &secret_url)
        .input("strict", "true");
    let runs = [on_github, on_gitlab].map(|step| tokio::task::spawn_blocking(move || step.run()));
    let [gh, gl] = runs;
    let (gh, gl) = (gh.await.unwrap(), gl.await.unwrap());
    assert_eq!(gh.code, 0);
    assert!(
        gh.stdout
            .contains("::warning::notify: webhook: failed: calling the webhook"),
        "{}",
        gh.stdout
    );
    assert_eq!(gl.code, 1);
    assert!(
        gl.stdout.contains("warning: notify: webhook: failed")
            && gl
                .stderr
                .contains("error: 1 of 1 notification target(s) failed"),
        "{}{}",
        gl.stdout,
        gl.stderr
    );
    for run in [&gh, &gl] {
        assert!(
            run.stdout.contains("***"),
            "the URL was there, redacted: {}",
            run.stdout
        );
        assert_no_secrets(
            run,
            &[],
            &[
                &secret_url,
                "SECRETdeadHookToken0001",
                GITLAB_TOKEN,
                GITHUB_TOKEN,
            ],
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn named_targets_and_identities_come_from_the_config() {
    let f = fakes().await;
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        "  targets:\n    ops-slack:\n      kind: slack\n      channel: C0OPS\n      token_env: OPS_SLACK_TOKEN\n      mention_on: [failure, cancelled]\n    ops-teams:\n      kind: teams\n      url_env: OPS_TEAMS_URL\n",
    );
    let step = github(dir.path(), &f.server.uri())
        .input("status", "cancelled")
        .input("slack-api-url", &format!("{}/api", f.server.uri()))
        .env("OPS_SLACK_TOKEN", SLACK_TOKEN)
        .env("OPS_TEAMS_URL", &teams_url(&f.server));
    let run = tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let results: Vec<Value> = serde_json::from_str(run.get("results")).unwrap();
    let names: Vec<&str> = results
        .iter()
        .map(|r| r["target"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ops-slack", "ops-teams", "github-summary"]);
    let slack = &f.slack.calls("chat.postMessage")[0];
    assert_eq!(slack["channel"], "C0OPS");
    assert!(
        slack.to_string().contains("<@U0OCTO>"),
        "cancelled is in this target's mention_on"
    );
    let teams = json_of(&requests_to(&f.server, TEAMS_PATH).await[0]);
    assert!(
        teams["attachments"][0]["content"]["msteams"]
            .get("entities")
            .is_none(),
        "Teams mentions only on failure"
    );
    assert!(run.stdout.contains(&format!("::add-mask::{SLACK_TOKEN}")));
    check_secrets(&run, &bodies(&f.server).await, &f.server);

    // A typo in a target name is an input error with a suggestion, before anything is sent.
    let before = f.server.received_requests().await.unwrap().len();
    let typo = github(dir.path(), &f.server.uri())
        .input("status", "success")
        .input("targets", "ops-slak");
    let typo = tokio::task::spawn_blocking(move || typo.run())
        .await
        .unwrap();
    assert_eq!(typo.code, 2);
    assert!(
        typo.stdout.contains("unknown target 'ops-slak'")
            && typo.stdout.contains("did you mean 'ops-slack'?"),
        "{}",
        typo.stdout
    );
    assert_eq!(f.server.received_requests().await.unwrap().len(), before);
}
