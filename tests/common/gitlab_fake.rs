//! A stateful fake of the GitLab REST v4 API for the gate's tests, std-only like
//! `github_fake.rs`: one project (id [`PROJECT_ID`], path [`PROJECT_PATH`], addressable
//! both ways) with issues, issue and merge-request notes, merge requests, deployments,
//! freeze periods, pipelines and jobs (play), commits; plus groups (members/all, inherited
//! from parent groups) and users. GitLab's offset pagination (`x-page`, `x-next-page`, …,
//! `Link`), weak ETags with If-None-Match → 304 on every GET, `PRIVATE-TOKEN` / `JOB-TOKEN`
//! auth, GitLab's error bodies, and injected faults (5xx, 429 with `Retry-After` and
//! `RateLimit-*`). Every request is logged.
//!
//! Point the binary at it with `CI_API_V4_URL=<fake.url>/api/v4`.
#![allow(dead_code)]

#[path = "fake_http.rs"]
mod fake_http;
use fake_http::reason;
pub use fake_http::Fault;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// The one project's numeric id.
pub const PROJECT_ID: u64 = 42;
/// The one project's full path (`group%2Fapp` in URLs).
pub const PROJECT_PATH: &str = "group/app";
/// The `PRIVATE-TOKEN` accepted unless [`GitlabFake::set_token`] changes it.
pub const TOKEN: &str = "glpat-test";
/// Who the default token belongs to (authors what the binary creates).
pub const TOKEN_USER: &str = "project_42_bot";

/// What a note is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Issue,
    MergeRequest,
}

/// One logged request.
#[derive(Debug, Clone)]
pub struct Logged {
    pub method: String,
    /// The raw path, still percent-encoded (`/api/v4/projects/group%2Fapp/issues/1/notes`).
    pub path: String,
    /// The raw query string, without `?`.
    pub query: String,
    pub status: u16,
    /// It carried If-None-Match.
    pub conditional: bool,
    /// `"private"` (PRIVATE-TOKEN), `"job"` (JOB-TOKEN) or `"none"`.
    pub auth: String,
    /// The raw request body.
    pub body: String,
}

impl Logged {
    /// A full answer (not a 304). GitLab's rate limits count 304s too, unlike GitHub's.
    pub fn full(&self) -> bool {
        self.status != 304
    }

    /// The body parsed as JSON (Null if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// A fault answered instead of the real thing.
#[derive(Debug, Clone)]
struct User {
    id: u64,
    username: String,
    name: String,
    public_email: String,
    state: String,
}

#[derive(Debug, Clone)]
struct Issue {
    id: u64,
    iid: u64,
    title: String,
    description: String,
    state: String,
    labels: Vec<String>,
    author: String,
    created_at: String,
    updated_at: String,
    closed_at: Option<String>,
    closed_by: Option<String>,
}

#[derive(Debug, Clone)]
struct Note {
    id: u64,
    kind: Kind,
    iid: u64,
    author: String,
    body: String,
    system: bool,
    created_at: String,
    updated_at: String,
}

#[derive(Debug, Clone)]
struct MergeRequest {
    id: u64,
    iid: u64,
    title: String,
    state: String,
    author: String,
    sha: String,
    merge_commit_sha: Option<String>,
    merged_by: Option<String>,
    created_at: String,
}

#[derive(Debug, Clone)]
struct Group {
    id: u64,
    path: String,
    members: Vec<(String, u32)>,
}

#[derive(Debug, Clone)]
struct Deployment {
    id: u64,
    iid: u64,
    env: String,
    sha: String,
    git_ref: String,
    status: String,
    created_at: String,
    updated_at: String,
    finished_at: Option<String>,
}

#[derive(Debug, Clone)]
struct Freeze {
    id: u64,
    start: String,
    end: String,
    tz: String,
    created_at: String,
}

#[derive(Debug, Clone)]
struct Pipeline {
    id: u64,
    sha: String,
    git_ref: String,
    status: String,
    user: String,
    created_at: String,
}

#[derive(Debug, Clone)]
struct Job {
    id: u64,
    pipeline: u64,
    name: String,
    stage: String,
    status: String,
    user: String,
    created_at: String,
}

#[derive(Debug, Clone)]
struct Commit {
    sha: String,
    author_email: String,
    committer_email: String,
}

#[derive(Default)]
struct State {
    token: String,
    token_user: String,
    /// None: any non-empty JOB-TOKEN is a valid job token.
    job_token: Option<String>,
    /// Raw-path substrings a JOB-TOKEN gets 403 on.
    job_denied: Vec<String>,
    substring_search: bool,
    users: Vec<User>,
    issues: Vec<Issue>,
    notes: Vec<Note>,
    mrs: Vec<MergeRequest>,
    groups: Vec<Group>,
    deployments: Vec<Deployment>,
    freezes: Vec<Freeze>,
    pipelines: Vec<Pipeline>,
    jobs: Vec<Job>,
    commits: Vec<Commit>,
    played: Vec<u64>,
    faults: Vec<Fault>,
    log: Vec<Logged>,
    next_id: u64,
}

impl State {
    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Registers `username` if new; returns its id.
    fn user(&mut self, username: &str) -> u64 {
        if let Some(u) = self.users.iter().find(|u| u.username == username) {
            return u.id;
        }
        let id = self.users.len() as u64 + 1;
        let mut name: Vec<char> = username.chars().collect();
        if let Some(c) = name.first_mut() {
            *c = c.to_ascii_uppercase();
        }
        self.users.push(User {
            id,
            username: username.into(),
            name: name.into_iter().collect(),
            public_email: String::new(),
            state: "active".into(),
        });
        id
    }

    fn issue_mut(&mut self, iid: u64) -> Option<&mut Issue> {
        self.issues.iter_mut().find(|i| i.iid == iid)
    }

    fn add_note(&mut self, kind: Kind, iid: u64, author: &str, body: &str, system: bool, at: &str) {
        self.user(author);
        let id = self.id();
        self.notes.push(Note {
            id,
            kind,
            iid,
            author: author.into(),
            body: body.into(),
            system,
            created_at: at.into(),
            updated_at: at.into(),
        });
    }

    /// Closes or reopens an issue as `by`, with GitLab's system note.
    fn set_issue_state(&mut self, iid: u64, close: bool, by: &str, now: &str) {
        let Some(i) = self.issue_mut(iid) else {
            return;
        };
        let target = if close { "closed" } else { "opened" };
        if i.state == target {
            return;
        }
        i.state = target.into();
        i.updated_at = now.into();
        i.closed_at = close.then(|| now.to_string());
        i.closed_by = close.then(|| by.to_string());
        let body = if close { "closed" } else { "reopened" };
        self.add_note(Kind::Issue, iid, by, body, true, now);
    }
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
pub struct GitlabFake {
    /// `http://127.0.0.1:<port>`; the API is under `/api/v4`.
    pub url: String,
    state: Arc<Mutex<State>>,
    clock: FakeClock,
}

/// GitLab's timestamp form: milliseconds, `Z` (`2026-03-29T00:59:30.123Z`).
pub fn stamp(t: jiff::Timestamp) -> String {
    let ms = t.as_millisecond();
    let secs = jiff::Timestamp::from_second(ms.div_euclid(1000)).unwrap();
    let whole = secs.to_string();
    format!(
        "{}.{:03}Z",
        whole.trim_end_matches('Z'),
        ms.rem_euclid(1000)
    )
}

/// An RFC 3339 instant in GitLab's form (left as is if it does not parse).
pub fn gl_time(s: &str) -> String {
    s.parse::<jiff::Timestamp>()
        .map(stamp)
        .unwrap_or_else(|_| s.to_string())
}

/// Sort key of a timestamp string (unparsable: the epoch).
fn tkey(s: &str) -> i128 {
    s.parse::<jiff::Timestamp>()
        .map(|t| t.as_nanosecond())
        .unwrap_or(0)
}

/// `%XX` decoding; `plus`: `+` is a space (query strings).
fn decode(s: &str, plus: bool) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
                {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' if plus => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes everything but unreserved characters.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn parse_pairs(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (decode(k, true), decode(v, true))
        })
        .collect()
}

