//! notify's secret inputs and its messages, run as the runner runs it: short secrets in
//! webhook URLs (a path token, a query key) and short tokens never show, even when a
//! server echoes them; a bad input is blamed on the input the user set, never quoting a
//! secret; messages stay bounded whatever the size of a value; output names are fixed.

use crate::support as common;
use crate::support::notify as notify_support;

use std::path::Path;

use common::{Action, Run};
use notify_support::github;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A server that refuses every request (400, not retried) and echoes what it was sent in
/// its body: the URL, every path segment and query value on its own, the Authorization
/// header, and `extra` (what a server might know, such as the HMAC key).
struct Echo {
    extra: String,
}

impl Respond for Echo {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let segments: Vec<&str> = req.url.path().split('/').collect();
        let values: Vec<String> = req.url.query_pairs().map(|(_, v)| v.into_owned()).collect();
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .trim_start_matches("Bearer ")
            .to_string();
        ResponseTemplate::new(400).set_body_string(format!(
            "rejected {}: unknown segment(s) {} with value(s) {}; token {auth}; {}",
            req.url,
            segments.join(" "),
            values.join(" "),
            self.extra
        ))
    }
}

async fn echo(extra: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(Echo {
            extra: extra.to_string(),
        })
        .mount(&server)
        .await;
    server
}

/// True when `word` occurs in `text` as a word of its own (not inside a longer one).
fn has_word(text: &str, word: &str) -> bool {
    let part = |c: char| c.is_alphanumeric() || matches!(c, '-' | '_' | '~' | '%');
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(part) && !after.is_some_and(part)
    })
}

/// Everything the run showed: the log (without the runner's own `::add-mask::` lines),
/// stderr, the job summary and the outputs file.
fn shown(run: &Run) -> String {
    let log: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .collect();
    format!(
        "{}\n{}\n{}\n{}",
        log.join("\n"),
        run.stderr,
        run.summary,
        run.output_file
    )
}

fn assert_hidden(run: &Run, url: &str, words: &[&str]) {
    let text = shown(run);
    assert!(!text.contains(url), "the URL is shown:\n{text}");
    for w in words {
        assert!(!has_word(&text, w), "secret piece {w:?} is shown:\n{text}");
    }
}

/// A target, its URL input, the URL's path and query, the secret pieces, extra inputs,
/// and what the server adds to its echo.
type Case<'a> = (
    &'a str,
    &'a str,
    &'a str,
    Vec<&'a str>,
    Vec<(&'a str, &'a str)>,
    &'a str,
);

