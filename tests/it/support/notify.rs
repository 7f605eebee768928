//! Stateful fakes of Slack, GitHub comments and GitLab notes for the notify tests, the
//! runner-style invocations they share, and the secret scan.
#![allow(dead_code)]

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use wiremock::{Request, Respond, ResponseTemplate};

use crate::support::{Action, Run};

/// The pinned clock of every notify test.
pub const NOW: &str = "2026-11-22T12:00:00Z";
pub const SLACK_TOKEN: &str = "xoxb-SECRET-slack-token-0001";
pub const GITHUB_TOKEN: &str = "ghs_SECRETgithubtoken0001";
pub const GITLAB_TOKEN: &str = "glpat-SECRETgitlabtoken0001";
pub const WEBHOOK_SECRET: &str = "whsec-SECRET-hmac-key-0001";
pub const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

/// `shipgate notify` as a GitHub step of run 42 in acme/widgets, on a push.
pub fn github(cwd: &Path, api: &str) -> Action {
    Action::github("notify", cwd)
        .env("SHIPGATE_NOW", NOW)
        .env("GITHUB_API_URL", api)
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_REPOSITORY", "acme/widgets")
        .env("GITHUB_RUN_ID", "42")
        .env("GITHUB_SHA", SHA)
        .env("GITHUB_ACTOR", "octocat")
        .env("GITHUB_TRIGGERING_ACTOR", "octocat")
        .env("GITHUB_REF_NAME", "main")
        .input("github-token", GITHUB_TOKEN)
}

/// `shipgate notify` as a GitLab job of pipeline 77 in merge request !5 of project 123.
pub fn gitlab(cwd: &Path, api: &str) -> Action {
    Action::gitlab("notify", cwd)
        .env("SHIPGATE_NOW", NOW)
        .env("CI_API_V4_URL", &format!("{api}/api/v4"))
        .env("CI_PROJECT_ID", "123")
        .env("CI_PROJECT_PATH", "acme/widgets")
        .env("CI_PROJECT_URL", "https://gitlab.example.com/acme/widgets")
        .env("CI_PIPELINE_ID", "77")
        .env(
            "CI_PIPELINE_URL",
            "https://gitlab.example.com/acme/widgets/-/pipelines/77",
        )
        .env("CI_COMMIT_SHA", SHA)
        .env("CI_COMMIT_MESSAGE", "Fix the \"parking\" job\n\nDetails")
        .env("CI_MERGE_REQUEST_IID", "5")
        .env("GITLAB_USER_LOGIN", "ada")
        .input("gitlab-token", GITLAB_TOKEN)
}

/// The bodies of every request a fake received, as text.
pub async fn bodies(server: &wiremock::MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .collect()
}

/// Asserts that no secret appears in anything the run printed or wrote, nor in any body a
/// fake received. On GitHub the only place a secret may appear is the `::add-mask::`
/// command itself, which the runner consumes; each secret must have one.
pub fn assert_no_secrets(run: &Run, bodies: &[String], secrets: &[&str]) {
    let stdout: String = run
        .stdout
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .collect::<Vec<_>>()
        .join("\n");
    let places = [
        ("stdout", stdout.as_str()),
        ("stderr", run.stderr.as_str()),
        ("summary", run.summary.as_str()),
        ("outputs", run.output_file.as_str()),
    ];
    for secret in secrets {
        for (name, text) in places {
            assert!(!text.contains(secret), "secret {secret} in {name}:\n{text}");
        }
        for body in bodies {
            assert!(
                !body.contains(secret),
                "secret {secret} in a request body:\n{body}"
            );
        }
    }
}

/// Compares `value` with the snapshot `tests/snapshots/notify/<name>.json.snap` (pretty
/// JSON), or `<name>.md.snap` when it is a string (Markdown, kept readable). The inputs are
/// pinned, so SHAs and times are part of the check. See [`crate::support::snapshot`].
pub fn snapshot(name: &str, value: &Value) {
    let (file, text) = match value {
        Value::String(s) => (format!("{name}.md"), s.clone()),
        other => (
            format!("{name}.json"),
            serde_json::to_string_pretty(other).unwrap() + "\n",
        ),
    };
    crate::shipgate_snapshot!("tests/snapshots/notify", &file, &text);
}

// ----------------------------------------------------------------------------- Slack

/// A message the fake Slack holds.
#[derive(Debug, Clone)]
pub struct SlackMessage {
    pub ts: String,
    pub channel: String,
    pub thread_ts: Option<String>,
    pub body: Value,
}

#[derive(Debug, Default)]
pub struct SlackState {
    pub messages: Vec<SlackMessage>,
    pub next: u64,
    /// (method, body) of every call.
    pub calls: Vec<(String, Value)>,
    /// Answer the first N chat.postMessage calls with 429 and `Retry-After: 1`.
    pub rate_limit_posts: usize,
    /// Delay the answers to the first N conversations.history calls (to make runs race).
    pub slow_history: usize,
}