type Resp = (u16, Vec<(String, String)>, String);

fn msg(status: u16, message: &str) -> Resp {
    (status, vec![], json!({ "message": message }).to_string())
}

/// A Grape parameter validation error (`{"error": …}`, 400).
fn param_error(text: &str) -> Resp {
    (400, vec![], json!({ "error": text }).to_string())
}

fn ok(v: Value) -> Resp {
    (200, vec![], v.to_string())
}

/// A parsed request.
struct Req {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    headers: HashMap<String, String>,
    body: Value,
    form: Vec<(String, String)>,
}

impl Req {
    /// A parameter: JSON body, then form body, then query (Grape merges them).
    fn param(&self, key: &str) -> Option<String> {
        if let Some(v) = self.body.get(key) {
            return match v {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                Value::Array(a) => Some(
                    a.iter()
                        .map(|x| x.as_str().map(String::from).unwrap_or(x.to_string()))
                        .collect::<Vec<_>>()
                        .join(","),
                ),
                other => Some(other.to_string()),
            };
        }
        self.form
            .iter()
            .chain(self.query.iter())
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    /// Every value of an array parameter (`scope[]=a&scope[]=b`, or `scope=a`).
    fn params(&self, key: &str) -> Vec<String> {
        let bracket = format!("{key}[]");
        if let Some(Value::Array(a)) = self.body.get(key) {
            return a
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect();
        }
        self.form
            .iter()
            .chain(self.query.iter())
            .filter(|(k, _)| *k == bracket || k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

const JOB_STATUSES: &[&str] = &[
    "created",
    "pending",
    "running",
    "failed",
    "success",
    "canceled",
    "skipped",
    "waiting_for_resource",
    "manual",
];
const DEPLOYMENT_STATUSES: &[&str] = &[
    "created", "running", "success", "failed", "canceled", "blocked",
];

impl GitlabFake {
    /// A fake whose clock starts now at real speed.
    pub fn start() -> Self {
        Self::start_at(None, 1.0)
    }

    /// A fake whose clock starts at `start` (RFC 3339) and runs `scale` times real speed.
    pub fn start_at(start: Option<&str>, scale: f64) -> Self {
        let listener = fake_http::Listener::bind();
        let url = listener.url.clone();
        let mut st = State {
            token: TOKEN.into(),
            token_user: TOKEN_USER.into(),
            job_denied: vec!["/issues".into(), "/notes".into(), "/api/v4/groups/".into()],
            next_id: 1000,
            ..Default::default()
        };
        st.user("root");
        st.user(TOKEN_USER);
        let state = Arc::new(Mutex::new(st));
        let clock = FakeClock {
            start: start
                .map(|s| s.parse().unwrap())
                .unwrap_or_else(jiff::Timestamp::now),
            started: Instant::now(),
            scale,
        };
        let fake = GitlabFake { url, state, clock };
        let server = fake.clone();
        listener.serve(move |req| server.answer(req));
        fake
    }

    /// `<url>/api/v4`, for `CI_API_V4_URL`.
    pub fn api_url(&self) -> String {
        format!("{}/api/v4", self.url)
    }

    /// The fake's current time as GitLab writes it.
    pub fn now(&self) -> String {
        stamp(self.clock.now())
    }

    /// An instant `secs` from the fake's now (negative: in the past), GitLab's form.
    pub fn at(&self, secs: i64) -> String {
        stamp(self.clock.now() + jiff::SignedDuration::from_secs(secs))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    // --- configuration ---

    /// The accepted `PRIVATE-TOKEN` and the user it belongs to.
    pub fn set_token(&self, token: &str, username: &str) {
        let mut s = self.lock();
        s.token = token.into();
        s.token_user = username.into();
        s.user(username);
    }

    /// Only this `JOB-TOKEN` is valid (by default any non-empty one is).
    pub fn set_job_token(&self, token: &str) {
        self.lock().job_token = Some(token.into());
    }

    /// A `JOB-TOKEN` also gets 403 on raw paths containing `path_contains` (by default:
    /// `/issues`, `/notes`, `/api/v4/groups/`).
    pub fn deny_job_token(&self, path_contains: &str) {
        self.lock().job_denied.push(path_contains.into());
    }

    /// Issue `search` as a plain case-insensitive substring match instead of the default
    /// approximation of GitLab's full-text (word-prefix) search.
    pub fn set_substring_search(&self, on: bool) {
        self.lock().substring_search = on;
    }

    // --- issues and notes ---

    /// An existing issue (e.g. made by an earlier attempt) by `root`; `state` is `opened`
    /// or `closed`. Returns its iid.
    pub fn add_issue(&self, title: &str, description: &str, state: &str, created_at: &str) -> u64 {
        let at = gl_time(created_at);
        let mut s = self.lock();
        let id = s.id();
        let iid = s.issues.len() as u64 + 1;
        let closed = state == "closed";
        s.issues.push(Issue {
            id,
            iid,
            title: title.into(),
            description: description.into(),
            state: if closed { "closed" } else { "opened" }.into(),
            labels: vec![],
            author: "root".into(),
            created_at: at.clone(),
            updated_at: at.clone(),
            closed_at: closed.then(|| at.clone()),
            closed_by: closed.then(|| "root".to_string()),
        });
        iid
    }

    /// A note by `username` on issue `iid`, now. Returns its id.
    pub fn note(&self, iid: u64, username: &str, body: &str) -> u64 {
        let now = self.now();
        self.note_at(Kind::Issue, iid, username, body, &now, &now)
    }

    /// A note by `username` on merge request `iid`, now. Returns its id.
    pub fn mr_note(&self, iid: u64, username: &str, body: &str) -> u64 {
        let now = self.now();
        self.note_at(Kind::MergeRequest, iid, username, body, &now, &now)
    }

    /// A note with explicit times (a merge request that does not exist yet is created,
    /// authored by `root`). Returns its id.
    pub fn note_at(
        &self,
        kind: Kind,
        iid: u64,
        username: &str,
        body: &str,
        created_at: &str,
        updated_at: &str,
    ) -> u64 {
        if kind == Kind::MergeRequest && !self.lock().mrs.iter().any(|m| m.iid == iid) {
            self.add_merge_request(iid, "root");
        }
        let mut s = self.lock();
        s.add_note(kind, iid, username, body, false, &gl_time(created_at));
        let n = s.notes.last_mut().unwrap();
        n.updated_at = gl_time(updated_at);
        n.id
    }

    /// A system note ("added 1 commit", "closed") on issue `iid`, by `root`, now.
    pub fn system_note(&self, iid: u64, body: &str) -> u64 {
        let now = self.now();
        let mut s = self.lock();
        s.add_note(Kind::Issue, iid, "root", body, true, &now);
        s.notes.last().unwrap().id
    }

    /// Edits a note now (its updated_at moves).
    pub fn edit_note(&self, id: u64, body: &str) {
        let now = self.now();
        let mut s = self.lock();
        if let Some(n) = s.notes.iter_mut().find(|n| n.id == id) {
            n.body = body.into();
            n.updated_at = now;
        }
    }

    /// Deletes a note.
    pub fn delete_note(&self, id: u64) {
        self.lock().notes.retain(|n| n.id != id);
    }

    /// Closes an issue as `root` would in the UI (with the "closed" system note).
    pub fn close_issue(&self, iid: u64) {
        let now = self.now();
        self.lock().set_issue_state(iid, true, "root", &now);
    }

    /// Reopens an issue as `root` would (with the "reopened" system note).
    pub fn reopen_issue(&self, iid: u64) {
        let now = self.now();
        self.lock().set_issue_state(iid, false, "root", &now);
    }

    // --- merge requests ---

    /// An open merge request `!iid` by `author`, head SHA `mr<iid>sha…` until set.
    pub fn add_merge_request(&self, iid: u64, author: &str) {
        let now = self.now();
        let mut s = self.lock();
        s.user(author);
        let id = s.id();
        s.mrs.retain(|m| m.iid != iid);
        s.mrs.push(MergeRequest {
            id,
            iid,
            title: format!("Merge request {iid}"),
            state: "opened".into(),
            author: author.into(),
            sha: format!("{:0<40}", format!("mr{iid}sha")),
            merge_commit_sha: None,
            merged_by: None,
            created_at: now,
        });
    }

    pub fn set_merge_request_sha(&self, iid: u64, sha: &str) {
        let mut s = self.lock();
        if let Some(m) = s.mrs.iter_mut().find(|m| m.iid == iid) {
            m.sha = sha.into();
        }
    }

    /// Marks `!iid` merged by `merged_by` into `merge_commit_sha`.
    pub fn merge_merge_request(&self, iid: u64, merged_by: &str, merge_commit_sha: &str) {
        let mut s = self.lock();
        s.user(merged_by);
        if let Some(m) = s.mrs.iter_mut().find(|m| m.iid == iid) {
            m.state = "merged".into();
            m.merged_by = Some(merged_by.into());
            m.merge_commit_sha = Some(merge_commit_sha.into());
        }
    }

    // --- groups and users ---

    /// A group at full path `path` (e.g. `acme/leads`) whose direct members are `members`
    /// with the Developer role (30). `members/all` also lists parent groups' members.
    pub fn add_group(&self, path: &str, members: &[&str]) -> u64 {
        let levels: Vec<(&str, u32)> = members.iter().map(|m| (*m, 30)).collect();
        self.add_group_with_levels(path, &levels)
    }

    /// A group whose direct members have the given access levels (10 Guest … 50 Owner).
    pub fn add_group_with_levels(&self, path: &str, members: &[(&str, u32)]) -> u64 {
        let mut s = self.lock();
        for (m, _) in members {
            s.user(m);
        }
        let members: Vec<(String, u32)> =
            members.iter().map(|(m, l)| (m.to_string(), *l)).collect();
        if let Some(g) = s.groups.iter_mut().find(|g| g.path == path) {
            g.members = members;
            return g.id;
        }
        let id = s.id();
        s.groups.push(Group {
            id,
            path: path.into(),
            members,
        });
        id
    }

    /// A user with a public email (`""` for none). Returns its id.
    pub fn add_user(&self, username: &str, public_email: &str) -> u64 {
        let mut s = self.lock();
        let id = s.user(username);
        let u = s.users.iter_mut().find(|u| u.id == id).unwrap();
        u.public_email = public_email.into();
        id
    }

    /// `active`, `blocked`, `deactivated`, …
    pub fn set_user_state(&self, username: &str, state: &str) {
        let mut s = self.lock();
        let id = s.user(username);
        s.users.iter_mut().find(|u| u.id == id).unwrap().state = state.into();
    }

    // --- commits, deployments, freezes, pipelines, jobs ---

    /// A commit; author and committer names are the emails' local parts.
    pub fn add_commit(&self, sha: &str, author_email: &str, committer_email: &str) {
        let mut s = self.lock();
        s.commits.retain(|c| c.sha != sha);
        s.commits.push(Commit {
            sha: sha.into(),
            author_email: author_email.into(),
            committer_email: committer_email.into(),
        });
    }

    /// A deployment of `sha` (ref `main`) to `env`; `status` is one of created, running,
    /// success, failed, canceled, blocked. Returns its id.
    pub fn add_deployment(
        &self,
        env: &str,
        sha: &str,
        status: &str,
        created_at: &str,
        finished_at: Option<&str>,
    ) -> u64 {
        let mut s = self.lock();
        let id = s.id();
        let iid = s.deployments.len() as u64 + 1;
        let created = gl_time(created_at);
        let finished = finished_at.map(gl_time);
        s.deployments.push(Deployment {
            id,
            iid,
            env: env.into(),
            sha: sha.into(),
            git_ref: "main".into(),
            status: status.into(),
            updated_at: finished.clone().unwrap_or_else(|| created.clone()),
            created_at: created,
            finished_at: finished,
        });
        id
    }

    /// A deploy freeze (cron start/end, IANA zone). Returns its id.
    pub fn add_freeze_period(&self, start_cron: &str, end_cron: &str, tz: &str) -> u64 {
        let now = self.now();
        let mut s = self.lock();
        let id = s.freezes.len() as u64 + 1;
        s.freezes.push(Freeze {
            id,
            start: start_cron.into(),
            end: end_cron.into(),
            tz: tz.into(),
            created_at: now,
        });
        id
    }

    /// A running pipeline `id` on `git_ref` at `sha`, triggered by `username`.
    pub fn add_pipeline(&self, id: u64, sha: &str, git_ref: &str, username: &str) {
        let now = self.now();
        let mut s = self.lock();
        s.user(username);
        s.pipelines.retain(|p| p.id != id);
        s.pipelines.push(Pipeline {
            id,
            sha: sha.into(),
            git_ref: git_ref.into(),
            status: "running".into(),
            user: username.into(),
            created_at: now,
        });
    }

    pub fn set_pipeline_status(&self, id: u64, status: &str) {
        let mut s = self.lock();
        if let Some(p) = s.pipelines.iter_mut().find(|p| p.id == id) {
            p.status = status.into();
        }
    }

    /// A job of pipeline `pipeline_id` in stage `deploy`. Returns its id.
    pub fn add_job(&self, pipeline_id: u64, name: &str, status: &str) -> u64 {
        self.add_job_in(pipeline_id, "deploy", name, status)
    }

    /// A job in stage `stage`. Returns its id.
    pub fn add_job_in(&self, pipeline_id: u64, stage: &str, name: &str, status: &str) -> u64 {
        let now = self.now();
        let mut s = self.lock();
        let id = s.id();
        let user = s
            .pipelines
            .iter()
            .find(|p| p.id == pipeline_id)
            .map(|p| p.user.clone())
            .unwrap_or_else(|| "root".into());
        s.jobs.push(Job {
            id,
            pipeline: pipeline_id,
            name: name.into(),
            stage: stage.into(),
            status: status.into(),
            user,
            created_at: now,
        });
        id
    }

    // --- faults ---

    /// Answers the next `times` requests whose method is `method` (`"*"`: any) and raw path
    /// contains `path_contains` with `status`, `headers` and `{"message":"<status> <reason>"}`.
    pub fn fail(
        &self,
        method: &str,
        path_contains: &str,
        status: u16,
        headers: &[(&str, &str)],
        times: usize,
    ) {
        let body = json!({ "message": format!("{status} {}", reason(status)) }).to_string();
        self.fail_with_body(method, path_contains, status, headers, &body, times);
    }

    /// As [`fail`](Self::fail) with an explicit body (sent as application/json unless
    /// `headers` set a Content-Type).
    pub fn fail_with_body(
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

    /// GitLab's own throttle (Rack::Attack) `times` times: 429, text/plain `Retry later`,
    /// `Retry-After: <secs>` and `RateLimit-Name/-Limit/-Observed/-Remaining/-Reset/-ResetTime`
    /// (`RateLimit-Reset` is Unix seconds on the fake's clock, computed when answered).
    pub fn throttle(&self, method: &str, path_contains: &str, retry_after_secs: u64, times: usize) {
        self.lock().faults.push(Fault {
            method: method.into(),
            path_contains: path_contains.into(),
            status: 429,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: "Retry later\n".into(),
            times,
            retry_after: Some(retry_after_secs),
        });
    }

    // --- accessors ---

    pub fn log(&self) -> Vec<Logged> {
        self.lock().log.clone()
    }

    /// Requests that count against GitLab's rate limits: all of them (304s included).
    pub fn counted(&self) -> usize {
        self.lock().log.len()
    }

    /// Requests answered in full (not 304).
    pub fn full_answers(&self) -> usize {
        self.lock().log.iter().filter(|l| l.full()).count()
    }

    pub fn issue_count(&self) -> usize {
        self.lock().issues.len()
    }

    /// (state, description, title) of an issue.
    pub fn issue(&self, iid: u64) -> (String, String, String) {
        let s = self.lock();
        let i = s.issues.iter().find(|i| i.iid == iid).unwrap();
        (i.state.clone(), i.description.clone(), i.title.clone())
    }

    /// Labels of an issue.
    pub fn issue_labels(&self, iid: u64) -> Vec<String> {
        let s = self.lock();
        s.issues
            .iter()
            .find(|i| i.iid == iid)
            .unwrap()
            .labels
            .clone()
    }

    /// Bodies of the user (non-system) notes on issue `iid`, oldest first.
    pub fn note_bodies(&self, iid: u64) -> Vec<String> {
        self.bodies(Kind::Issue, iid, false)
    }

    /// Bodies of the user (non-system) notes on merge request `iid`, oldest first.
    pub fn mr_note_bodies(&self, iid: u64) -> Vec<String> {
        self.bodies(Kind::MergeRequest, iid, false)
    }

    /// Bodies of the system notes on issue `iid`, oldest first.
    pub fn system_note_bodies(&self, iid: u64) -> Vec<String> {
        self.bodies(Kind::Issue, iid, true)
    }

    fn bodies(&self, kind: Kind, iid: u64, system: bool) -> Vec<String> {
        let s = self.lock();
        s.notes
            .iter()
            .filter(|n| n.kind == kind && n.iid == iid && n.system == system)
            .map(|n| n.body.clone())
            .collect()
    }

    /// Ids of the jobs played through the API, in order.
    pub fn played(&self) -> Vec<u64> {
        self.lock().played.clone()
    }

    pub fn job_status(&self, id: u64) -> String {
        let s = self.lock();
        s.jobs.iter().find(|j| j.id == id).unwrap().status.clone()
    }

    /// Waits (real time) until the notes of an existing issue were listed; returns the iid
    /// of the issue last listed (the approval request the binary is watching).
    pub fn wait_for_request(&self, timeout: Duration) -> u64 {
        let start = Instant::now();
        loop {
            {
                let s = self.lock();
                let listed = s.log.iter().rev().find_map(|l| {
                    if l.method != "GET" || l.status >= 400 {
                        return None;
                    }
                    let rest = l.path.split("/issues/").nth(1)?;
                    let iid: u64 = rest.strip_suffix("/notes")?.parse().ok()?;
                    s.issues.iter().any(|i| i.iid == iid).then_some(iid)
                });
                if let Some(iid) = listed {
                    return iid;
                }
            }
            assert!(
                start.elapsed() < timeout,
                "no approval request was made in time"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits (real time) until a request with `method` whose raw path contains
    /// `path_contains` was answered; returns it.
    pub fn wait_for_log(&self, method: &str, path_contains: &str, timeout: Duration) -> Logged {
        let start = Instant::now();
        loop {
            if let Some(l) = self
                .lock()
                .log
                .iter()
                .find(|l| l.method == method && l.path.contains(path_contains))
            {
                return l.clone();
            }
            assert!(
                start.elapsed() < timeout,
                "no {method} …{path_contains}… request in time"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    // --- the server ---

    /// Parses what the skeleton read, routes it and logs it.
    fn answer(&self, r: &fake_http::Request) -> fake_http::Response {
        let method = r.method.clone();
        let headers: HashMap<String, String> = r.headers.iter().cloned().collect();
        let raw = r.body.clone();
        let (path, query) = (r.path(), r.query());
        let form_body = headers
            .get("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
        let req = Req {
            method: method.clone(),
            path: path.to_string(),
            query: parse_pairs(query),
            body: if form_body {
                Value::Null
            } else {
                serde_json::from_str(&raw).unwrap_or(Value::Null)
            },
            form: if form_body { parse_pairs(&raw) } else { vec![] },
            headers,
        };
        let (status, extra, text) = self.handle(&req);
        let auth = if req.headers.contains_key("private-token") {
            "private"
        } else if req.headers.contains_key("job-token") {
            "job"
        } else {
            "none"
        };
        self.lock().log.push(Logged {
            method,
            path: path.to_string(),
            query: query.to_string(),
            status,
            conditional: req.headers.contains_key("if-none-match"),
            auth: auth.into(),
            body: raw,
        });
        (status, extra, text)
    }

    /// Faults, auth, routing, then ETag / If-None-Match on every 200 GET.
    fn handle(&self, req: &Req) -> Resp {
        let now_t = self.clock.now();
        let now = stamp(now_t);
        let mut s = self.lock();
        if let Some(f) = fake_http::take_fault(&mut s.faults, &req.method, &req.path) {
            let mut headers = f.headers.clone();
            if let Some(secs) = f.retry_after {
                let reset = now_t + jiff::SignedDuration::from_secs(secs as i64);
                headers.extend([
                    ("Retry-After".into(), secs.to_string()),
                    ("RateLimit-Name".into(), "throttle_authenticated_api".into()),
                    ("RateLimit-Limit".into(), "2000".into()),
                    ("RateLimit-Observed".into(), "2001".into()),
                    ("RateLimit-Remaining".into(), "0".into()),
                    ("RateLimit-Reset".into(), reset.as_second().to_string()),
                    (
                        "RateLimit-ResetTime".into(),
                        reset.strftime("%a, %d %b %Y %H:%M:%S GMT").to_string(),
                    ),
                ]);
            }
            return (f.status, headers, f.body.clone());
        }
        let Some(rest) = req.path.strip_prefix("/api/v4/") else {
            return msg(404, "404 Not Found");
        };
        let private = req.headers.get("private-token");
        let job = req.headers.get("job-token");
        let user = match (private, job) {
            (Some(t), _) if *t == s.token => s.token_user.clone(),
            (None, Some(j)) if !j.is_empty() && s.job_token.as_ref().is_none_or(|x| x == j) => {
                if s.job_denied.iter().any(|d| req.path.contains(d.as_str())) {
                    return msg(403, "403 Forbidden");
                }
                s.token_user.clone()
            }
            _ => return msg(401, "401 Unauthorized"),
        };
        let segs: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
        let resp = match segs.as_slice() {
            ["projects", pid, tail @ ..] => {
                let pid = decode(pid, false);
                if pid != PROJECT_ID.to_string() && pid != PROJECT_PATH {
                    msg(404, "404 Project Not Found")
                } else {
                    self.project(&mut s, req, tail, &pid, &user, &now)
                }
            }
            ["groups", gid, "members", rest @ ..] if rest.is_empty() || rest == ["all"] => {
                let gid = decode(gid, false);
                let all = !rest.is_empty();
                self.members(&s, req, &gid, all)
            }
            ["users"] => self.users(&s, req),
            ["users", id] => match s.users.iter().find(|u| u.id.to_string() == *id) {
                Some(u) => {
                    let mut v = self.user_json(&s, &u.username);
                    v["public_email"] = json!(u.public_email);
                    ok(v)
                }
                None => msg(404, "404 User Not Found"),
            },
            ["user"] => ok(self.user_json(&s, &user)),
            _ => msg(404, "404 Not Found"),
        };
        drop(s);
        let (status, mut headers, text) = resp;
        if req.method != "GET" || status != 200 {
            return (status, headers, text);
        }
        let mut h = std::collections::hash_map::DefaultHasher::new();
        text.hash(&mut h);
        let etag = format!("W/\"{:016x}\"", h.finish());
        headers.push(("ETag".into(), etag.clone()));
        let strip = |t: &str| t.trim().trim_start_matches("W/").to_string();
        let matched = req.headers.get("if-none-match").is_some_and(|inm| {
            inm.split(',')
                .any(|t| t.trim() == "*" || strip(t) == strip(&etag))
        });
        if matched {
            return (304, headers, String::new());
        }
        (200, headers, text)
    }

    fn project(
        &self,
        s: &mut State,
        req: &Req,
        tail: &[&str],
        pid: &str,
        user: &str,
        now: &str,
    ) -> Resp {
        let m = req.method.as_str();
        let num = |x: &str| x.parse::<u64>().ok();
        match (m, tail) {
            ("GET", ["issues"]) => self.list_issues(s, req, pid),
            ("POST", ["issues"]) => {
                let Some(title) = req.param("title").filter(|t| !t.is_empty()) else {
                    return param_error("title is missing");
                };
                s.user(user);
                let id = s.id();
                let iid = s.issues.len() as u64 + 1;
                let issue = Issue {
                    id,
                    iid,
                    title,
                    description: req.param("description").unwrap_or_default(),
                    state: "opened".into(),
                    labels: split_labels(&req.param("labels").unwrap_or_default()),
                    author: user.into(),
                    created_at: now.into(),
                    updated_at: now.into(),
                    closed_at: None,
                    closed_by: None,
                };
                s.issues.push(issue.clone());
                (201, vec![], self.issue_json(s, &issue).to_string())
            }
            ("GET", ["issues", iid]) => match s.issues.iter().find(|i| Some(i.iid) == num(iid)) {
                Some(i) => ok(self.issue_json(s, i)),
                None => msg(404, "404 Issue Not Found"),
            },
            ("PUT", ["issues", iid]) => {
                let Some(iid) = num(iid).filter(|n| s.issues.iter().any(|i| i.iid == *n)) else {
                    return msg(404, "404 Issue Not Found");
                };
                if let Some(ev) = req.param("state_event") {
                    match ev.as_str() {
                        "close" => s.set_issue_state(iid, true, user, now),
                        "reopen" => s.set_issue_state(iid, false, user, now),
                        _ => return param_error("state_event does not have a valid value"),
                    }
                }
                let mut changed_description = false;
                {
                    let i = s.issue_mut(iid).unwrap();
                    if let Some(d) = req.param("description") {
                        if d != i.description {
                            i.description = d;
                            i.updated_at = now.into();
                            changed_description = true;
                        }
                    }
                    if let Some(t) = req.param("title") {
                        i.title = t;
                        i.updated_at = now.into();
                    }
                    if let Some(l) = req.param("labels") {
                        i.labels = split_labels(&l);
                        i.updated_at = now.into();
                    }
                    for l in split_labels(&req.param("add_labels").unwrap_or_default()) {
                        if !i.labels.contains(&l) {
                            i.labels.push(l);
                        }
                    }
                    let remove = split_labels(&req.param("remove_labels").unwrap_or_default());
                    i.labels.retain(|l| !remove.contains(l));
                }
                if changed_description {
                    s.add_note(Kind::Issue, iid, user, "changed the description", true, now);
                }
                let i = s.issues.iter().find(|i| i.iid == iid).unwrap();
                ok(self.issue_json(s, i))
            }
            (_, [kind @ ("issues" | "merge_requests"), iid, "notes", rest @ ..]) => {
                let kind = if *kind == "issues" {
                    Kind::Issue
                } else {
                    Kind::MergeRequest
                };
                let exists = match kind {
                    Kind::Issue => s.issues.iter().any(|i| Some(i.iid) == num(iid)),
                    Kind::MergeRequest => s.mrs.iter().any(|mr| Some(mr.iid) == num(iid)),
                };
                if !exists {
                    return match kind {
                        Kind::Issue => msg(404, "404 Issue Not Found"),
                        Kind::MergeRequest => msg(404, "404 Merge Request Not Found"),
                    };
                }
                let iid = num(iid).unwrap();
                self.notes(s, req, kind, iid, rest, pid, user, now)
            }
            ("GET", ["merge_requests", iid]) => {
                match s.mrs.iter().find(|mr| Some(mr.iid) == num(iid)) {
                    Some(mr) => ok(self.mr_json(s, mr)),
                    None => msg(404, "404 Merge Request Not Found"),
                }
            }
            ("GET", ["deployments"]) => self.list_deployments(s, req, pid),
            ("GET", ["deployments", id]) => {
                match s.deployments.iter().find(|d| Some(d.id) == num(id)) {
                    Some(d) => ok(self.deployment_json(d)),
                    None => msg(404, "404 Deployment Not Found"),
                }
            }
            ("GET", ["freeze_periods"]) => {
                let items = s
                    .freezes
                    .iter()
                    .map(|f| {
                        json!({"id": f.id, "freeze_start": f.start, "freeze_end": f.end,
                            "cron_timezone": f.tz, "created_at": f.created_at,
                            "updated_at": f.created_at})
                    })
                    .collect();
                self.page(req, &[("id", pid.to_string())], items)
            }
            ("GET", ["pipelines", id]) => {
                match s.pipelines.iter().find(|p| Some(p.id) == num(id)) {
                    Some(p) => ok(self.pipeline_json(s, p)),
                    None => msg(404, "404 Not found"),
                }
            }
            ("GET", ["pipelines", id, "jobs"]) => {
                let Some(p) = s.pipelines.iter().find(|p| Some(p.id) == num(id)) else {
                    return msg(404, "404 Not found");
                };
                let scopes = req.params("scope");
                if scopes.iter().any(|x| !JOB_STATUSES.contains(&x.as_str())) {
                    return param_error("scope does not have a valid value");
                }
                let items = s
                    .jobs
                    .iter()
                    .filter(|j| j.pipeline == p.id)
                    .filter(|j| scopes.is_empty() || scopes.contains(&j.status))
                    .map(|j| self.job_json(s, j))
                    .collect();
                self.page(
                    req,
                    &[("id", pid.to_string()), ("pipeline_id", p.id.to_string())],
                    items,
                )
            }
            ("GET", ["jobs", id]) => match s.jobs.iter().find(|j| Some(j.id) == num(id)) {
                Some(j) => ok(self.job_json(s, j)),
                None => msg(404, "404 Not found"),
            },
            ("POST", ["jobs", id, "play"]) => {
                let Some(idx) = s.jobs.iter().position(|j| Some(j.id) == num(id)) else {
                    return msg(404, "404 Not found");
                };
                if s.jobs[idx].status != "manual" {
                    return msg(400, "400 Bad request - Unplayable Job");
                }
                s.jobs[idx].status = "pending".into();
                s.jobs[idx].user = user.into();
                let jid = s.jobs[idx].id;
                s.played.push(jid);
                ok(self.job_json(s, &s.jobs[idx]))
            }
            ("GET", ["repository", "commits", sha]) => {
                let sha = decode(sha, false);
                let c = s
                    .commits
                    .iter()
                    .find(|c| c.sha == sha || (sha.len() >= 7 && c.sha.starts_with(&sha)));
                match c {
                    Some(c) => {
                        let local = |e: &str| e.split('@').next().unwrap_or_default().to_string();
                        ok(json!({
                            "id": c.sha, "short_id": c.sha.chars().take(8).collect::<String>(),
                            "title": "commit", "message": "commit\n", "parent_ids": [],
                            "author_name": local(&c.author_email), "author_email": c.author_email,
                            "authored_date": now,
                            "committer_name": local(&c.committer_email),
                            "committer_email": c.committer_email, "committed_date": now,
                            "web_url": format!("{}/{PROJECT_PATH}/-/commit/{}", self.url, c.sha),
                        }))
                    }
                    None => msg(404, "404 Commit Not Found"),
                }
            }
            _ => msg(404, "404 Not Found"),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn notes(
        &self,
        s: &mut State,
        req: &Req,
        kind: Kind,
        iid: u64,
        rest: &[&str],
        pid: &str,
        user: &str,
        now: &str,
    ) -> Resp {
        let mine = |n: &&Note| n.kind == kind && n.iid == iid;
        match (req.method.as_str(), rest) {
            ("GET", []) => {
                let sort = req.param("sort").unwrap_or_else(|| "desc".into());
                let order_by = req.param("order_by").unwrap_or_else(|| "created_at".into());
                if sort != "asc" && sort != "desc" {
                    return param_error("sort does not have a valid value");
                }
                if order_by != "created_at" && order_by != "updated_at" {
                    return param_error("order_by does not have a valid value");
                }
                let mut list: Vec<&Note> = s.notes.iter().filter(mine).collect();
                list.sort_by_key(|n| {
                    let t = if order_by == "updated_at" {
                        &n.updated_at
                    } else {
                        &n.created_at
                    };
                    (tkey(t), n.id)
                });
                if sort == "desc" {
                    list.reverse();
                }
                let items = list.iter().map(|n| self.note_json(s, n)).collect();
                self.page(
                    req,
                    &[("id", pid.to_string()), ("noteable_id", iid.to_string())],
                    items,
                )
            }
            ("POST", []) => {
                let Some(body) = req.param("body").filter(|b| !b.is_empty()) else {
                    return param_error("body is missing");
                };
                s.add_note(kind, iid, user, &body, false, now);
                let n = s.notes.last().unwrap();
                (201, vec![], self.note_json(s, n).to_string())
            }
            ("GET", [id]) => match s
                .notes
                .iter()
                .filter(mine)
                .find(|n| n.id.to_string() == *id)
            {
                Some(n) => ok(self.note_json(s, n)),
                None => msg(404, "404 Note Not Found"),
            },
            ("PUT", [id]) => {
                let Some(body) = req.param("body").filter(|b| !b.is_empty()) else {
                    return param_error("body is missing");
                };
                let Some(n) = s
                    .notes
                    .iter_mut()
                    .find(|n| n.kind == kind && n.iid == iid && n.id.to_string() == *id)
                else {
                    return msg(404, "404 Note Not Found");
                };
                if n.author != user {
                    return msg(403, "403 Forbidden");
                }
                n.body = body;
                n.updated_at = now.into();
                let n = n.clone();
                ok(self.note_json(s, &n))
            }
            _ => msg(404, "404 Not Found"),
        }
    }

    fn list_issues(&self, s: &State, req: &Req, pid: &str) -> Resp {
        let state = req.param("state").unwrap_or_else(|| "all".into());
        if !["all", "opened", "closed"].contains(&state.as_str()) {
            return param_error("state does not have a valid value");
        }
        let sort = req.param("sort").unwrap_or_else(|| "desc".into());
        if sort != "asc" && sort != "desc" {
            return param_error("sort does not have a valid value");
        }
        let order_by = req.param("order_by").unwrap_or_else(|| "created_at".into());
        if order_by != "created_at" && order_by != "updated_at" {
            return param_error("order_by does not have a valid value");
        }
        let fields: Vec<String> = req
            .param("in")
            .unwrap_or_else(|| "title,description".into())
            .split(',')
            .map(|f| f.trim().to_string())
            .collect();
        if fields.iter().any(|f| f != "title" && f != "description") {
            return param_error("in does not have a valid value");
        }
        let labels = split_labels(&req.param("labels").unwrap_or_default());
        let iids = req.params("iids");
        let search = req.param("search").filter(|q| !q.is_empty());
        let mut list: Vec<&Issue> = s
            .issues
            .iter()
            .filter(|i| state == "all" || i.state == state)
            .filter(|i| labels.iter().all(|l| i.labels.contains(l)))
            .filter(|i| iids.is_empty() || iids.contains(&i.iid.to_string()))
            .filter(|i| {
                let Some(q) = &search else {
                    return true;
                };
                let texts: Vec<&str> = fields
                    .iter()
                    .map(|f| {
                        if f == "title" {
                            i.title.as_str()
                        } else {
                            i.description.as_str()
                        }
                    })
                    .collect();
                search_matches(q, &texts, s.substring_search)
            })
            .collect();
        list.sort_by_key(|i| {
            let t = if order_by == "updated_at" {
                &i.updated_at
            } else {
                &i.created_at
            };
            (tkey(t), i.id)
        });
        if sort == "desc" {
            list.reverse();
        }
        let items = list.iter().map(|i| self.issue_json(s, i)).collect();
        self.page(req, &[("id", pid.to_string())], items)
    }

    fn list_deployments(&self, s: &State, req: &Req, pid: &str) -> Resp {
        let order_by = req.param("order_by").unwrap_or_else(|| "id".into());
        if ![
            "id",
            "iid",
            "created_at",
            "updated_at",
            "finished_at",
            "ref",
        ]
        .contains(&order_by.as_str())
        {
            return param_error("order_by does not have a valid value");
        }
        let sort = req.param("sort").unwrap_or_else(|| "asc".into());
        if sort != "asc" && sort != "desc" {
            return param_error("sort does not have a valid value");
        }
        let status = req.param("status");
        if let Some(st) = &status {
            if !DEPLOYMENT_STATUSES.contains(&st.as_str()) {
                return param_error("status does not have a valid value");
            }
        }
        let finished_after = req.param("finished_after");
        let finished_before = req.param("finished_before");
        if (finished_after.is_some() || finished_before.is_some())
            && (order_by != "finished_at" || status.as_deref() != Some("success"))
        {
            return msg(
                400,
                "400 Bad request - `finished_at` filter must be combined with `finished_at` order and `success` status",
            );
        }
        let updated_after = req.param("updated_after");
        let updated_before = req.param("updated_before");
        let env = req.param("environment");
        let mut list: Vec<&Deployment> = s
            .deployments
            .iter()
            .filter(|d| env.as_ref().is_none_or(|e| *e == d.env))
            .filter(|d| status.as_ref().is_none_or(|st| *st == d.status))
            .filter(|d| {
                updated_after
                    .as_ref()
                    .is_none_or(|t| tkey(&d.updated_at) > tkey(t))
            })
            .filter(|d| {
                updated_before
                    .as_ref()
                    .is_none_or(|t| tkey(&d.updated_at) < tkey(t))
            })
            .filter(|d| {
                let f = d.finished_at.as_deref().map(tkey);
                finished_after
                    .as_ref()
                    .is_none_or(|t| f.is_some_and(|f| f > tkey(t)))
                    && finished_before
                        .as_ref()
                        .is_none_or(|t| f.is_some_and(|f| f < tkey(t)))
            })
            .collect();
        list.sort_by(|a, b| {
            let key = |d: &Deployment| -> (i128, String, u64) {
                match order_by.as_str() {
                    "iid" => (d.iid as i128, String::new(), d.id),
                    "created_at" => (tkey(&d.created_at), String::new(), d.id),
                    "updated_at" => (tkey(&d.updated_at), String::new(), d.id),
                    "finished_at" => (
                        d.finished_at.as_deref().map(tkey).unwrap_or(i128::MAX),
                        String::new(),
                        d.id,
                    ),
                    "ref" => (0, d.git_ref.clone(), d.id),
                    _ => (d.id as i128, String::new(), d.id),
                }
            };
            key(a).cmp(&key(b))
        });
        if sort == "desc" {
            list.reverse();
        }
        let items = list.iter().map(|d| self.deployment_json(d)).collect();
        self.page(req, &[("id", pid.to_string())], items)
    }

    fn members(&self, s: &State, req: &Req, gid: &str, all: bool) -> Resp {
        let Some(g) = s
            .groups
            .iter()
            .find(|g| g.path == gid || g.id.to_string() == gid)
        else {
            return msg(404, "404 Group Not Found");
        };
        let mut members: Vec<(String, u32)> = g.members.clone();
        if all {
            // Inherited from every ancestor group; the highest access level wins.
            let mut ancestors: Vec<&Group> = s
                .groups
                .iter()
                .filter(|a| g.path.starts_with(&format!("{}/", a.path)))
                .collect();
            ancestors.sort_by_key(|a| std::cmp::Reverse(a.path.len()));
            for a in ancestors {
                for (u, l) in &a.members {
                    match members.iter_mut().find(|(m, _)| m == u) {
                        Some(existing) => existing.1 = existing.1.max(*l),
                        None => members.push((u.clone(), *l)),
                    }
                }
            }
        }
        let items = members
            .iter()
            .map(|(u, l)| {
                let mut v = self.user_json(s, u);
                v["access_level"] = json!(l);
                v["created_at"] = Value::Null;
                v["expires_at"] = Value::Null;
                v["membership_state"] = json!("active");
                v
            })
            .collect();
        self.page(req, &[("id", gid.to_string())], items)
    }

    fn users(&self, s: &State, req: &Req) -> Resp {
        let search = req.param("search").map(|q| q.to_lowercase());
        let username = req.param("username").map(|q| q.to_lowercase());
        let items = s
            .users
            .iter()
            .filter(|u| {
                username
                    .as_ref()
                    .is_none_or(|n| u.username.to_lowercase() == *n)
            })
            .filter(|u| {
                search.as_ref().is_none_or(|q| {
                    (!u.public_email.is_empty() && u.public_email.to_lowercase() == *q)
                        || u.username.to_lowercase().contains(q.as_str())
                        || u.name.to_lowercase().contains(q.as_str())
                })
            })
            .map(|u| self.user_json(s, &u.username))
            .collect();
        self.page(req, &[], items)
    }

    /// GitLab's offset pagination: `per_page` (default 20, at most 100) and `page`, the
    /// `x-*` headers and a `Link` header whose URLs carry the route and query parameters
    /// (sorted, as Rails' `to_query` writes them).
    fn page(&self, req: &Req, route: &[(&str, String)], items: Vec<Value>) -> Resp {
        let per_page = match req.param("per_page") {
            None => 20,
            Some(v) => match v.parse::<i64>() {
                Ok(n) => n.clamp(1, 100) as usize,
                Err(_) => return param_error("per_page is invalid"),
            },
        };
        let page = match req.param("page") {
            None => 1,
            Some(v) => match v.parse::<i64>() {
                Ok(n) => n.max(1) as usize,
                Err(_) => return param_error("page is invalid"),
            },
        };
        let total = items.len();
        let pages = total.div_ceil(per_page).max(1);
        let chunk: Vec<Value> = items
            .into_iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .collect();
        let mut kept: Vec<(String, String)> = route
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        kept.extend(
            req.query
                .iter()
                .filter(|(k, _)| k != "page" && k != "per_page" && !route.iter().any(|r| r.0 == k))
                .cloned(),
        );
        let link_for = |p: usize| {
            let mut q = kept.clone();
            q.push(("page".into(), p.to_string()));
            q.push(("per_page".into(), per_page.to_string()));
            q.sort();
            let q: Vec<String> = q
                .iter()
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect();
            format!("<{}{}?{}>", self.url, req.path, q.join("&"))
        };
        let next = (page < pages).then_some(page + 1);
        let prev = (page > 1 && page <= pages).then(|| page - 1);
        let mut links = Vec::new();
        if let Some(p) = prev {
            links.push(format!("{}; rel=\"prev\"", link_for(p)));
        }
        if let Some(n) = next {
            links.push(format!("{}; rel=\"next\"", link_for(n)));
        }
        links.push(format!("{}; rel=\"first\"", link_for(1)));
        links.push(format!("{}; rel=\"last\"", link_for(pages)));
        let show = |o: Option<usize>| o.map(|p| p.to_string()).unwrap_or_default();
        let headers = vec![
            ("Link".to_string(), links.join(", ")),
            ("x-next-page".to_string(), show(next)),
            ("x-page".to_string(), page.to_string()),
            ("x-per-page".to_string(), per_page.to_string()),
            ("x-prev-page".to_string(), show(prev)),
            ("x-total".to_string(), total.to_string()),
            ("x-total-pages".to_string(), pages.to_string()),
        ];
        (200, headers, Value::Array(chunk).to_string())
    }

    // --- JSON ---

    fn user_json(&self, s: &State, username: &str) -> Value {
        let (id, name, state) = s
            .users
            .iter()
            .find(|u| u.username == username)
            .map(|u| (u.id, u.name.clone(), u.state.clone()))
            .unwrap_or((0, username.to_string(), "active".into()));
        json!({
            "id": id, "username": username, "name": name, "state": state, "locked": false,
            "avatar_url": null, "web_url": format!("{}/{username}", self.url),
        })
    }

    fn issue_json(&self, s: &State, i: &Issue) -> Value {
        let notes = s
            .notes
            .iter()
            .filter(|n| n.kind == Kind::Issue && n.iid == i.iid && !n.system)
            .count();
        json!({
            "id": i.id, "iid": i.iid, "project_id": PROJECT_ID, "title": i.title,
            "description": i.description, "state": i.state, "created_at": i.created_at,
            "updated_at": i.updated_at, "closed_at": i.closed_at,
            "closed_by": i.closed_by.as_deref().map(|u| self.user_json(s, u)),
            "labels": i.labels, "milestone": null, "assignees": [], "assignee": null,
            "author": self.user_json(s, &i.author), "type": "ISSUE", "issue_type": "issue",
            "user_notes_count": notes, "upvotes": 0, "downvotes": 0, "confidential": false,
            "discussion_locked": null, "due_date": null,
            "web_url": format!("{}/{PROJECT_PATH}/-/issues/{}", self.url, i.iid),
            "references": {"short": format!("#{}", i.iid), "relative": format!("#{}", i.iid),
                "full": format!("{PROJECT_PATH}#{}", i.iid)},
        })
    }

    fn note_json(&self, s: &State, n: &Note) -> Value {
        let (noteable_id, noteable_type) = match n.kind {
            Kind::Issue => (
                s.issues.iter().find(|i| i.iid == n.iid).map(|i| i.id),
                "Issue",
            ),
            Kind::MergeRequest => (
                s.mrs.iter().find(|m| m.iid == n.iid).map(|m| m.id),
                "MergeRequest",
            ),
        };
        json!({
            "id": n.id, "type": null, "body": n.body, "attachment": null,
            "author": self.user_json(s, &n.author), "created_at": n.created_at,
            "updated_at": n.updated_at, "system": n.system, "noteable_id": noteable_id,
            "noteable_type": noteable_type, "project_id": PROJECT_ID, "noteable_iid": n.iid,
            "resolvable": false, "confidential": false, "internal": false, "imported": false,
            "imported_from": "none", "commands_changes": {},
        })
    }

    fn mr_json(&self, s: &State, m: &MergeRequest) -> Value {
        json!({
            "id": m.id, "iid": m.iid, "project_id": PROJECT_ID, "title": m.title,
            "description": "", "state": m.state, "created_at": m.created_at,
            "updated_at": m.created_at, "source_branch": format!("feature-{}", m.iid),
            "target_branch": "main", "author": self.user_json(s, &m.author),
            "merged_by": m.merged_by.as_deref().map(|u| self.user_json(s, u)),
            "merge_user": m.merged_by.as_deref().map(|u| self.user_json(s, u)),
            "sha": m.sha, "merge_commit_sha": m.merge_commit_sha, "squash_commit_sha": null,
            "web_url": format!("{}/{PROJECT_PATH}/-/merge_requests/{}", self.url, m.iid),
            "references": {"short": format!("!{}", m.iid), "relative": format!("!{}", m.iid),
                "full": format!("{PROJECT_PATH}!{}", m.iid)},
        })
    }

    fn deployment_json(&self, d: &Deployment) -> Value {
        json!({
            "id": d.id, "iid": d.iid, "ref": d.git_ref, "sha": d.sha, "status": d.status,
            "created_at": d.created_at, "updated_at": d.updated_at,
            "finished_at": d.finished_at, "user": null, "deployable": null,
            "environment": {"id": 1, "name": d.env,
                "external_url": null, "state": "available", "tier": "production"},
        })
    }

    fn pipeline_json(&self, s: &State, p: &Pipeline) -> Value {
        json!({
            "id": p.id, "iid": p.id, "project_id": PROJECT_ID, "sha": p.sha, "ref": p.git_ref,
            "status": p.status, "source": "push", "created_at": p.created_at,
            "updated_at": p.created_at, "user": self.user_json(s, &p.user),
            "web_url": format!("{}/{PROJECT_PATH}/-/pipelines/{}", self.url, p.id),
        })
    }

    fn job_json(&self, s: &State, j: &Job) -> Value {
        let p = s.pipelines.iter().find(|p| p.id == j.pipeline);
        json!({
            "id": j.id, "name": j.name, "stage": j.stage, "status": j.status,
            "ref": p.map(|p| p.git_ref.clone()), "tag": false, "allow_failure": false,
            "created_at": j.created_at, "started_at": null, "finished_at": null,
            "user": self.user_json(s, &j.user),
            "pipeline": {"id": j.pipeline, "project_id": PROJECT_ID,
                "sha": p.map(|p| p.sha.clone()), "ref": p.map(|p| p.git_ref.clone()),
                "status": p.map(|p| p.status.clone())},
            "web_url": format!("{}/{PROJECT_PATH}/-/jobs/{}", self.url, j.id),
        })
    }
}

fn split_labels(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// Issue `search`. GitLab runs PostgreSQL full-text search for Latin-script queries
/// (`IssuableFinder::FULL_TEXT_SEARCH_TERM_REGEX`): characters outside `[a-zA-Z0-9 .@/-_"]`
/// become spaces, every word is a prefix query (`word:*`) and all must match; the indexed
/// text drops runs of 50+ `[A-Za-z0-9+/@]`. Approximated here with lower-case alphanumeric
/// tokens (no stemming, no stop words). Other scripts use ILIKE on each word (3+ chars).
fn search_matches(q: &str, texts: &[&str], substring: bool) -> bool {
    if substring {
        let q = q.to_lowercase();
        return texts.iter().any(|t| t.to_lowercase().contains(&q));
    }
    let latin = q.chars().all(|c| {
        let c = c as u32;
        c <= 0x02FF || (0x1E00..=0x1EFF).contains(&c) || (0x2070..=0x218F).contains(&c)
    });
    if !latin {
        let words: Vec<String> = q
            .split_whitespace()
            .filter(|w| w.chars().count() >= 3)
            .map(str::to_lowercase)
            .collect();
        let words = if words.is_empty() {
            vec![q.to_lowercase()]
        } else {
            words
        };
        return texts.iter().any(|t| {
            let t = t.to_lowercase();
            words.iter().all(|w| t.contains(w.as_str()))
        });
    }
    let tokens = |s: &str| -> Vec<String> {
        s.to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(String::from)
            .collect()
    };
    // Drop URL schemes, then disallowed characters.
    let mut query = q.to_string();
    while let Some(i) = query.find("://") {
        let start = query[..i]
            .rfind(|c: char| !c.is_alphanumeric() && c != '_')
            .map(|p| p + 1)
            .unwrap_or(0);
        query.replace_range(start..i + 3, "");
    }
    let query: String = query
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " .@/-_\"".contains(c) {
                c
            } else {
                ' '
            }
        })
        .collect();
    let wanted = tokens(&query);
    if wanted.is_empty() {
        return false;
    }
    let mut indexed = Vec::new();
    for t in texts {
        indexed.extend(tokens(&drop_long_words(t)));
    }
    wanted
        .iter()
        .all(|w| indexed.iter().any(|t| t.starts_with(w.as_str())))
}

/// Blanks runs of 50 or more `[A-Za-z0-9+/@]` (GitLab does not index them).
fn drop_long_words(s: &str) -> String {
    let is_word = |c: char| c.is_ascii_alphanumeric() || "+/@".contains(c);
    let mut out = String::new();
    let mut run = String::new();
    for c in s.chars() {
        if is_word(c) {
            run.push(c);
            continue;
        }
        out.push_str(if run.len() >= 50 { " " } else { &run });
        run.clear();
        out.push(c);
    }
    out.push_str(if run.len() >= 50 { " " } else { &run });
    out
}