#[tokio::test(flavor = "multi_thread")]
async fn short_secrets_in_webhook_urls_and_tokens_never_show() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<Case> = vec![
        (
            "webhook",
            "webhook-url",
            "/hooks/k9?key=ab3&t",
            vec!["k9", "ab3", "t", "k1"],
            vec![("webhook-secret", "k1")],
            "expected the HMAC key k1",
        ),
        (
            "teams",
            "teams-webhook-url",
            "/workflows/w1/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=s1g",
            vec!["w1", "s1g"],
            vec![],
            "",
        ),
        (
            "slack",
            "slack-webhook-url",
            "/services/T0/B0/x1z",
            vec!["T0", "B0", "x1z"],
            vec![],
            "no_service",
        ),
    ];
    for (target, input, tail, words, extra, says) in cases {
        let server = echo(says).await;
        let url = format!("{}{tail}", server.uri());
        let mut step = github(dir.path(), &server.uri())
            .input("status", "success")
            .input("targets", target)
            .input(input, &url);
        for (k, v) in &extra {
            step = step.input(k, v);
        }
        let run = tokio::task::spawn_blocking(move || step.run())
            .await
            .unwrap();
        assert_eq!(run.code, 0, "{}", run.stdout);
        // It failed, and the warning and `results` still say why, in words.
        assert!(run.stdout.contains("::warning::notify: "), "{}", run.stdout);
        assert!(
            run.get("results").contains("rejected"),
            "{}",
            run.output_file
        );
        assert!(run.get("results").contains("\"state\":\"failed\""));
        assert_hidden(&run, &url, &words);
        // Fixed words of well-known URLs stay readable.
        if target == "slack" {
            assert!(
                run.get("results").contains("services"),
                "{}",
                run.output_file
            );
        }
        if target == "teams" {
            assert!(run.get("results").contains("invoke"), "{}", run.output_file);
        }
    }

    // A short Slack bot token that the Slack API echoes.
    let server = echo("").await;
    let url = format!("{}/api", server.uri());
    let step = github(dir.path(), &server.uri())
        .input("status", "success")
        .input("targets", "slack")
        .input("slack-token", "xb1")
        .input("slack-channel", "C0DEPLOYS")
        .input("slack-api-url", &url);
    let run = tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.get("results").contains("rejected"),
        "{}",
        run.output_file
    );
    assert_hidden(&run, "Bearer xb1", &["xb1"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_echoed_past_the_cut_is_never_shown_in_part() {
    // The server's answer is long: the URL it echoes falls where a message is cut.
    // Cuts happen at 300 (an answer), 1000 (a detail) and 2000 characters (a line); the
    // padding puts the secret segment across each.
    let dir = tempfile::tempdir().unwrap();
    let segment = "SECRETsegmentLongEnough0001";
    for cut in [300, 1000, 2000] {
        for back in [10, 20, 40, 60, 80, 100] {
            let server = MockServer::start().await;
            let url = format!("{}/hooks/{segment}", server.uri());
            let pad = cut - back - (url.len() - segment.len());
            Mock::given(method("POST"))
                .respond_with(
                    ResponseTemplate::new(400)
                        .set_body_string(format!("{}{url} is unknown", "x".repeat(pad))),
                )
                .mount(&server)
                .await;
            let step = github(dir.path(), &server.uri())
                .input("status", "success")
                .input("targets", "webhook")
                .input("webhook-url", &url);
            let run = tokio::task::spawn_blocking(move || step.run())
                .await
                .unwrap();
            assert_eq!(run.code, 0, "{}", run.stdout);
            let text = shown(&run);
            assert!(
                !text.contains("SECRET"),
                "cut {cut} - {back}: part of the secret shown:\n{text}"
            );
        }
    }
}

/// Runs notify locally with `args`; returns the exit code and stderr.
fn local(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String) {
    let mut action = Action::local("notify", dir)
        .env("SHIPGATE_NOW", "2026-11-22T12:00:00Z")
        .args(args);
    for (k, v) in env {
        action = action.env(k, v);
    }
    let out = action.run();
    (out.code, out.stderr)
}

#[test]
fn a_bad_url_is_blamed_on_its_own_input_and_never_quoted() {
    let dir = tempfile::tempdir().unwrap();
    for (input, target, extra) in [
        ("webhook-url", "webhook", vec![]),
        ("teams-webhook-url", "teams", vec![]),
        ("slack-webhook-url", "slack", vec![]),
        (
            "slack-api-url",
            "slack",
            vec!["--slack-token", "xoxb-1234", "--slack-channel", "C1"],
        ),
    ] {
        for bad in [
            "ftp://hooks.example.com/k9secret",
            "k9secret",
            "https://[k9secret",
        ] {
            let flag = format!("--{input}");
            let mut args = vec!["--status", "success", "--targets", target, &flag, bad];
            args.extend(extra.iter().copied());
            let (code, stderr) = local(dir.path(), &args, &[]);
            assert_eq!(code, 2, "{input}={bad}: {stderr}");
            assert!(
                stderr.starts_with(&format!("error: input '{input}': ")),
                "{input}={bad}: {stderr}"
            );
            assert!(!stderr.contains("k9secret"), "{stderr}");
            // Without `targets` too: the target comes from the setting itself.
            if input != "slack-api-url" {
                let (code, stderr) = local(dir.path(), &["--status", "success", &flag, bad], &[]);
                assert_eq!(code, 2, "{stderr}");
                assert!(
                    stderr.starts_with(&format!("error: input '{input}': ")),
                    "{stderr}"
                );
            }
        }
    }

    // A URL from the config (url_env) is blamed on the config, naming the target.
    std::fs::write(
        dir.path().join(".shipgate.yml"),
        "version: 1\ntiers: [stable]\nenvironments:\n  - name: prod\nnotify:\n  targets:\n    audit: { kind: webhook, url_env: AUDIT_URL }\n",
    )
    .unwrap();
    let (code, stderr) = local(
        dir.path(),
        &["--status", "success", "--targets", "audit"],
        &[("AUDIT_URL", "ftp://x/k9secret")],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.starts_with("error: input 'config': "), "{stderr}");
    assert!(stderr.contains("'audit'"), "{stderr}");
    assert!(!stderr.contains("k9secret"), "{stderr}");
    std::fs::remove_file(dir.path().join(".shipgate.yml")).unwrap();

    // A missing setting is blamed on what asked for the target.
    let (code, stderr) = local(
        dir.path(),
        &["--status", "success", "--slack-token", "xoxb-1234"],
        &[],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr
            .starts_with("error: input 'slack-token': target 'slack' (slack) needs slack-channel"),
        "{stderr}"
    );
    let (code, stderr) = local(
        dir.path(),
        &["--status", "success", "--targets", "teams"],
        &[],
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr
            .starts_with("error: input 'targets': target 'teams' (teams) needs teams-webhook-url"),
        "{stderr}"
    );
}

#[test]
fn huge_and_multi_line_values_give_one_short_error_line() {
    let dir = tempfile::tempdir().unwrap();
    // Lists split on newlines, so theirs is one long word with a control character.
    let multi_line = format!("a\nb{}", "x".repeat(100_000));
    let one_word = format!("a\u{1b}b{}", "x".repeat(100_000));
    for input in [
        "targets",
        "mention-on",
        "status",
        "started-at",
        "pr-number",
        "deployment-id",
        "strict",
        "dry-run",
    ] {
        let list = matches!(input, "targets" | "mention-on");
        let value = if list { &one_word } else { &multi_line };
        let key = format!("INPUT_{}", input.to_uppercase());
        let mut env = vec![(key.as_str(), value.as_str())];
        if input != "status" {
            env.push(("INPUT_STATUS", "success"));
        }
        if input != "targets" {
            env.push(("INPUT_TARGETS", "github-summary"));
        }
        let (code, stderr) = local(dir.path(), &[], &env);
        assert_eq!(code, 2, "{input}: {}", &stderr[..stderr.len().min(500)]);
        assert_eq!(stderr.lines().count(), 1, "{input}: {stderr:?}");
        assert!(
            stderr.len() < 600,
            "{input}: {} bytes: {}",
            stderr.len(),
            &stderr[..500]
        );
        assert!(
            stderr.contains(&format!("input '{input}'")),
            "{input}: {stderr}"
        );
        assert!(stderr.contains("(100003 bytes)"), "{input}: {stderr}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_huge_answer_gives_a_bounded_warning_and_result() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_string("y\n".repeat(5_000_000)))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let step = github(dir.path(), &server.uri())
        .input("status", "success")
        .input("targets", "webhook")
        .input("webhook-url", &format!("{}/hooks/h", server.uri()));
    let run = tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap();
    assert_eq!(run.code, 0, "{}", &run.stdout[..run.stdout.len().min(500)]);
    let warning = run
        .stdout
        .lines()
        .find(|l| l.starts_with("::warning::"))
        .expect("a warning");
    assert!(warning.len() < 1200, "{} bytes", warning.len());
    assert!(warning.contains("cut at 1000 characters"), "{warning}");
    // JSON doubles the escaped newlines: 1000 characters of "y\n" are 1500 bytes.
    assert!(
        run.get("results").len() < 1700,
        "{}",
        run.get("results").len()
    );
}

#[test]
fn output_names_are_fixed_whatever_the_target_names() {
    let dir = tempfile::tempdir().unwrap();
    let config = |name: &str| {
        std::fs::write(
            dir.path().join(".shipgate.yml"),
            format!("version: 1\ntiers: [stable]\nenvironments:\n  - name: prod\nnotify:\n  targets:\n    {name}: {{ kind: webhook, url_env: HOOK_URL }}\n"),
        )
        .unwrap();
    };
    let step = || {
        github(dir.path(), "http://127.0.0.1:9")
            .env("HOOK_URL", "https://hooks.example.com/x1")
            .input("status", "success")
            .input("dry-run", "true")
    };
    // A name that could not be an output name, nor a line of one: exit 2, nothing written.
    config("\"a=b<<c\\nd\"");
    let run = step().run();
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout.contains("::error file=.shipgate.yml,line=7,col=5::.shipgate.yml:7:5: input 'config': notify.targets: 'a=b<<c\\nd' is not a valid name"),
        "{}",
        run.stdout
    );
    assert!(run.output_file.is_empty(), "{}", run.output_file);
    // Any name the config takes appears only inside the `results` value: the output
    // names are notify's own.
    config("Audit.hook-2_x");
    let run = step().run();
    assert_eq!(run.code, 0, "{}", run.stdout);
    let names: Vec<&str> = run.outputs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["results", "ok"], "{}", run.output_file);
    assert!(
        run.get("results").contains("\"target\":\"Audit.hook-2_x\""),
        "{}",
        run.get("results")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_value_in_a_targets_detail_is_quoted_short() {
    // No pull request contains the commit: the detail quotes the `sha` input.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let sha = format!("a\n{}", "b".repeat(5000));
    let step = github(dir.path(), &server.uri())
        .input("status", "success")
        .input("targets", "github-comment")
        .input("sha", &sha);
    let run = tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    let results: serde_json::Value = serde_json::from_str(run.get("results")).unwrap();
    let detail = results[0]["detail"].as_str().unwrap();
    assert_eq!(results[0]["state"], "skipped", "{detail}");
    assert!(
        detail.starts_with("no pull request contains 'a\\nbbb"),
        "{detail}"
    );
    assert!(detail.ends_with("…' (5002 bytes)"), "{detail}");
    assert!(detail.len() < 300, "{}", detail.len());
}