/// Slack's Web API under `/api/`: postMessage, update, delete, conversations.history with
/// metadata; checks the bot token.
#[derive(Clone)]
pub struct FakeSlack(pub Arc<Mutex<SlackState>>);

impl FakeSlack {
    pub fn new() -> Self {
        FakeSlack(Arc::new(Mutex::new(SlackState::default())))
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, SlackState> {
        self.0.lock().unwrap()
    }

    pub fn calls(&self, method: &str) -> Vec<Value> {
        self.state()
            .calls
            .iter()
            .filter(|(m, _)| m == method)
            .map(|(_, b)| b.clone())
            .collect()
    }
}

fn ok(v: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(v)
}

impl Respond for FakeSlack {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let method = req.url.path().trim_start_matches("/api/").to_string();
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if auth != format!("Bearer {SLACK_TOKEN}") {
            return ok(json!({"ok": false, "error": "invalid_auth"}));
        }
        let body: Value = if req.body.is_empty() {
            Value::Null
        } else {
            match serde_json::from_slice(&req.body) {
                Ok(v) => v,
                Err(_) => return ok(json!({"ok": false, "error": "invalid_json"})),
            }
        };
        let mut st = self.0.lock().unwrap();
        st.calls.push((method.clone(), body.clone()));
        match method.as_str() {
            "chat.postMessage" => {
                if st.rate_limit_posts > 0 {
                    st.rate_limit_posts -= 1;
                    return ResponseTemplate::new(429)
                        .insert_header("Retry-After", "1")
                        .set_body_json(json!({"ok": false, "error": "ratelimited"}));
                }
                st.next += 1;
                let ts = format!("1763812800.{:06}", st.next);
                let channel = body["channel"].as_str().unwrap_or_default().to_string();
                st.messages.push(SlackMessage {
                    ts: ts.clone(),
                    channel: channel.clone(),
                    thread_ts: body["thread_ts"].as_str().map(str::to_string),
                    body,
                });
                ok(json!({"ok": true, "channel": channel, "ts": ts}))
            }
            "chat.update" => {
                let ts = body["ts"].as_str().unwrap_or_default().to_string();
                match st.messages.iter_mut().find(|m| m.ts == ts) {
                    Some(m) => {
                        m.body = body;
                        ok(json!({"ok": true, "channel": m.channel, "ts": ts}))
                    }
                    None => ok(json!({"ok": false, "error": "message_not_found"})),
                }
            }
            "chat.delete" => {
                let ts = body["ts"].as_str().unwrap_or_default().to_string();
                let before = st.messages.len();
                st.messages.retain(|m| m.ts != ts);
                if st.messages.len() < before {
                    ok(json!({"ok": true}))
                } else {
                    ok(json!({"ok": false, "error": "message_not_found"}))
                }
            }
            "conversations.history" => {
                let q: std::collections::HashMap<String, String> =
                    req.url.query_pairs().into_owned().collect();
                if q.get("include_all_metadata").map(String::as_str) != Some("true") {
                    return ok(json!({"ok": false, "error": "metadata_not_requested"}));
                }
                let channel = q.get("channel").cloned().unwrap_or_default();
                let mut msgs: Vec<Value> = st
                    .messages
                    .iter()
                    .filter(|m| m.channel == channel && m.thread_ts.is_none())
                    .map(|m| {
                        let mut v = json!({"type": "message", "ts": m.ts, "text": m.body["text"]});
                        if let Some(meta) = m.body.get("metadata") {
                            v["metadata"] = meta.clone();
                        }
                        v
                    })
                    .collect();
                msgs.reverse(); // newest first, as Slack answers
                let resp = ok(
                    json!({"ok": true, "messages": msgs, "has_more": false, "response_metadata": {"next_cursor": ""}}),
                );
                if st.slow_history > 0 {
                    st.slow_history -= 1;
                    return resp.set_delay(Duration::from_millis(1500));
                }
                resp
            }
            other => ok(json!({"ok": false, "error": format!("unknown_method {other}")})),
        }
    }
}

// ----------------------------------------------------------------------------- comments

/// Comments (GitHub) or notes (GitLab) of one pull/merge request.
#[derive(Debug, Default)]
pub struct CommentState {
    pub comments: Vec<(u64, String)>,
    pub next: u64,
    pub lists: usize,
    pub creates: usize,
    pub updates: usize,
    pub deletes: usize,
    /// Delay the answers to the first N list calls (to make runs race).
    pub slow_lists: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Forge {
    Github,
    Gitlab,
}

/// A stateful comment store speaking GitHub's (`/repos/acme/widgets/issues/7/comments`,
/// `/issues/comments/{id}`) or GitLab's (`/projects/123/merge_requests/5/notes[/id]`)
/// dialect, with 100-per-page Link pagination.
#[derive(Clone)]
pub struct FakeComments {
    pub state: Arc<Mutex<CommentState>>,
    pub forge: Forge,
    /// The server's address, for absolute `Link` URLs (set by [`FakeComments::mount`]).
    pub base: Arc<Mutex<String>>,
}

impl FakeComments {
    /// Serves the comments under `path_regex` on `server`.
    pub async fn mount(&self, server: &wiremock::MockServer, path_regex: &str) {
        *self.base.lock().unwrap() = server.uri();
        wiremock::Mock::given(wiremock::matchers::path_regex(path_regex))
            .respond_with(self.clone())
            .mount(server)
            .await;
    }

