//! A stateful fake of the GitHub REST API for the gate's tests: issues, comments with
//! created_at/updated_at, Link-header pagination, ETag / If-None-Match → 304, team members,
//! commits, deployments, workflow dispatches, and injected faults (5xx, 403/429 with and
//! without rate-limit headers). It counts every request, and which ones would count
//! against the primary rate limit (everything but 304).
//!
//! With [`GithubFake::enable_app`] it plays a GitHub App's installation too: the
//! installation lookup and the exchange of an App JWT (RS256, checked against the test key in
//! `tests/fixtures/github-app/`, its `iss` and `exp` judged by the fake's clock) for
//! installation tokens that expire an hour later; every other route then wants a current
//! installation token and answers 401 to anything else, an expired token included.
#![allow(dead_code)]

#[path = "fake_http.rs"]
mod fake_http;
pub use fake_http::Fault;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// One logged request.
#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    /// The request target as sent: the path and, when there is one, `?` and the query.
    pub path: String,
    pub status: u16,
    /// It carried If-None-Match.
    pub conditional: bool,
    /// The raw query string (without `?`; empty when there is none).
    pub query: String,
    /// The raw request body (empty when there is none).
    pub body: String,
    /// The request headers in the order received, names lower-cased.
    pub headers: Vec<(String, String)>,
}

impl Logged {
    /// Counted against the primary rate limit (a 304 is not).
    pub fn counted(&self) -> bool {
        self.status != 304
    }

    /// The path without the query.
    pub fn route(&self) -> &str {
        self.path.split_once('?').map_or(&self.path, |(p, _)| p)
    }

    /// The value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone)]
struct FakeIssue {
    number: u64,
    title: String,
    body: String,
    state: String,
    state_reason: Option<String>,
    labels: Vec<String>,
    assignees: Vec<String>,
    created_at: String,
    updated_at: String,
}

#[derive(Debug, Clone)]
struct FakeComment {
    id: u64,
    issue: u64,
    user: String,
    bot: bool,
    body: String,
    created_at: String,
    updated_at: String,
}

#[derive(Default)]
struct State {
    repo: String,
    issues: Vec<FakeIssue>,
    comments: Vec<FakeComment>,
    teams: HashMap<String, Vec<String>>,
    commits: HashMap<String, (String, String)>,
    deployments: Vec<(u64, String, String, String)>, // id, env, sha, created_at
    statuses: BTreeMap<u64, Vec<(String, String)>>,  // id → (state, created_at) oldest first
    dispatches: Vec<Value>,
    faults: Vec<Fault>,
    log: Vec<Logged>,
    unassignable: HashSet<String>,
    next_id: u64,
    app: Option<FakeApp>,
    minted: Vec<MintedToken>,
}

/// The throwaway GitHub App key of the tests, as GitHub hands it out (PKCS#1).
pub const APP_KEY_PKCS1: &str = include_str!("../fixtures/github-app/test-only-app-key.pkcs1.pem");
/// The same key as PKCS#8.
pub const APP_KEY_PKCS8: &str = include_str!("../fixtures/github-app/test-only-app-key.pkcs8.pem");

/// The GitHub App installed on the fake's repository.
#[derive(Clone)]
struct FakeApp {
    /// The App ID the JWT's `iss` must name.
    id: String,
    installation: u64,
    /// The public half of [`APP_KEY_PKCS1`] (DER `RSAPublicKey`), which JWTs must verify with.
    public_key: Vec<u8>,
}

/// An installation token the fake handed out.
#[derive(Clone)]
struct MintedToken {
    token: String,
    repositories: Vec<String>,
    expires_at: jiff::Timestamp,
}

/// Decodes base64, standard or URL-safe, padded or not, ignoring whitespace (PEM bodies and
/// JWT parts); `None` on anything else.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => continue,
            c if c.is_ascii_whitespace() => continue,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The public key (DER `RSAPublicKey`) of a PKCS#1 PEM private key.
fn public_key_of(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64_decode(&body).expect("the fixture key is base64");
    let pair = ring::signature::RsaKeyPair::from_der(&der).expect("the fixture key is RSA");
    pair.public().as_ref().to_vec()
}

/// A 401 as GitHub words it.
fn unauthorized(message: &str) -> (u16, Vec<(String, String)>, String) {
    (
        401,
        vec![],
        json!({"message": message, "documentation_url": "https://docs.github.com/rest", "status": "401"})
            .to_string(),
    )
}

/// The fake's clock: a start instant running `scale` times real speed (as the binary's
/// `SHIPGATE_NOW` / `SHIPGATE_TIME_SCALE`).
#[derive(Clone)]
struct FakeClock {
    start: jiff::Timestamp,
    started: Instant,
    scale: f64,
}

impl FakeClock {
    fn now(&self) -> jiff::Timestamp {
        let d = self.started.elapsed().mul_f64(self.scale);
        self.start + jiff::SignedDuration::try_from(d).unwrap()
    }
}

/// The running fake. Dropping it leaves the listener thread to die with the test process.
#[derive(Clone)]
pub struct GithubFake {
    pub url: String,
    state: Arc<Mutex<State>>,
    clock: FakeClock,
}

/// GitHub's timestamp form, whole seconds.
pub fn stamp(t: jiff::Timestamp) -> String {
    jiff::Timestamp::from_second(t.as_second())
        .unwrap()
        .to_string()
}

impl GithubFake {
    /// A fake for repository `repo`, its clock starting now at real speed.
    pub fn start(repo: &str) -> Self {
        Self::start_at(repo, None, 1.0)
    }

    /// A fake whose clock starts at `start` (RFC 3339) and runs `scale` times real speed.
    pub fn start_at(repo: &str, start: Option<&str>, scale: f64) -> Self {
        let listener = fake_http::Listener::bind();
        let url = listener.url.clone();
        let state = Arc::new(Mutex::new(State {
            repo: repo.to_string(),
            next_id: 1000,
            ..Default::default()
        }));
        let clock = FakeClock {
            start: start
                .map(|s| s.parse().unwrap())
                .unwrap_or_else(jiff::Timestamp::now),
            started: Instant::now(),
            scale,
        };
        let fake = GithubFake { url, state, clock };
        let server = fake.clone();
        listener.serve(move |req| server.answer(req));
        fake
    }

    /// The fake's current time as GitHub writes it.
    pub fn now(&self) -> String {
        stamp(self.clock.now())
    }

    /// An instant `secs` from the fake's now (negative: in the past).
    pub fn at(&self, secs: i64) -> String {
        stamp(self.clock.now() + jiff::SignedDuration::from_secs(secs))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    pub fn add_team(&self, org: &str, slug: &str, members: &[String]) {
        self.lock()
            .teams
            .insert(format!("{org}/{slug}"), members.to_vec());
    }

    pub fn add_commit(&self, sha: &str, author: &str, committer: &str) {
        self.lock()
            .commits
            .insert(sha.into(), (author.into(), committer.into()));
    }

    /// A deployment with its statuses (oldest first), each `(state, created_at)`.
    pub fn add_deployment(&self, env: &str, sha: &str, statuses: &[(&str, &str)]) {
        let mut s = self.lock();
        s.next_id += 1;
        let id = s.next_id;
        let created = statuses
            .first()
            .map(|x| x.1.to_string())
            .unwrap_or_default();
        s.deployments.push((id, env.into(), sha.into(), created));
        s.statuses.insert(
            id,
            statuses
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        );
    }

    /// Installs a GitHub App (ID `app_id`, key [`APP_KEY_PKCS1`]) on the repository as
    /// installation `installation_id`. From now on every route but the App's own wants a
    /// current installation token minted by the fake.
    pub fn enable_app(&self, app_id: &str, installation_id: u64) {
        self.lock().app = Some(FakeApp {
            id: app_id.to_string(),
            installation: installation_id,
            public_key: public_key_of(APP_KEY_PKCS1),
        });
    }

    /// The installation tokens minted so far, oldest first, each with the repositories it
    /// was asked for (empty: the whole installation).
    pub fn minted(&self) -> Vec<(String, Vec<String>)> {
        self.lock()
            .minted
            .iter()
            .map(|m| (m.token.clone(), m.repositories.clone()))
            .collect()
    }

    pub fn unassignable(&self, login: &str) {
        self.lock().unassignable.insert(login.to_string());
    }

    /// An existing issue (e.g. a request made by an earlier attempt).
    pub fn add_issue(&self, title: &str, body: &str, state: &str, created_at: &str) -> u64 {
        let mut s = self.lock();
        let number = s.issues.len() as u64 + 1;
        s.issues.push(FakeIssue {
            number,
            title: title.into(),
            body: body.into(),
            state: state.into(),
            state_reason: None,
            labels: vec![],
            assignees: vec![],
            created_at: created_at.into(),
            updated_at: created_at.into(),
        });
        number
    }

    /// A comment by `user` at the fake's now.
    pub fn comment(&self, issue: u64, user: &str, body: &str) -> u64 {
        let now = self.now();
        self.comment_at(issue, user, body, &now, &now)
    }

    /// A comment with explicit times.
    pub fn comment_at(
        &self,
        issue: u64,
        user: &str,
        body: &str,
        created: &str,
        updated: &str,
    ) -> u64 {
        let mut s = self.lock();
        s.next_id += 1;
        let id = s.next_id;
        s.comments.push(FakeComment {
            id,
            issue,
            user: user.into(),
            bot: user.ends_with("[bot]"),
            body: body.into(),
            created_at: created.into(),
            updated_at: updated.into(),
        });
        id
    }

    /// Edits a comment now (updated_at moves).
    pub fn edit_comment(&self, id: u64, body: &str) {
        let now = self.now();
        let mut s = self.lock();
        if let Some(c) = s.comments.iter_mut().find(|c| c.id == id) {
            c.body = body.into();
            c.updated_at = now;
        }
    }

    /// Closes an issue as a person would.
    pub fn close_issue(&self, number: u64) {
        let now = self.now();
        let mut s = self.lock();
        if let Some(i) = s.issues.iter_mut().find(|i| i.number == number) {
            i.state = "closed".into();
            i.updated_at = now;
        }
    }

    /// Answers the next `times` requests whose method is `method` and path contains
    /// `path_contains` with `status`, `headers` and `body`.
    pub fn fail(
        &self,
        method: &str,
        path_contains: &str,
        status: u16,
        headers: &[(&str, &str)],
        body: &str,
        times: usize,
    ) {
        self.lock().faults.push(Fault::new(
            method,
            path_contains,
            status,
            headers,
            body,
            times,
        ));
    }

    pub fn log(&self) -> Vec<Logged> {
        self.lock().log.clone()
    }

    pub fn counted(&self) -> usize {
        self.lock().log.iter().filter(|l| l.counted()).count()
    }

    pub fn dispatches(&self) -> Vec<Value> {
        self.lock().dispatches.clone()
    }

    pub fn issue_count(&self) -> usize {
        self.lock().issues.len()
    }

    /// (state, state_reason, body) of an issue.
    pub fn issue(&self, number: u64) -> (String, Option<String>, String) {
        let s = self.lock();
        let i = s.issues.iter().find(|i| i.number == number).unwrap();
        (i.state.clone(), i.state_reason.clone(), i.body.clone())
    }

    pub fn assignees(&self, number: u64) -> Vec<String> {
        let s = self.lock();
        s.issues
            .iter()
            .find(|i| i.number == number)
            .unwrap()
            .assignees
            .clone()
    }

    /// Bodies of the comments on an issue, oldest first.
    pub fn comment_bodies(&self, issue: u64) -> Vec<String> {
        let s = self.lock();
        s.comments
            .iter()
            .filter(|c| c.issue == issue)
            .map(|c| c.body.clone())
            .collect()
    }

    /// Waits (real time) until an issue exists and its comments were listed once; returns
    /// its number.
    pub fn wait_for_request(&self, timeout: Duration) -> u64 {
        let start = Instant::now();
        loop {
            {
                let s = self.lock();
                let listed = s
                    .log
                    .iter()
                    .any(|l| l.method == "GET" && l.path.contains("/comments"));
                if let (Some(i), true) = (s.issues.last(), listed) {
                    return i.number;
                }
            }
            assert!(
                start.elapsed() < timeout,
                "no approval request was made in time"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Routes one request, logs it, and adds the rate-limit headers.
    fn answer(&self, req: &fake_http::Request) -> fake_http::Response {
        let headers: HashMap<String, String> = req.headers.iter().cloned().collect();
        let body: Value = serde_json::from_str(&req.body).unwrap_or(Value::Null);
        let (path, raw_query) = (req.path(), req.query());
        let query: HashMap<String, String> = raw_query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .map(|(k, v)| (k.to_string(), v.replace("%20", " ")))
            .collect();
        let if_none_match = headers.get("if-none-match").cloned();
        let auth = headers.get("authorization").cloned();
        let (status, mut extra, text) = self.route(
            &req.method,
            path,
            &query,
            &body,
            if_none_match.as_deref(),
            auth.as_deref(),
        );
        let mut s = self.lock();
        s.log.push(Logged {
            method: req.method.clone(),
            path: req.target.clone(),
            status,
            conditional: if_none_match.is_some(),
            query: raw_query.to_string(),
            body: req.body.clone(),
            headers: req.headers.clone(),
        });
        let used = s.log.iter().filter(|l| l.counted()).count();
        drop(s);
        let reset = jiff::Timestamp::now().as_second() + 3600;
        let mut out = vec![
            ("x-ratelimit-limit".to_string(), "5000".to_string()),
            (
                "x-ratelimit-remaining".to_string(),
                5000usize.saturating_sub(used).to_string(),
            ),
            ("x-ratelimit-reset".to_string(), reset.to_string()),
        ];
        out.append(&mut extra);
        (status, out, text)
    }

    fn fault(&self, method: &str, path: &str) -> Option<Fault> {
        fake_http::take_fault(&mut self.lock().faults, method, path)
    }

    fn route(
        &self,
        method: &str,
        path: &str,
        query: &HashMap<String, String>,
        body: &Value,
        if_none_match: Option<&str>,
        auth: Option<&str>,
    ) -> (u16, Vec<(String, String)>, String) {
        if let Some(f) = self.fault(method, path) {
            return (f.status, f.headers, f.body);
        }
        let repo = self.lock().repo.clone();
        let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let app = self.lock().app.clone();
        if let Some(app) = &app {
            match (method, segs.as_slice()) {
                ("GET", ["repos", owner, name, "installation"]) => {
                    if let Err(e) = self.check_jwt(app, auth) {
                        return unauthorized(&e);
                    }
                    if format!("{owner}/{name}") != repo {
                        return (404, vec![], json!({"message": "Not Found"}).to_string());
                    }
                    let app_id = app.id.parse::<u64>().map_or(json!(app.id), |n| json!(n));
                    let answer = json!({
                        "id": app.installation,
                        "app_id": app_id,
                        "account": {"login": owner, "type": "Organization"},
                        "target_type": "Organization",
                        "repository_selection": "selected",
                        "access_tokens_url": format!("{}/app/installations/{}/access_tokens", self.url, app.installation),
                        "permissions": {"issues": "write", "metadata": "read"},
                    });
                    return (200, vec![], answer.to_string());
                }
                ("POST", ["app", "installations", id, "access_tokens"]) => {
                    return self.mint(app, auth, id, body, &repo);
                }
                _ => {
                    if let Err(e) = self.check_installation_token(auth) {
                        return unauthorized(&e);
                    }
                }
            }
        }
        let base = format!("/repos/{repo}");
        let rest = path.strip_prefix(&base).map(|r| r.trim_start_matches('/'));
        let not_found = || (404u16, vec![], json!({"message": "Not Found"}).to_string());
        match (method, segs.as_slice(), rest) {
            ("GET", ["orgs", org, "teams"], _) => {
                let prefix = format!("{org}/");
                let slugs: Vec<Value> = self
                    .lock()
                    .teams
                    .keys()
                    .filter_map(|k| k.strip_prefix(&prefix).map(|s| json!({"slug": s})))
                    .collect();
                if slugs.is_empty() {
                    return not_found();
                }
                self.page(path, query, slugs, if_none_match)
            }
            ("GET", ["orgs", org, "teams", slug, "members"], _) => {
                let members = self.lock().teams.get(&format!("{org}/{slug}")).cloned();
                match members {
                    None => not_found(),
                    Some(m) => {
                        let items: Vec<Value> = m
                            .iter()
                            .map(|l| json!({"login": l, "type": "User"}))
                            .collect();
                        self.page(path, query, items, if_none_match)
                    }
                }
            }
            (_, _, Some(rest)) => self.repo_route(method, rest, path, query, body, if_none_match),
            _ => not_found(),
        }
    }

    /// Checks an App JWT as GitHub does: `Bearer` + three base64url parts, RS256, signed
    /// with the App's key, `iss` the App ID, `exp` in the future but at most 10 minutes
    /// ahead, `iat` not in the future (a minute of drift allowed), by the fake's clock.
    fn check_jwt(&self, app: &FakeApp, auth: Option<&str>) -> Result<(), String> {
        let jwt = auth
            .and_then(|a| a.strip_prefix("Bearer "))
            .ok_or("A JSON web token could not be decoded (no Bearer token)")?;
        let parts: Vec<&str> = jwt.split('.').collect();
        let [header, claims, signature] = parts[..] else {
            return Err("A JSON web token could not be decoded (not three parts)".into());
        };
        let json =
            |part: &str| -> Option<Value> { serde_json::from_slice(&base64_decode(part)?).ok() };
        let (Some(header), Some(claims), Some(signature)) =
            (json(header), json(claims), base64_decode(signature))
        else {
            return Err("A JSON web token could not be decoded".into());
        };
        if header["alg"] != "RS256" {
            return Err(format!("JWT algorithm {} is not RS256", header["alg"]));
        }
        let signed = &jwt[..jwt.rfind('.').unwrap()];
        ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            &app.public_key,
        )
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| "A JSON web token could not be decoded (bad signature)".to_string())?;
        let iss = match &claims["iss"] {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return Err("'Issuer' claim ('iss') must be an Integer".into()),
        };
        if iss != app.id {
            return Err(format!("Integration not found (iss {iss})"));
        }
        let now = self.clock.now().as_second();
        let (Some(iat), Some(exp)) = (claims["iat"].as_i64(), claims["exp"].as_i64()) else {
            return Err("'iat' and 'exp' must be integers".into());
        };
        if exp <= now {
            return Err(format!(
                "'Expiration time' claim ('exp') is in the past ({exp} <= {now})"
            ));
        }
        if exp > now + 600 + 60 {
            return Err("'Expiration time' claim ('exp') is too far in the future".into());
        }
        if iat > now + 60 {
            return Err("'Issued at' claim ('iat') must be in the past".into());
        }
        Ok(())
    }

    /// Checks that a request carries an installation token the fake minted and that has not
    /// expired by the fake's clock.
    fn check_installation_token(&self, auth: Option<&str>) -> Result<(), String> {
        let token = auth
            .and_then(|a| {
                a.strip_prefix("Bearer ")
                    .or_else(|| a.strip_prefix("token "))
            })
            .ok_or("Requires authentication")?;
        let s = self.lock();
        let minted = s
            .minted
            .iter()
            .find(|m| m.token == token)
            .ok_or("Bad credentials (not an installation token)")?;
        if self.clock.now() >= minted.expires_at {
            return Err(format!(
                "Bad credentials (installation token expired at {})",
                stamp(minted.expires_at)
            ));
        }
        Ok(())
    }

    /// `POST /app/installations/{id}/access_tokens`: a token for the installation, an hour.
    fn mint(
        &self,
        app: &FakeApp,
        auth: Option<&str>,
        id: &str,
        body: &Value,
        repo: &str,
    ) -> (u16, Vec<(String, String)>, String) {
        if let Err(e) = self.check_jwt(app, auth) {
            return unauthorized(&e);
        }
        if id != app.installation.to_string() {
            return (404, vec![], json!({"message": "Not Found"}).to_string());
        }
        let Ok(repositories) = serde_json::from_value::<Option<Vec<String>>>(
            body.get("repositories").cloned().unwrap_or(Value::Null),
        ) else {
            return (
                422,
                vec![],
                json!({"message": "Invalid request."}).to_string(),
            );
        };
        let repositories = repositories.unwrap_or_default();
        let own = repo.split('/').nth(1).unwrap_or_default();
        if repositories.iter().any(|r| r != own) {
            return (
                422,
                vec![],
                json!({"message": "There is at least one repository that does not exist or is not accessible to the parent installation."}).to_string(),
            );
        }
        let expires_at = self.clock.now() + jiff::SignedDuration::from_secs(3600);
        let mut s = self.lock();
        let token = format!("ghs_inst_{}", s.minted.len() + 1);
        s.minted.push(MintedToken {
            token: token.clone(),
            repositories: repositories.clone(),
            expires_at,
        });
        let answer = json!({
            "token": token,
            "expires_at": stamp(expires_at),
            "permissions": {"issues": "write", "metadata": "read"},
            "repository_selection": "selected",
        });
        (201, vec![], answer.to_string())
    }

    fn issue_json(&self, i: &FakeIssue) -> Value {
        let s = self.lock();
        let count = s.comments.iter().filter(|c| c.issue == i.number).count();
        json!({
            "number": i.number, "title": i.title, "body": i.body, "state": i.state,
            "state_reason": i.state_reason, "labels": i.labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>(),
            "assignees": i.assignees.iter().map(|l| json!({"login": l})).collect::<Vec<_>>(),
            "html_url": format!("https://github.test/{}/issues/{}", s.repo, i.number),
            "created_at": i.created_at, "updated_at": i.updated_at, "comments": count,
            "user": {"login": "github-actions[bot]", "type": "Bot"},
        })
    }

    fn comment_json(&self, c: &FakeComment, repo: &str) -> Value {
        json!({
            "id": c.id, "body": c.body, "created_at": c.created_at, "updated_at": c.updated_at,
            "html_url": format!("https://github.test/{repo}/issues/{}#issuecomment-{}", c.issue, c.id),
            "user": {"login": c.user, "type": if c.bot { "Bot" } else { "User" }},
        })
    }

    fn repo_route(
        &self,
        method: &str,
        rest: &str,
        path: &str,
        query: &HashMap<String, String>,
        body: &Value,
        if_none_match: Option<&str>,
    ) -> (u16, Vec<(String, String)>, String) {
        let segs: Vec<&str> = rest.split('/').collect();
        let repo = self.lock().repo.clone();
        let not_found = || (404u16, vec![], json!({"message": "Not Found"}).to_string());
        let now = self.now();
        match (method, segs.as_slice()) {
            ("POST", ["issues"]) => {
                let assignees: Vec<String> = body["assignees"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(String::from))
                            .collect()
                    })
                    .unwrap_or_default();
                {
                    let s = self.lock();
                    if assignees.iter().any(|a| s.unassignable.contains(a)) {
                        return (
                            422,
                            vec![],
                            json!({"message": "Validation Failed"}).to_string(),
                        );
                    }
                }
                let issue = {
                    let mut s = self.lock();
                    let number = s.issues.len() as u64 + 1;
                    let issue = FakeIssue {
                        number,
                        title: body["title"].as_str().unwrap_or_default().into(),
                        body: body["body"].as_str().unwrap_or_default().into(),
                        state: "open".into(),
                        state_reason: None,
                        labels: body["labels"]
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(|v| v.as_str().map(String::from))
                                    .collect()
                            })
                            .unwrap_or_default(),
                        assignees,
                        created_at: now.clone(),
                        updated_at: now.clone(),
                    };
                    s.issues.push(issue.clone());
                    issue
                };
                (201, vec![], self.issue_json(&issue).to_string())
            }
            ("GET", ["issues"]) => {
                let mut issues = self.lock().issues.clone();
                issues.reverse(); // newest first
                let items: Vec<Value> = issues.iter().map(|i| self.issue_json(i)).collect();
                self.page(path, query, items, if_none_match)
            }
            ("GET", ["issues", n]) => {
                let issue = self
                    .lock()
                    .issues
                    .iter()
                    .find(|i| i.number.to_string() == *n)
                    .cloned();
                match issue {
                    Some(i) => {
                        self.with_etag(self.issue_json(&i).to_string(), vec![], if_none_match)
                    }
                    None => not_found(),
                }
            }
            ("PATCH", ["issues", n]) => {
                let mut s = self.lock();
                let Some(i) = s.issues.iter_mut().find(|i| i.number.to_string() == *n) else {
                    return not_found();
                };
                if let Some(st) = body["state"].as_str() {
                    i.state = st.into();
                }
                i.state_reason = body["state_reason"].as_str().map(String::from);
                i.updated_at = now;
                let i = i.clone();
                drop(s);
                (200, vec![], self.issue_json(&i).to_string())
            }
            ("GET", ["issues", n, "comments"]) => {
                let list: Vec<FakeComment> = self
                    .lock()
                    .comments
                    .iter()
                    .filter(|c| c.issue.to_string() == *n)
                    .cloned()
                    .collect();
                let items = list.iter().map(|c| self.comment_json(c, &repo)).collect();
                self.page(path, query, items, if_none_match)
            }
            ("POST", ["issues", n, "comments"]) => {
                let Ok(number) = n.parse::<u64>() else {
                    return not_found();
                };
                let id = self.comment(
                    number,
                    "github-actions[bot]",
                    body["body"].as_str().unwrap_or_default(),
                );
                let c = self
                    .lock()
                    .comments
                    .iter()
                    .find(|c| c.id == id)
                    .cloned()
                    .unwrap();
                (201, vec![], self.comment_json(&c, &repo).to_string())
            }
            ("GET", ["commits", sha]) => {
                let c = self.lock().commits.get(*sha).cloned();
                match c {
                    Some((a, c)) => (
                        200,
                        vec![],
                        json!({"sha": sha, "author": {"login": a}, "committer": {"login": c}})
                            .to_string(),
                    ),
                    None => not_found(),
                }
            }
            ("GET", ["deployments"]) => {
                let s = self.lock();
                let env = query.get("environment").cloned().unwrap_or_default();
                let sha = query.get("sha").cloned().unwrap_or_default();
                let mut items: Vec<Value> = s
                    .deployments
                    .iter()
                    .filter(|d| d.1 == env && (sha.is_empty() || d.2 == sha))
                    .map(|d| json!({"id": d.0, "environment": d.1, "sha": d.2, "created_at": d.3}))
                    .collect();
                items.reverse();
                drop(s);
                self.page(path, query, items, if_none_match)
            }
            ("GET", ["deployments", id, "statuses"]) => {
                let s = self.lock();
                let Some(list) = id
                    .parse::<u64>()
                    .ok()
                    .and_then(|id| s.statuses.get(&id))
                    .cloned()
                else {
                    return not_found();
                };
                drop(s);
                let items = list
                    .iter()
                    .rev()
                    .map(|(st, at)| json!({"state": st, "created_at": at}))
                    .collect();
                self.page(path, query, items, if_none_match)
            }
            ("POST", ["actions", "workflows", wf, "dispatches"]) => {
                let mut record = body.clone();
                record["workflow"] = json!(wf);
                self.lock().dispatches.push(record);
                (204, vec![], String::new())
            }
            _ => not_found(),
        }
    }

    /// A page of `items` (per_page default 30, as GitHub), with a Link header and an ETag.
    fn page(
        &self,
        path: &str,
        query: &HashMap<String, String>,
        items: Vec<Value>,
        if_none_match: Option<&str>,
    ) -> (u16, Vec<(String, String)>, String) {
        let per_page: usize = query
            .get("per_page")
            .and_then(|v| v.parse().ok())
            .unwrap_or(30)
            .clamp(1, 100);
        let page: usize = query
            .get("page")
            .and_then(|v| v.parse().ok())
            .unwrap_or(1)
            .max(1);
        let last = items.len().div_ceil(per_page).max(1);
        let chunk: Vec<Value> = items
            .into_iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .collect();
        let keep: Vec<String> = query
            .iter()
            .filter(|(k, _)| k.as_str() != "page" && k.as_str() != "per_page")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let link_for = |p: usize| {
            let mut q = keep.clone();
            q.push(format!("per_page={per_page}"));
            q.push(format!("page={p}"));
            format!("<{}{path}?{}>", self.url, q.join("&"))
        };
        let mut links = Vec::new();
        if page < last {
            links.push(format!("{}; rel=\"next\"", link_for(page + 1)));
            links.push(format!("{}; rel=\"last\"", link_for(last)));
        }
        if page > 1 {
            links.push(format!("{}; rel=\"first\"", link_for(1)));
            links.push(format!("{}; rel=\"prev\"", link_for(page - 1)));
        }
        let mut headers = vec![];
        if !links.is_empty() {
            headers.push(("Link".to_string(), links.join(", ")));
        }
        self.with_etag(Value::Array(chunk).to_string(), headers, if_none_match)
    }

    fn with_etag(
        &self,
        text: String,
        mut headers: Vec<(String, String)>,
        if_none_match: Option<&str>,
    ) -> (u16, Vec<(String, String)>, String) {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut h);
        let etag = format!("\"{:016x}\"", h.finish());
        headers.push(("ETag".into(), etag.clone()));
        if if_none_match == Some(etag.as_str()) {
            return (304, headers, String::new());
        }
        (200, headers, text)
    }
}