    pub fn new(forge: Forge) -> Self {
        FakeComments {
            state: Arc::new(Mutex::new(CommentState {
                next: 1000,
                ..CommentState::default()
            })),
            forge,
            base: Arc::new(Mutex::new(String::new())),
        }
    }

    pub fn state(&self) -> std::sync::MutexGuard<'_, CommentState> {
        self.state.lock().unwrap()
    }

    fn body_json(&self, id: u64, body: &str) -> Value {
        match self.forge {
            Forge::Github => {
                json!({"id": id, "body": body, "html_url": format!("https://github.com/acme/widgets/pull/7#issuecomment-{id}")})
            }
            Forge::Gitlab => json!({"id": id, "body": body, "system": false}),
        }
    }
}

impl Respond for FakeComments {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let auth_ok = match self.forge {
            Forge::Github => req
                .headers
                .get("authorization")
                .is_some_and(|v| v.to_str().ok() == Some(&format!("Bearer {GITHUB_TOKEN}"))),
            Forge::Gitlab => req
                .headers
                .get("private-token")
                .is_some_and(|v| v.to_str().ok() == Some(GITLAB_TOKEN)),
        };
        if !auth_ok {
            return ResponseTemplate::new(401).set_body_json(json!({"message": "Bad credentials"}));
        }
        let mut st = self.state.lock().unwrap();
        let id_in_path = req
            .url
            .path()
            .rsplit('/')
            .next()
            .and_then(|s| s.parse::<u64>().ok());
        let new_body = || -> String {
            serde_json::from_slice::<Value>(&req.body)
                .ok()
                .and_then(|v| v["body"].as_str().map(str::to_string))
                .unwrap_or_default()
        };
        match (req.method.as_str(), id_in_path) {
            ("GET", _) => {
                st.lists += 1;
                let page: usize = req
                    .url
                    .query_pairs()
                    .find(|(k, _)| k == "page")
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(1);
                let mut sorted = st.comments.clone();
                sorted.sort_by_key(|c| c.0);
                let start = (page - 1) * 100;
                let items: Vec<Value> = sorted
                    .iter()
                    .skip(start)
                    .take(100)
                    .map(|(id, b)| self.body_json(*id, b))
                    .collect();
                let mut resp = ResponseTemplate::new(200).set_body_json(items);
                if start + 100 < sorted.len() {
                    // wiremock hands us `http://localhost/...`: point it at the server.
                    let base = self.base.lock().unwrap().clone();
                    let port = base.rsplit(':').next().and_then(|p| p.parse::<u16>().ok());
                    let mut next = req.url.clone();
                    let _ = next.set_host(Some("127.0.0.1"));
                    let _ = next.set_port(port);
                    let pairs: Vec<(String, String)> = req
                        .url
                        .query_pairs()
                        .filter(|(k, _)| k != "page")
                        .map(|(k, v)| (k.into_owned(), v.into_owned()))
                        .collect();
                    next.query_pairs_mut()
                        .clear()
                        .extend_pairs(pairs)
                        .append_pair("page", &(page + 1).to_string());
                    resp = resp.insert_header("link", format!("<{next}>; rel=\"next\"").as_str());
                }
                if st.slow_lists > 0 {
                    st.slow_lists -= 1;
                    resp = resp.set_delay(Duration::from_millis(1500));
                }
                resp
            }
            ("POST", _) => {
                st.creates += 1;
                st.next += 1;
                let id = st.next;
                let body = new_body();
                st.comments.push((id, body.clone()));
                ResponseTemplate::new(201).set_body_json(self.body_json(id, &body))
            }
            ("PATCH" | "PUT", Some(id)) => {
                st.updates += 1;
                let body = new_body();
                match st.comments.iter_mut().find(|c| c.0 == id) {
                    Some(c) => {
                        c.1 = body.clone();
                        ResponseTemplate::new(200).set_body_json(self.body_json(id, &body))
                    }
                    None => {
                        ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"}))
                    }
                }
            }
            ("DELETE", Some(id)) => {
                st.deletes += 1;
                let before = st.comments.len();
                st.comments.retain(|c| c.0 != id);
                if st.comments.len() < before {
                    ResponseTemplate::new(204)
                } else {
                    ResponseTemplate::new(404).set_body_json(json!({"message": "Not Found"}))
                }
            }
            _ => ResponseTemplate::new(405),
        }
    }
}
