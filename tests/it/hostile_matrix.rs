//! The cross-verb hostile-input matrix of issue 9: every class of bad input tried in every
//! verb (detect-changes, plan, config validate/schema, gate, notify), through the binary as a
//! runner runs it (GitHub: `INPUT_*` with hyphens kept, `GITHUB_OUTPUT`, the step summary,
//! `GITHUB_EVENT_PATH`; GitLab: `CI_PIPELINE_SOURCE` and dotenv; a terminal), with no
//! network: API URLs point at a closed local port, so a valid call ends in exit 1 (an API
//! failure, never a decision) and a bad input must end in exit 2 before any call.
//!
//! Each case has a stable label `class/verb/platform/detail`; every case is asserted by the
//! `holds_*` test of its class. A failure prints the label and what the binary did (exit
//! code, stdout, stderr, GITHUB_OUTPUT).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::TestRepo;

// ---------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum P {
    Gh,
    Gl,
    Lo,
}

impl P {
    fn name(self) -> &'static str {
        match self {
            P::Gh => "github",
            P::Gl => "gitlab",
            P::Lo => "local",
        }
    }
}

const ALL: [P; 3] = [P::Gh, P::Gl, P::Lo];

/// How a standard stream of the child is set up.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Fd {
    /// Read by the test.
    Pipe,
    /// A pipe whose reader is gone (`| head -1` after head exited): writes get EPIPE.
    Broken,
    /// Not open at all (`>&-`): writes get EBADF.
    Closed,
}

#[derive(Clone)]
enum Event {
    /// `GITHUB_EVENT_NAME` and the bytes of the file at `GITHUB_EVENT_PATH`.
    Bytes(String, Vec<u8>),
    /// `GITHUB_EVENT_PATH` names a file that does not exist.
    Missing(String),
}

/// The closed local port every API URL points at.
const API: &str = "http://127.0.0.1:1";
/// The gate token (short on purpose: short secrets must not leak either).
const TOKEN: &str = "ghp_Tk7";

#[derive(Clone)]
struct Call {
    p: P,
    args: Vec<String>,
    env: Vec<(String, String)>,
    cwd: PathBuf,
    event: Option<Event>,
    mem_limit: bool,
    out: Fd,
    err: Fd,
    /// Extra bash redirections after the command (`3< <(cat file)`).
    redirect: String,
}

#[derive(Debug)]
struct Res {
    code: i32,
    stdout: String,
    stderr: String,
    output_file: String,
    summary: String,
    elapsed: Duration,
}

impl Res {
    fn text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
    fn brief(&self) -> String {
        let cut = |s: &str| -> String {
            let s: String = s.chars().take(600).collect();
            s.replace('\n', "⏎")
        };
        format!(
            "exit {} in {:.1?}; stdout: {}; stderr: {}; GITHUB_OUTPUT: {}",
            self.code,
            self.elapsed,
            cut(&self.stdout),
            cut(&self.stderr),
            cut(&self.output_file)
        )
    }
}

impl Call {
    fn new(p: P, cwd: &Path, args: &[&str]) -> Call {
        let mut env: Vec<(String, String)> = vec![];
        let mut set = |k: &str, v: &str| env.push((k.to_string(), v.to_string()));
        match p {
            P::Gh => {
                set("GITHUB_ACTIONS", "true");
                set("GITHUB_REPOSITORY", "o/r");
                set("GITHUB_REPOSITORY_OWNER", "o");
                set("GITHUB_API_URL", API);
                set("GITHUB_SERVER_URL", "https://github.com");
                set("GITHUB_RUN_ID", "7");
                set("GITHUB_ACTOR", "dev");
            }
            P::Gl => {
                set("GITLAB_CI", "true");
                set("CI_PIPELINE_SOURCE", "push");
                set("CI_PROJECT_ID", "1");
                set("CI_PROJECT_PATH", "o/r");
                set("CI_API_V4_URL", &format!("{API}/api/v4"));
                set("CI_SERVER_URL", "https://gitlab.example.com");
                set("CI_PIPELINE_ID", "7");
            }
            P::Lo => {
                set("GITHUB_REPOSITORY", "o/r");
                set("GITHUB_API_URL", API);
            }
        }
        Call {
            p,
            args: args.iter().map(|s| s.to_string()).collect(),
            env,
            cwd: cwd.to_path_buf(),
            event: None,
            mem_limit: false,
            out: Fd::Pipe,
            err: Fd::Pipe,
            redirect: String::new(),
        }
    }

    /// An input the runner's way: `INPUT_<NAME>` upper-cased, hyphens kept (GitLab: as
    /// underscores, since its variables cannot hold hyphens; locally: a flag).
    fn input(mut self, name: &str, value: &str) -> Call {
        match self.p {
            P::Gh => self
                .env
                .push((format!("INPUT_{}", name.to_uppercase()), value.to_string())),
            P::Gl => self.env.push((
                format!("INPUT_{}", name.to_uppercase().replace('-', "_")),
                value.to_string(),
            )),
            P::Lo => {
                if name == "dry-run" && self.args[0] == "gate" {
                    if value == "true" {
                        self.args.push("--dry-run".into());
                    }
                } else {
                    self.args.push(format!("--{name}={value}"));
                }
            }
        }
        self
    }

    /// Replaces an input set earlier.
    fn set(mut self, name: &str, value: &str) -> Call {
        let flag = format!("--{name}=");
        self.args.retain(|a| !a.starts_with(&flag));
        let k1 = format!("INPUT_{}", name.to_uppercase());
        let k2 = k1.replace('-', "_");
        self.env.retain(|(k, _)| *k != k1 && *k != k2);
        self.input(name, value)
    }

    fn env(mut self, k: &str, v: &str) -> Call {
        self.env.retain(|(key, _)| key != k);
        self.env.push((k.to_string(), v.to_string()));
        self
    }

    fn event(mut self, e: Event) -> Call {
        self.event = Some(e);
        self
    }

    fn fds(mut self, out: Fd, err: Fd) -> Call {
        self.out = out;
        self.err = err;
        self
    }

    fn redirect(mut self, r: &str) -> Call {
        self.redirect = r.to_string();
        self
    }

    fn mem(mut self) -> Call {
        self.mem_limit = true;
        self
    }

    fn run(&self) -> Res {
        let files = tempfile::tempdir().unwrap();
        let output = files.path().join("github_output");
        let summary = files.path().join("step_summary");
        std::fs::write(&output, "").unwrap();
        std::fs::write(&summary, "").unwrap();
        let mut line: Vec<String> = vec![crate::support::bin().to_string()];
        line.extend(self.args.iter().cloned());
        let mut redir = self.redirect.clone();
        if self.out == Fd::Closed {
            redir.push_str(" >&-");
        }
        if self.err == Fd::Closed {
            redir.push_str(" 2>&-");
        }
        if !redir.trim().is_empty() {
            let script = format!("exec \"$0\" \"$@\" {redir}");
            let mut l = vec!["bash".to_string(), "-c".into(), script];
            l.extend(line);
            line = l;
        }
        if self.mem_limit {
            let mut l = vec!["prlimit".to_string(), "--as=2147483648".into(), "--".into()];
            l.extend(line);
            line = l;
        }
        let mut l = vec![
            "timeout".to_string(),
            "-s".into(),
            "KILL".into(),
            "120".into(),
        ];
        l.extend(line);
        line = l;
        let mut cmd = Command::new(&line[0]);
        cmd.args(&line[1..]).current_dir(&self.cwd).env_clear();
        for keep in ["PATH", "HOME"] {
            if let Ok(v) = std::env::var(keep) {
                cmd.env(keep, v);
            }
        }
        if self.mem_limit {
            cmd.env("MALLOC_ARENA_MAX", "2");
        }
        if self.p == P::Gh {
            cmd.env("GITHUB_OUTPUT", &output)
                .env("GITHUB_STEP_SUMMARY", &summary);
        }
        match &self.event {
            Some(Event::Bytes(name, bytes)) => {
                let path = files.path().join("event.json");
                std::fs::write(&path, bytes).unwrap();
                cmd.env("GITHUB_EVENT_NAME", name)
                    .env("GITHUB_EVENT_PATH", &path);
            }
            Some(Event::Missing(name)) => {
                cmd.env("GITHUB_EVENT_NAME", name)
                    .env("GITHUB_EVENT_PATH", files.path().join("no-such-event.json"));
            }
            None => {}
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let stdio = |fd: Fd| -> Stdio {
            match fd {
                // Closed: bash closes it (`>&-`) before it runs the binary.
                Fd::Pipe | Fd::Closed => Stdio::piped(),
                Fd::Broken => {
                    let (reader, writer) = std::io::pipe().unwrap();
                    drop(reader);
                    Stdio::from(writer)
                }
            }
        };
        cmd.stdout(stdio(self.out))
            .stderr(stdio(self.err))
            .stdin(Stdio::null());
        let started = Instant::now();
        let out = cmd.output().expect("the binary runs");
        let elapsed = started.elapsed();
        drop(cmd);
        use std::os::unix::process::ExitStatusExt;
        let code = out
            .status
            .code()
            .unwrap_or_else(|| 128 + out.status.signal().unwrap_or(0));
        Res {
            code,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            output_file: std::fs::read_to_string(&output).unwrap_or_default(),
            summary: std::fs::read_to_string(&summary).unwrap_or_default(),
            elapsed,
        }
    }
}

// ---------------------------------------------------------------------------------------
// The world: a repository with a pipeline model, and each verb's valid call in it
// ---------------------------------------------------------------------------------------

const MODEL: &str = "version: 1
tiers: [main]
environments:
  - name: dev
  - name: staging
  - name: prod
    gate: prod
groups:
  backend: { paths: [\"services/{component}/**\"] }
components:
  api: { group: backend }
approvers:
  owners: { users: [alice] }
gates:
  prod:
    approvals:
      all_of: [ { group: owners } ]
    timeout: 1h
    after: { environment: staging, soak: 1h }
notify:
  targets:
    audit:
      kind: webhook
      url_env: AUDIT_HOOK_URL
";

struct World {
    repo: TestRepo,
    base: String,
}

impl World {
    fn new() -> World {
        World::with_model(MODEL)
    }

    fn with_model(model: &str) -> World {
        let repo = TestRepo::new();
        repo.write(".shipgate.yml", model)
            .write("services/api/main.go", "1");
        let base = repo.commit("base");
        repo.write("services/api/main.go", "2");
        repo.commit("change the api");
        World { repo, base }
    }

    fn path(&self) -> &Path {
        self.repo.path()
    }

    /// Writes a file into the repository (not committed).
    fn file(&self, name: &str, bytes: &[u8]) -> String {
        std::fs::write(self.path().join(name), bytes).unwrap();
        name.to_string()
    }
}

/// The verbs, each with a valid call that needs no network and the exit code it gives.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum V {
    Changes,
    Plan,
    Validate,
    Schema,
    Gate,
    Notify,
}

impl V {
    fn name(self) -> &'static str {
        match self {
            V::Changes => "detect-changes",
            V::Plan => "plan",
            V::Validate => "config-validate",
            V::Schema => "config-schema",
            V::Gate => "gate",
            V::Notify => "notify",
        }
    }
    fn area(self) -> &'static str {
        match self {
            V::Changes => "changes",
            V::Plan | V::Validate | V::Schema => "config",
            V::Gate => "gate",
            V::Notify => "notify",
        }
    }
    /// The exit code of the valid call: gate reaches the closed API port (1).
    fn ok_code(self) -> i32 {
        match self {
            V::Gate => 1,
            _ => 0,
        }
    }
}

const VERBS: [V; 6] = [
    V::Changes,
    V::Plan,
    V::Validate,
    V::Schema,
    V::Gate,
    V::Notify,
];
/// The verbs that read the pipeline model.
const MODEL_VERBS: [V; 5] = [V::Changes, V::Plan, V::Validate, V::Gate, V::Notify];

fn call(v: V, p: P, w: &World) -> Call {
    let dir = w.path();
    match v {
        V::Changes => Call::new(p, dir, &["detect-changes"])
            .input("filters", "api: 'services/api/**'")
            .input("base", &w.base),
        V::Plan => Call::new(p, dir, &["plan"]).input("env", "prod"),
        V::Validate => Call::new(p, dir, &["config", "validate"]),
        V::Schema => Call::new(p, dir, &["config", "schema"]),
        V::Gate => Call::new(p, dir, &["gate"])
            .input("secret", TOKEN)
            .input("approvers", "alice"),
        V::Notify => Call::new(p, dir, &["notify"])
            .input("status", "success")
            .input("dry-run", "true")
            .input("targets", "webhook")
            .input("webhook-url", "https://hooks.example.com/Zq9/x?k=Qw"),
    }
}

/// The call of a model-reading verb that reads `config` (a path) as its model.
fn call_with_config(v: V, p: P, w: &World, config: &str) -> Call {
    let c = call(v, p, w);
    match v {
        V::Changes => Call::new(p, w.path(), &["detect-changes"])
            .input("config", config)
            .input("base", &w.base),
        V::Gate => c
            .set("approvers", "")
            .input("policy", "prod")
            .input("config", config),
        V::Notify => c.input("config", config),
        _ => c.input("config", config),
    }
}

// ---------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------

type Check = Box<dyn Fn(&Res) -> Result<(), String> + Send + Sync>;

struct Case {
    label: String,
    area: &'static str,
    call: Call,
    check: Check,
    /// Kept alive while the case runs (its repository, its files).
    _keep: Option<Arc<World>>,
    heavy: bool,
}

fn case(label: String, area: &'static str, call: Call, check: Check, w: &Arc<World>) -> Case {
    Case {
        label,
        area,
        call,
        check,
        _keep: Some(w.clone()),
        heavy: false,
    }
}

fn no_crash(r: &Res) -> Result<(), String> {
    if [101, 134, 137, 139].contains(&r.code) || r.code > 128 || r.stderr.contains("panicked at") {
        return Err(format!("crashed: {}", r.brief()));
    }
    Ok(())
}

/// Every line of stdout and stderr is at most ~2 KB.
fn short_lines(r: &Res) -> Result<(), String> {
    for line in r.stdout.lines().chain(r.stderr.lines()) {
        if line.len() > 2200 {
            return Err(format!(
                "a line of {} bytes: {}…",
                line.len(),
                line.chars().take(200).collect::<String>()
            ));
        }
    }
    Ok(())
}

/// The error lines of a run: `::error…` on GitHub, `error…` / `ERROR` elsewhere.
fn error_lines(r: &Res) -> Vec<String> {
    r.text()
        .lines()
        .filter(|l| {
            let l = l.trim_start_matches(|c: char| {
                c == '\u{1b}' || c == '[' || c.is_ascii_digit() || c == ';' || c == 'm'
            });
            l.starts_with("::error") || l.starts_with("error") || l.contains("ERROR")
        })
        .map(str::to_string)
        .collect()
}

/// Nothing half-written: no step output, no dotenv report in the working directory.
fn nothing_written(r: &Res, dir: &Path) -> Result<(), String> {
    if !r.output_file.is_empty() {
        return Err(format!("GITHUB_OUTPUT was written: {}", r.brief()));
    }
    for name in ["shipgate.env", "shipgate-notify.env", "shipgate-child.yml"] {
        if dir.join(name).exists() {
            return Err(format!("{name} was written: {}", r.brief()));
        }
    }
    Ok(())
}

/// Exit 2 with one error line that names `input`, no crash, short lines.
fn bad_input(r: &Res, input: &str) -> Result<(), String> {
    no_crash(r)?;
    if r.code != 2 {
        return Err(format!(
            "expected exit 2 naming {input:?}, got {}",
            r.brief()
        ));
    }
    let errors = error_lines(r);
    if errors.is_empty() {
        return Err(format!("no error line: {}", r.brief()));
    }
    if !errors.iter().any(|l| l.contains(input)) {
        return Err(format!("no error line names {input:?}: {}", r.brief()));
    }
    if !r.output_file.is_empty() {
        return Err(format!("GITHUB_OUTPUT was written: {}", r.brief()));
    }
    short_lines(r)
}

fn code_is(r: &Res, codes: &[i32]) -> Result<(), String> {
    no_crash(r)?;
    if !codes.contains(&r.code) {
        return Err(format!("expected exit {codes:?}, got {}", r.brief()));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Running a table
// ---------------------------------------------------------------------------------------

fn run_cases(cases: Vec<Case>, select: impl Fn(&Case) -> bool) -> Vec<String> {
    let cases: Vec<Case> = cases.into_iter().filter(|c| select(c)).collect();
    let failures = Mutex::new(Vec::new());
    let (heavy, light): (Vec<&Case>, Vec<&Case>) = cases.iter().partition(|c| c.heavy);
    for (list, width) in [(light, 8usize), (heavy, 1usize)] {
        let next = Mutex::new(list.into_iter());
        std::thread::scope(|s| {
            for _ in 0..width {
                s.spawn(|| loop {
                    let Some(c) = next.lock().unwrap().next() else {
                        break;
                    };
                    let r = c.call.run();
                    if let Err(e) = (c.check)(&r) {
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("[{}] {}\n    {e}", c.area, c.label));
                    }
                });
            }
        });
    }
    let mut f = failures.into_inner().unwrap();
    f.sort();
    let labels: Vec<&String> = cases.iter().map(|c| &c.label).collect();
    let mut seen = std::collections::BTreeSet::new();
    for l in &labels {
        assert!(seen.insert(l.as_str()), "duplicate label {l}");
    }
    f
}

fn holds(cases: Vec<Case>) {
    let f = run_cases(cases, |_| true);
    assert!(
        f.is_empty(),
        "{} case(s) failed:\n{}",
        f.len(),
        f.join("\n")
    );
}

const CLASSES: [fn() -> Vec<Case>; 10] = [
    class1_numbers,
    class2_yaml_bombs,
    class3_closed_streams,
    class4_event_file,
    class5_output_names,
    class6_error_lines,
    class7_secrets,
    class8_pipes,
    class9_invalid_utf8,
    class10_same_message,
];

// ---------------------------------------------------------------------------------------
// Class 1: huge or odd numbers and durations
// ---------------------------------------------------------------------------------------

/// What kind of number an input wants.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Num {
    /// A whole number: 1.5 is bad.
    Int,
    /// Seconds, fractions allowed (1.5 is fine).
    Secs,
    /// A duration (`6h`, `30m`, or seconds): 1.5 may mean 1.5 s.
    Dur,
    /// A time (RFC 3339 or Unix seconds): -1 and 1.5 may be read as instants.
    Time,
}

const ODD: [(&str, &str); 7] = [
    ("1e20", "1e20"),
    ("minus1", "-1"),
    ("nan", "NaN"),
    ("inf", "inf"),
    ("20digits", "99999999999999999999"),
    ("frac", "1.5"),
    ("empty", ""),
];

/// The expectation for an odd value of a numeric input given as an input (empty means
/// "not given", so the verb's valid call runs).
fn odd_expect(kind: Num, tag: &str, ok: i32) -> Option<i32> {
    match (tag, kind) {
        ("empty", _) => Some(ok),
        ("frac", Num::Secs) => Some(ok),
        ("frac", Num::Dur) | ("frac", Num::Time) | ("minus1", Num::Time) => None,
        _ => Some(2),
    }
}

fn numeric_check(input: String, expect: Option<i32>, ok: i32) -> Check {
    Box::new(move |r| match expect {
        Some(2) => bad_input(r, &format!("'{input}'")),
        Some(code) => code_is(r, &[code]),
        None => {
            if r.code == 2 {
                bad_input(r, &format!("'{input}'"))
            } else {
                code_is(r, &[ok])
            }
        }
    })
}

/// A numeric input: its verb, name, kind, and the inputs that make it count.
type NumInput = (V, &'static str, Num, Vec<(&'static str, &'static str)>);

fn class1_numbers() -> Vec<Case> {
    let w = Arc::new(World::new());
    let mut cases = Vec::new();
    // (verb, input, kind, extra inputs that make the input count)
    let inputs: Vec<NumInput> = vec![
        (V::Changes, "initial-fetch-depth", Num::Int, vec![]),
        (
            V::Changes,
            "dir-names-max-depth",
            Num::Int,
            vec![("list-dirs", "true")],
        ),
        (V::Gate, "minimum-approvals", Num::Int, vec![]),
        (V::Gate, "polling-interval-seconds", Num::Secs, vec![]),
        (V::Gate, "timeout", Num::Dur, vec![]),
        (V::Gate, "wait-timer", Num::Dur, vec![]),
        (
            V::Gate,
            "after-soak",
            Num::Dur,
            vec![("after-environment", "staging")],
        ),
        (V::Gate, "issue-number", Num::Int, vec![("mode", "verify")]),
        (V::Gate, "veto", Num::Int, vec![]),
        (V::Notify, "started-at", Num::Time, vec![]),
        (
            V::Notify,
            "pr-number",
            Num::Int,
            vec![("targets", "github-comment"), ("github-token", TOKEN)],
        ),
        (
            V::Notify,
            "pr-number",
            Num::Int,
            vec![("targets", "gitlab-note"), ("gitlab-token", TOKEN)],
        ),
        (
            V::Notify,
            "deployment-id",
            Num::Int,
            vec![("targets", "github-deployment"), ("github-token", TOKEN)],
        ),
    ];
    for (v, input, kind, extra) in &inputs {
        for p in ALL {
            // GitHub targets run on GitHub and locally, GitLab ones on GitLab.
            let gitlab_target = extra.iter().any(|(_, t)| t.starts_with("gitlab"));
            let github_target = extra.iter().any(|(_, t)| t.starts_with("github"));
            if (gitlab_target && p != P::Gl) || (github_target && p == P::Gl) {
                continue;
            }
            for (tag, value) in ODD {
                let mut c = call(*v, p, &w);
                for (k, val) in extra {
                    c = c.set(k, val);
                }
                c = c.input(input, value);
                let expect = odd_expect(*kind, tag, v.ok_code());
                cases.push(case(
                    format!("numbers/{}/{}/{input}={tag}", v.name(), p.name()),
                    v.area(),
                    c,
                    numeric_check(input.to_string(), expect, v.ok_code()),
                    &w,
                ));
            }
        }
    }
    // Inline gate policy fields.
    let fields: [(&str, &str); 4] = [
        ("timeout", "timeout: {}"),
        ("wait", "wait: {}"),
        ("soak", "after: {{environment: staging, soak: {}}}"),
        ("min_total", "approvals: {{min_total: {}}}"),
    ];
    for (field, shape) in fields {
        for p in ALL {
            for (tag, value) in ODD {
                let v = if value.is_empty() {
                    "''".to_string()
                } else {
                    value.to_string()
                };
                let policy = format!(
                    "approvers: [alice]\n{}\n",
                    shape
                        .replace("{{", "{")
                        .replace("}}", "}")
                        .replacen("{}", &v, 1)
                );
                let c = call(V::Gate, p, &w)
                    .set("approvers", "")
                    .input("policy", &policy);
                let check: Check = if tag == "frac" && field != "min_total" {
                    Box::new(|r| {
                        if r.code == 2 {
                            bad_input(r, "'policy'")
                        } else {
                            code_is(r, &[1])
                        }
                    })
                } else {
                    Box::new(|r| bad_input(r, "'policy'"))
                };
                cases.push(case(
                    format!("numbers/gate/{}/policy.{field}={tag}", p.name()),
                    "gate",
                    c,
                    check,
                    &w,
                ));
            }
        }
    }
    // Odd times: windows, freezes, time zones (gate inputs), and the same windows and freezes
    // in .shipgate.yml, where `config validate` must reject what the gate rejects (item 9).
    let windows = [
        ("hour-25", "Mon-Fri 25:00-26:00"),
        ("empty-window", "Mon-Fri 09:00-09:00"),
        ("unknown-zone", "Mon-Fri 09:00-17:00 Europe/Nowhere"),
        ("unknown-day", "Xyz 09:00-17:00"),
        ("huge-hour", "Mon-Fri 99999999999999999999:00-01:00"),
    ];
    let freezes = [
        ("month-13", "2026-13-45..2027-01-01 x"),
        ("reversed", "2027-01-04..2026-12-20 x"),
        ("year-99999", "99999-01-01..99999-02-01 x"),
    ];
    for p in ALL {
        for (tag, value) in windows {
            cases.push(case(
                format!("numbers/gate/{}/windows={tag}", p.name()),
                "gate",
                call(V::Gate, p, &w).input("windows", value),
                Box::new(|r| bad_input(r, "'windows'")),
                &w,
            ));
        }
        for (tag, value) in freezes {
            cases.push(case(
                format!("numbers/gate/{}/freezes={tag}", p.name()),
                "gate",
                call(V::Gate, p, &w).input("freezes", value),
                Box::new(|r| bad_input(r, "'freezes'")),
                &w,
            ));
        }
        cases.push(case(
            format!("numbers/gate/{}/timezone=unknown", p.name()),
            "gate",
            call(V::Gate, p, &w).input("timezone", "Mars/Olympus"),
            Box::new(|r| bad_input(r, "'timezone'")),
            &w,
        ));
    }
    let model_cases: Vec<(String, String)> = windows
        .iter()
        .map(|(tag, v)| {
            (
                format!("windows={tag}"),
                format!("    windows: [\"{v}\"]\n"),
            )
        })
        .chain(
            [
                ("month-13", "2026-13-45", "2027-01-01"),
                ("reversed", "2027-01-04", "2026-12-20"),
                ("year-99999", "99999-01-01", "99999-02-01"),
            ]
            .iter()
            .map(|(tag, from, to)| {
                (
                    format!("freezes={tag}"),
                    format!("    freezes: [{{ from: \"{from}\", to: \"{to}\" }}]\n"),
                )
            }),
        )
        .collect();
    for (tag, line) in model_cases {
        let model = MODEL.replace(
            "      all_of: [ { group: owners } ]\n",
            &format!("      all_of: [ {{ group: owners }} ]\n{line}"),
        );
        let wm = Arc::new(World::with_model(&model));
        for v in [V::Validate, V::Gate] {
            let c = call_with_config(v, P::Gh, &wm, ".shipgate.yml");
            cases.push(case(
                format!("numbers/{}/github/shipgate.yml:gates.prod.{tag}", v.name()),
                "config",
                c,
                Box::new(|r| {
                    no_crash(r)?;
                    if r.code != 2 {
                        return Err(format!("expected exit 2, got {}", r.brief()));
                    }
                    short_lines(r)
                }),
                &wm,
            ));
        }
    }
    // The same fields in .shipgate.yml, read by every verb that reads the model.
    for (field, line) in [
        ("timeout", "    timeout: {}\n"),
        ("wait", "    wait: {}\n"),
        ("soak", "    after: {{ environment: staging, soak: {} }}\n"),
        ("min_total", "      min_total: {}\n"),
    ] {
        for (tag, value) in ODD {
            // A fraction is a fine duration (1.5 s); only a count must be whole.
            if tag == "frac" && field != "min_total" {
                continue;
            }
            let v = if value.is_empty() {
                "''".to_string()
            } else {
                value.to_string()
            };
            let line = line
                .replace("{{", "{")
                .replace("}}", "}")
                .replacen("{}", &v, 1);
            let model = MODEL
                .replace("    timeout: 1h\n", "")
                .replace("    after: { environment: staging, soak: 1h }\n", "")
                .replace(
                    "      all_of: [ { group: owners } ]\n",
                    &format!("      all_of: [ {{ group: owners }} ]\n{line}"),
                );
            let wm = Arc::new(World::with_model(&model));
            for v in MODEL_VERBS {
                for p in [P::Gh, P::Lo] {
                    let c = call_with_config(v, p, &wm, ".shipgate.yml");
                    cases.push(case(
                        format!(
                            "numbers/{}/{}/shipgate.yml:gates.prod.{field}={tag}",
                            v.name(),
                            p.name()
                        ),
                        // The model loader and its checks are the config area's.
                        "config",
                        c,
                        Box::new(|r| {
                            no_crash(r)?;
                            if r.code != 2 {
                                return Err(format!(
                                    "expected exit 2 (the model is invalid), got {}",
                                    r.brief()
                                ));
                            }
                            if !r.text().contains(".shipgate.yml:") {
                                return Err(format!("no file:line:col: {}", r.brief()));
                            }
                            short_lines(r)
                        }),
                        &wm,
                    ));
                }
            }
        }
    }
    cases
}

// ---------------------------------------------------------------------------------------
// Class 2: YAML alias bombs and deep nesting
// ---------------------------------------------------------------------------------------

/// An anchor of a 1 MB string aliased 10,000 times (10 GB expanded) under `key`.
fn alias_bomb(prefix: &str, list_key: &str, indent: &str) -> String {
    let mut yaml = format!("{prefix}: &a '{}'\n{list_key}:\n", "x".repeat(1_000_000));
    for _ in 0..10_000 {
        yaml.push_str(indent);
        yaml.push_str("- *a\n");
    }
    yaml
}

/// Billion laughs of a 1 KB string: 10^8 KB expanded, in a few hundred bytes (fits in
/// one environment variable).
fn laughs(key: &str) -> String {
    let mut yaml = format!("x-s: &s '{}'\n", "x".repeat(1000));
    let mut prev = "s".to_string();
    for level in 0..8 {
        let name = format!("l{level}");
        let items = vec![format!("*{prev}"); 10].join(", ");
        yaml.push_str(&format!("x-{name}: &{name} [{items}]\n"));
        prev = name;
    }
    yaml.push_str(&format!("{key}: *{prev}\n"));
    yaml
}

fn deep(key: &str, depth: usize) -> String {
    format!("{key}: {}{}\n", "[".repeat(depth), "]".repeat(depth))
}

fn bomb_check(limit: Duration) -> Check {
    Box::new(move |r| {
        no_crash(r)?;
        if r.elapsed > limit {
            return Err(format!(
                "took {:.1?} (limit {limit:?}): {}",
                r.elapsed,
                r.brief()
            ));
        }
        if r.code != 2 {
            return Err(format!("expected exit 2, got {}", r.brief()));
        }
        short_lines(r)
    })
}

fn heavy(mut c: Case) -> Case {
    c.heavy = true;
    c
}

fn class2_yaml_bombs() -> Vec<Case> {
    let w = Arc::new(World::new());
    let limit = Duration::from_secs(10);
    let mut cases = Vec::new();
    let model_bombs: Vec<(&str, String)> = vec![
        ("alias-1MBx10^4", {
            let mut m = alias_bomb("x-seed", "x-list", "  ");
            m.push_str(MODEL.trim_start_matches("version: 1\n"));
            format!("version: 1\n{m}")
        }),
        ("laughs", format!("{MODEL}{}", laughs("x-bomb"))),
        (
            "laughs-in-a-field",
            MODEL.replace("tiers: [main]\n", &laughs("tiers")),
        ),
        (
            "deep-nesting",
            format!("{MODEL}{}", deep("x-deep", 100_000)),
        ),
    ];
    for (tag, model) in &model_bombs {
        w.file(&format!("bomb-{tag}.yml"), model.as_bytes());
        for v in MODEL_VERBS {
            let c = call_with_config(v, P::Gh, &w, &format!("bomb-{tag}.yml")).mem();
            cases.push(heavy(case(
                format!("bombs/{}/github/shipgate.yml:{tag}", v.name()),
                v.area(),
                c,
                bomb_check(limit),
                &w,
            )));
        }
    }
    let filter_bombs: Vec<(&str, String)> = vec![
        ("alias-1MBx10^4", alias_bomb("seed", "api", "  ")),
        ("laughs", laughs("api")),
        ("deep-nesting", deep("api", 100_000)),
    ];
    for (tag, yaml) in &filter_bombs {
        w.file(&format!("filters-{tag}.yml"), yaml.as_bytes());
        let c = call(V::Changes, P::Gh, &w)
            .set("filters", &format!("filters-{tag}.yml"))
            .mem();
        cases.push(heavy(case(
            format!("bombs/detect-changes/github/filters:{tag}"),
            "changes",
            c,
            bomb_check(limit),
            &w,
        )));
        let template = format!("template-{tag}.yml");
        let t = yaml.replacen("api:", "job:\n  script:", 1);
        let t = if tag.starts_with("alias") {
            t.replace("\n  - *a", "\n    - *a")
        } else {
            t
        };
        w.file(&template, t.as_bytes());
        let c = call(V::Changes, P::Gl, &w)
            .input("child-pipeline-template", &template)
            .mem();
        cases.push(heavy(case(
            format!("bombs/detect-changes/gitlab/child-pipeline-template:{tag}"),
            "changes",
            c,
            bomb_check(limit),
            &w,
        )));
    }
    // Inline gate policy (one environment variable holds at most 128 KB).
    let policies: Vec<(&str, String)> = vec![
        (
            "laughs",
            format!("approvers: [alice]\n{}", laughs("x-bomb")),
        ),
        ("laughs-in-a-field", laughs("approvers")),
        (
            "deep-nesting",
            format!("approvers: [alice]\n{}", deep("x-deep", 50_000)),
        ),
    ];
    for (tag, policy) in &policies {
        for p in ALL {
            let c = call(V::Gate, p, &w)
                .set("approvers", "")
                .input("policy", policy)
                .mem();
            cases.push(heavy(case(
                format!("bombs/gate/{}/policy:{tag}", p.name()),
                "gate",
                c,
                bomb_check(limit),
                &w,
            )));
        }
    }
    // JSON inputs: deep nesting.
    let deep_json = format!("{}{}", "[".repeat(50_000), "]".repeat(50_000));
    w.file("changes-deep.json", deep_json.as_bytes());
    let json_inputs: Vec<(V, &str, String)> = vec![
        (V::Plan, "changes", "changes-deep.json".to_string()),
        (V::Notify, "components", deep_json.clone()),
        (V::Notify, "approvers", deep_json.clone()),
        (V::Gate, "dispatch-inputs", deep_json.clone()),
    ];
    for (v, input, value) in &json_inputs {
        let mut c = call(*v, P::Gh, &w).input(input, value).mem();
        if *input == "dispatch-inputs" {
            c = c.input("mode", "request");
        }
        let input = input.to_string();
        cases.push(heavy(case(
            format!("bombs/{}/github/{input}:deep-json", v.name()),
            v.area(),
            c,
            Box::new(move |r| {
                bomb_check(Duration::from_secs(10))(r)?;
                bad_input(r, &format!("'{input}'"))
            }),
            &w,
        )));
    }
    cases
}

// ---------------------------------------------------------------------------------------
// Class 3: closed or broken stdout and stderr
// ---------------------------------------------------------------------------------------

/// A bad input of each verb (exit 2).
fn bad_call(v: V, p: P, w: &World) -> Call {
    match v {
        V::Changes => call(v, p, w).input("list-files", "nope"),
        V::Plan => call(v, p, w).set("env", "nope"),
        V::Validate => call(v, p, w).input("config", "no-such.yml"),
        V::Schema => Call::new(p, w.path(), &["config", "schema", "--nope"]),
        V::Gate => call(v, p, w).input("mode", "nope"),
        V::Notify => call(v, p, w).set("status", "nope"),
    }
}

fn class3_closed_streams() -> Vec<Case> {
    let w = Arc::new(World::new());
    let mut cases = Vec::new();
    let modes = [
        ("stdout-broken", Fd::Broken, Fd::Pipe),
        ("stdout-closed", Fd::Closed, Fd::Pipe),
        ("stderr-broken", Fd::Pipe, Fd::Broken),
        ("stderr-closed", Fd::Pipe, Fd::Closed),
        ("both-broken", Fd::Broken, Fd::Broken),
        ("both-closed", Fd::Closed, Fd::Closed),
    ];
    for v in VERBS {
        for p in ALL {
            for (which, build, code) in [
                ("valid", call(v, p, &w), v.ok_code()),
                ("bad-input", bad_call(v, p, &w), 2),
            ] {
                for (tag, out, err) in modes {
                    let c = build.clone().fds(out, err);
                    let gh = p == P::Gh;
                    let codes = vec![code];
                    cases.push(case(
                        format!("streams/{}/{}/{which}/{tag}", v.name(), p.name()),
                        v.area(),
                        c,
                        Box::new(move |r| {
                            code_is(r, &codes)?;
                            // With fd 1 closed, the next file opened becomes fd 1: the log
                            // must not land in GITHUB_OUTPUT.
                            if gh
                                && r.output_file
                                    .lines()
                                    .any(|l| l.starts_with("::") || l.starts_with('#'))
                            {
                                return Err(format!("log lines in GITHUB_OUTPUT: {}", r.brief()));
                            }
                            Ok(())
                        }),
                        &w,
                    ));
                }
            }
        }
    }
    // plan on GitHub with its results in GITHUB_OUTPUT: stdout is only the log.
    for (tag, out, err) in modes {
        let c = call(V::Plan, P::Gh, &w)
            .input("format", "github")
            .fds(out, err);
        cases.push(case(
            format!("streams/plan/github/format-github/{tag}"),
            "platform",
            c,
            Box::new(|r| {
                code_is(r, &[0])?;
                if !r.output_file.contains("components") {
                    return Err(format!("no outputs written: {}", r.brief()));
                }
                Ok(())
            }),
            &w,
        ));
    }
    // Help and usage errors keep their codes too.
    for (tag, args, code) in [
        ("help", vec!["--help"], 0),
        ("usage", vec!["--no-such-flag"], 2),
    ] {
        for (mode, out, err) in modes {
            let c = Call::new(P::Lo, w.path(), &args).fds(out, err);
            cases.push(case(
                format!("streams/shipgate/local/{tag}/{mode}"),
                "platform",
                c,
                Box::new(move |r| code_is(r, &[code])),
                &w,
            ));
        }
    }
    cases
}

// ---------------------------------------------------------------------------------------
// Class 4: a bad event file
// ---------------------------------------------------------------------------------------

fn class4_event_file() -> Vec<Case> {
    let w = Arc::new(World::new());
    let mut cases = Vec::new();
    let events: Vec<(&str, Event)> = vec![
        ("missing", Event::Missing("push".into())),
        (
            "not-json",
            Event::Bytes("push".into(), b"{not json".to_vec()),
        ),
        ("empty", Event::Bytes("push".into(), Vec::new())),
        ("array", Event::Bytes("push".into(), b"[1, 2]".to_vec())),
        (
            "pr-wrong-shape",
            Event::Bytes("pull_request".into(), br#"{"pull_request": 5}"#.to_vec()),
        ),
    ];
    for v in [V::Changes, V::Gate, V::Notify] {
        for (tag, ev) in &events {
            let mut c = call(v, P::Gh, &w).event(ev.clone());
            if v == V::Notify {
                c = c
                    .set("targets", "webhook,github-comment")
                    .input("github-token", TOKEN);
            }
            cases.push(case(
                format!("event/{}/github/{tag}", v.name()),
                v.area(),
                c,
                Box::new(|r| {
                    bad_input(r, "GITHUB_EVENT_PATH").or_else(|e| {
                        if r.code == 2 && r.text().contains("event") {
                            Ok(())
                        } else {
                            Err(e)
                        }
                    })
                }),
                &w,
            ));
        }
    }
    // JSON handed from one verb to the next, in the wrong shape: exit 2 naming the input.
    for (name, bytes) in [
        ("components-number", &br#"{"components": 5}"#[..]),
        ("changes-number", br#"{"changes": 5}"#),
        ("array-of-numbers", b"[1, 2]"),
        ("not-json", b"{not json"),
        ("empty", b""),
    ] {
        let file = w.file(&format!("changes-{name}.json"), bytes);
        for p in [P::Gh, P::Lo] {
            cases.push(case(
                format!("json/plan/{}/changes:{name}", p.name()),
                "config",
                call(V::Plan, p, &w).input("changes", &file),
                Box::new(|r| bad_input(r, "'changes'")),
                &w,
            ));
        }
    }
    cases.push(case(
        "json/plan/github/changes:missing-file".into(),
        "config",
        call(V::Plan, P::Gh, &w).input("changes", "no-such-changes.json"),
        Box::new(|r| bad_input(r, "'changes'")),
        &w,
    ));
    for (v, input, value) in [
        (V::Notify, "components", r#"{"api": 1}"#),
        (V::Notify, "components", "[1, 2]"),
        (V::Notify, "approvers", r#"[{"login": 5}]"#),
        (V::Gate, "dispatch-inputs", "[1, 2]"),
        (V::Gate, "dispatch-inputs", r#"{"a": {"b": 1}}"#),
    ] {
        for p in [P::Gh, P::Lo] {
            let mut c = call(v, p, &w).input(input, value);
            if v == V::Gate {
                c = c
                    .input("mode", "request")
                    .input("dispatch-workflow", "deploy.yml");
            }
            let input = input.to_string();
            cases.push(case(
                format!("json/{}/{}/{input}:{value}", v.name(), p.name()),
                v.area(),
                c,
                Box::new(move |r| bad_input(r, &format!("'{input}'"))),
                &w,
            ));
        }
    }
    // GitLab: the comment webhook's payload file of evaluate mode.
    for (tag, bytes) in [("missing", None), ("not-json", Some(b"{not json".to_vec()))] {
        let mut c = call(V::Gate, P::Gl, &w)
            .input("mode", "evaluate")
            .input("dispatch-workflow", "deploy");
        let path = w.path().join(format!("trigger-{tag}.json"));
        if let Some(b) = bytes {
            std::fs::write(&path, b).unwrap();
        }
        c = c
            .env("CI_PIPELINE_SOURCE", "trigger")
            .env("TRIGGER_PAYLOAD", path.to_str().unwrap());
        cases.push(case(
            format!("event/gate/gitlab/TRIGGER_PAYLOAD-{tag}"),
            "gate",
            c,
            Box::new(|r| bad_input(r, "TRIGGER_PAYLOAD")),
            &w,
        ));
    }
    cases
}

// ---------------------------------------------------------------------------------------
// Class 5: output names from user text
// ---------------------------------------------------------------------------------------

const BAD_NAMES: [(&str, &str); 4] = [
    ("equals", "'a=b'"),
    ("heredoc", "'a<<b'"),
    ("newline", "\"a\\nb\""),
    ("empty", "''"),
];

fn class5_output_names() -> Vec<Case> {
    let mut cases = Vec::new();
    // Two names that become one output name (item 6): GitLab dotenv names are upper-cased
    // with `-` as `_`; GitHub output names are case-insensitive.
    for (tag, a, b) in [("dash-underscore", "a-b", "a_b"), ("case", "main", "Main")] {
        let model = MODEL
            .replace("tiers: [main]", &format!("tiers: [main, {a}, {b}]"))
            .replace(
                "  api: { group: backend }",
                &format!(
                    "  api: {{ group: backend, tier: main }}\n  web: {{ group: backend, tier: {a} }}\n  db: {{ group: backend, tier: {b} }}"
                ),
            )
            .replace("tiers: [main, main, Main]", "tiers: [main, Main]")
            .replace("  web: { group: backend, tier: main }\n", "");
        for p in [P::Gh, P::Gl] {
            let w = Arc::new(World::with_model(&model));
            let format = if p == P::Gh { "github" } else { "dotenv" };
            for (v, c) in [
                (V::Validate, call(V::Validate, p, &w)),
                (V::Plan, call(V::Plan, p, &w).input("format", format)),
                (
                    V::Changes,
                    call_with_config(V::Changes, p, &w, ".shipgate.yml"),
                ),
            ] {
                // Not a collision there: GitHub names keep `-` and `_` apart, and
                // detect-changes' GitLab names keep the case.
                let distinct = matches!(
                    (v, p, tag),
                    (V::Changes | V::Plan, P::Gh, "dash-underscore") | (V::Changes, P::Gl, "case")
                );
                if distinct {
                    continue;
                }
                let w2 = w.clone();
                let (a, b) = (a.to_string(), b.to_string());
                cases.push(case(
                    format!("names/{}/{}/tiers-collide:{tag}", v.name(), p.name()),
                    if v == V::Changes { "changes" } else { v.area() },
                    c,
                    Box::new(move |r| {
                        no_crash(r)?;
                        if r.code != 2 {
                            return Err(format!(
                                "expected exit 2 naming tiers {a:?} and {b:?}, got {}",
                                r.brief()
                            ));
                        }
                        let t = r.text();
                        if !(t.contains(&a) && t.contains(&b)) {
                            return Err(format!("the error does not name both: {}", r.brief()));
                        }
                        nothing_written(r, w2.path())
                    }),
                    &w,
                ));
            }
        }
    }
    for (tag, name) in BAD_NAMES {
        for p in [P::Gh, P::Gl] {
            // Filter names.
            let w = Arc::new(World::new());
            let c = call(V::Changes, p, &w).set(
                "filters",
                &format!("api: 'services/**'\n{name}: 'services/**'\n"),
            );
            let w2 = w.clone();
            cases.push(case(
                format!("names/detect-changes/{}/filter:{tag}", p.name()),
                "changes",
                c,
                Box::new(move |r| {
                    bad_input(r, "filters")?;
                    nothing_written(r, w2.path())
                }),
                &w,
            ));
            // Component, group and tier names in the model.
            let models = [
                (
                    "component",
                    MODEL.replace(
                        "  api: { group: backend }",
                        &format!("  api: {{ group: backend }}\n  {name}: {{ group: backend }}"),
                    ),
                ),
                (
                    "group",
                    MODEL.replace(
                        "  backend: { paths",
                        &format!("  {name}: {{ paths: [x/**] }}\n  backend: {{ paths"),
                    ),
                ),
                (
                    "tier",
                    MODEL.replace("tiers: [main]", &format!("tiers: [main, {name}]")),
                ),
                (
                    "notify-target",
                    MODEL.replace(
                        "    audit:\n",
                        &format!(
                            "    {name}:\n      kind: webhook\n      url_env: X_URL\n    audit:\n"
                        ),
                    ),
                ),
            ];
            for (what, model) in models {
                let w = Arc::new(World::with_model(&model));
                let mut verbs = vec![
                    (V::Validate, call(V::Validate, p, &w)),
                    (
                        V::Changes,
                        call_with_config(V::Changes, p, &w, ".shipgate.yml"),
                    ),
                    (
                        V::Plan,
                        call(V::Plan, p, &w)
                            .input("format", if p == P::Gh { "github" } else { "dotenv" }),
                    ),
                ];
                if what == "notify-target" {
                    verbs.push((
                        V::Notify,
                        call(V::Notify, p, &w)
                            .set("targets", "")
                            .env("X_URL", "https://h.example.com/x")
                            .env("AUDIT_HOOK_URL", "https://h.example.com/y"),
                    ));
                }
                for (v, c) in verbs {
                    let w2 = w.clone();
                    cases.push(case(
                        format!("names/{}/{}/{what}:{tag}", v.name(), p.name()),
                        if v == V::Changes { "changes" } else { v.area() },
                        c,
                        Box::new(move |r| {
                            no_crash(r)?;
                            if r.code != 2 {
                                return Err(format!("expected exit 2, got {}", r.brief()));
                            }
                            short_lines(r)?;
                            nothing_written(r, w2.path())
                        }),
                        &w,
                    ));
                }
            }
        }
    }
    cases
}

// ---------------------------------------------------------------------------------------
// Class 6: error lines stay one short line; no workflow command from user text
// ---------------------------------------------------------------------------------------

/// A value that, printed raw on GitHub, would run two workflow commands.
const INJECT: &str = "x\n::warning::INJECTED\n::stop-commands::INJECTED\ny";

/// On GitHub: no line outside a `stop-commands` block starts one of our injected commands.
fn no_injection(r: &Res) -> Result<(), String> {
    let mut stopped: Option<String> = None;
    for line in r.stdout.lines() {
        if let Some(tok) = &stopped {
            if line == format!("::{tok}::") {
                stopped = None;
            }
            continue;
        }
        if line.starts_with("::warning::INJECTED") || line.starts_with("::stop-commands::INJECTED")
        {
            return Err(format!(
                "a workflow command from user text: {line:?}: {}",
                r.brief()
            ));
        }
        if let Some(tok) = line.strip_prefix("::stop-commands::") {
            stopped = Some(tok.to_string());
        }
    }
    Ok(())
}

fn one_line_check(gh: bool, expect: &'static [i32]) -> Check {
    Box::new(move |r| {
        code_is(r, expect)?;
        short_lines(r)?;
        for l in error_lines(r) {
            if l.contains("INJECTED") && !l.contains("\\n") {
                return Err(format!("user text in an error line is not escaped: {l:?}"));
            }
        }
        if gh {
            no_injection(r)?;
        } else if r.code == 2 {
            // An error split at the value's newline leaves its tail on a line of its own.
            for line in r.stdout.lines().chain(r.stderr.lines()) {
                if line.starts_with("::warning::INJECTED") {
                    return Err(format!("an error line was split: {}", r.brief()));
                }
            }
        }
        Ok(())
    })
}

fn class6_error_lines() -> Vec<Case> {
    let w = Arc::new(World::new());
    let mut cases = Vec::new();
    let big = "y".repeat(100_000);
    let bad_values: Vec<(&str, String)> =
        vec![("newline", INJECT.to_string()), ("100KB", big.clone())];
    let inputs: Vec<(V, &str)> = vec![
        (V::Changes, "list-files"),
        (V::Changes, "predicate-quantifier"),
        (V::Changes, "glob-dialect"),
        (V::Changes, "base"),
        (V::Plan, "env"),
        (V::Plan, "tier"),
        (V::Plan, "format"),
        (V::Plan, "diff"),
        (V::Plan, "changes"),
        (V::Validate, "config"),
        (V::Gate, "mode"),
        (V::Gate, "timeout"),
        (V::Gate, "exclude"),
        (V::Gate, "windows"),
        (V::Gate, "freezes"),
        (V::Gate, "timezone"),
        (V::Gate, "policy"),
        (V::Gate, "config"),
        (V::Gate, "issue-body-file-path"),
        (V::Notify, "status"),
        (V::Notify, "targets"),
        (V::Notify, "started-at"),
        (V::Notify, "mention-on"),
        (V::Notify, "config"),
        (V::Notify, "webhook-template"),
        (V::Changes, "config"),
        (V::Plan, "config"),
    ];
    for (v, input) in &inputs {
        for p in ALL {
            for (tag, value) in &bad_values {
                let mut c = call(*v, p, &w);
                if *input == "env" || *input == "status" {
                    c = c.set(input, value);
                } else if *input == "config" && *v == V::Changes {
                    c = call_with_config(*v, p, &w, value);
                } else {
                    c = c.input(input, value);
                }
                // Every one of these is a bad input, except a policy or base that happens to parse.
                let expect: &'static [i32] = match *input {
                    "base" => &[1, 2],
                    _ => &[2],
                };
                cases.push(case(
                    format!("lines/{}/{}/{input}:{tag}", v.name(), p.name()),
                    v.area(),
                    c,
                    one_line_check(p == P::Gh, expect),
                    &w,
                ));
            }
        }
    }
    // GitLab: user text that would open or close a collapsible log section.
    let section = "x\u{1b}[0Ksection_start:1:INJECTED[collapsed=true]\r\u{1b}[0Ky";
    for (v, input) in [
        (V::Changes, "list-files"),
        (V::Plan, "env"),
        (V::Gate, "mode"),
        (V::Notify, "status"),
        (V::Notify, "message"),
    ] {
        let c = if matches!(input, "env" | "status") {
            call(v, P::Gl, &w).set(input, section)
        } else {
            call(v, P::Gl, &w).input(input, section)
        };
        let expect: &'static [i32] = if input == "message" { &[0] } else { &[2] };
        cases.push(case(
            format!("lines/{}/gitlab/{input}:section-marker", v.name()),
            v.area(),
            c,
            Box::new(move |r| {
                code_is(r, expect)?;
                short_lines(r)?;
                if r.text().contains("\u{1b}[0Ksection_start:1:INJECTED") {
                    return Err(format!(
                        "a raw GitLab section marker from user text: {}",
                        r.brief()
                    ));
                }
                Ok(())
            }),
            &w,
        ));
    }
    // YAML syntax errors: one clean line (no library advice), user text not a command.
    let yaml_errors: [(&str, &str); 3] = [
        (
            "duplicate-key",
            "'::warning::INJECTED': [alice]\n'::warning::INJECTED': [bob]\n",
        ),
        ("unclosed", "approvers: ['::warning::INJECTED'\n"),
        ("tab", "approvers:\n\t- '::warning::INJECTED'\n"),
    ];
    let yaml_check = |gh: bool| -> Check {
        Box::new(move |r| {
            code_is(r, &[2])?;
            short_lines(r)?;
            let errors = error_lines(r);
            if errors.is_empty() {
                return Err(format!("no error line: {}", r.brief()));
            }
            for l in &errors {
                if l.contains("DuplicateKeyPolicy") || l.contains("Options") || l.contains("serde")
                {
                    return Err(format!("library advice in the message: {l:?}"));
                }
            }
            if gh {
                no_injection(r)?;
            }
            Ok(())
        })
    };
    for (tag, yaml) in yaml_errors {
        for p in ALL {
            cases.push(case(
                format!("lines/gate/{}/policy-yaml:{tag}", p.name()),
                "gate",
                call(V::Gate, p, &w)
                    .set("approvers", "")
                    .input("policy", yaml),
                yaml_check(p == P::Gh),
                &w,
            ));
            cases.push(case(
                format!("lines/detect-changes/{}/filters-yaml:{tag}", p.name()),
                "changes",
                call(V::Changes, p, &w).set("filters", yaml),
                yaml_check(p == P::Gh),
                &w,
            ));
        }
        let file = w.file(
            &format!("yaml-error-{tag}.yml"),
            format!("{MODEL}{yaml}").as_bytes(),
        );
        for v in MODEL_VERBS {
            cases.push(case(
                format!("lines/{}/github/shipgate.yml-yaml:{tag}", v.name()),
                v.area(),
                call_with_config(v, P::Gh, &w, &file),
                yaml_check(true),
                &w,
            ));
        }
    }
    // 10 MB values in files.
    let ten = "z".repeat(10_000_000);
    let model = MODEL.replace(
        "  api: { group: backend }",
        &format!("  api: {{ group: '{ten}' }}"),
    );
    w.file("ten-mb.yml", model.as_bytes());
    for v in MODEL_VERBS {
        for p in [P::Gh, P::Lo] {
            let c = call_with_config(v, p, &w, "ten-mb.yml");
            cases.push(case(
                format!("lines/{}/{}/shipgate.yml:10MB-value", v.name(), p.name()),
                v.area(),
                c,
                one_line_check(p == P::Gh, &[2]),
                &w,
            ));
        }
    }
    w.file("ten-mb-filters.yml", format!("api: '{ten}['\n").as_bytes());
    w.file("ten-mb-body.md", ten.as_bytes());
    w.file("ten-mb-template.j2", format!("{{{{ {ten} }}}}").as_bytes());
    for p in [P::Gh, P::Lo] {
        cases.push(case(
            format!("lines/detect-changes/{}/filters:10MB-glob", p.name()),
            "changes",
            call(V::Changes, p, &w).set("filters", "ten-mb-filters.yml"),
            one_line_check(p == P::Gh, &[2]),
            &w,
        ));
        cases.push(case(
            format!(
                "lines/notify/{}/webhook-template:10MB-undefined-name",
                p.name()
            ),
            "notify",
            call(V::Notify, p, &w).input("webhook-template", "ten-mb-template.j2"),
            one_line_check(p == P::Gh, &[2]),
            &w,
        ));
    }
    // User text printed on a run that succeeds: file names, commit messages.
    let hw = Arc::new(World::new());
    hw.repo.write(
        "services/api/x\n::warning::INJECTED\n::stop-commands::INJECTED\ny.go",
        "1",
    );
    hw.repo
        .commit("deploy\n::warning::INJECTED\n::stop-commands::INJECTED\nend");
    let head = hw.repo.head();
    let dc = call(V::Changes, P::Gh, &hw)
        .set("base", &format!("{head}~1"))
        .input("list-files", "shell");
    cases.push(case(
        "lines/detect-changes/github/file-name-and-commit-message".into(),
        "changes",
        dc,
        one_line_check(true, &[0]),
        &hw,
    ));
    let nt = call(V::Notify, P::Gh, &hw)
        .env("GITHUB_SHA", &head)
        .input("message", INJECT)
        .input("version", INJECT)
        .input("environment", INJECT);
    cases.push(case(
        "lines/notify/github/commit-message-and-inputs".into(),
        "notify",
        nt,
        one_line_check(true, &[0]),
        &hw,
    ));
    // API error bodies with workflow commands in them.
    let server = echo_server_with(400, INJECT);
    let api = echo_server_with(401, INJECT);
    for p in [P::Gh, P::Gl] {
        cases.push(case(
            format!("lines/notify/{}/webhook-error-body", p.name()),
            "notify",
            call(V::Notify, p, &hw)
                .set("dry-run", "false")
                .set("webhook-url", &format!("{server}/hook")),
            one_line_check(p == P::Gh, &[0]),
            &hw,
        ));
        let gate = match p {
            P::Gl => call(V::Gate, p, &hw).env("CI_API_V4_URL", &format!("{api}/api/v4")),
            _ => call(V::Gate, p, &hw).env("GITHUB_API_URL", &api),
        };
        cases.push(case(
            format!("lines/gate/{}/api-error-body", p.name()),
            "gate",
            gate,
            one_line_check(p == P::Gh, &[1]),
            &hw,
        ));
    }
    let gt = call(V::Gate, P::Gh, &hw)
        .env("GITHUB_SHA", &head)
        .input("issue-title", INJECT)
        .input("issue-body", INJECT)
        .input("environment", INJECT);
    cases.push(case(
        "lines/gate/github/commit-message-and-inputs".into(),
        "gate",
        gt,
        one_line_check(true, &[1, 2]),
        &hw,
    ));
    cases
}

// ---------------------------------------------------------------------------------------
// Class 7: secrets never appear
// ---------------------------------------------------------------------------------------

fn secret_check(secrets: Vec<&'static str>, expect: &'static [i32]) -> Check {
    Box::new(move |r| {
        code_is(r, expect)?;
        for s in &secrets {
            let leaks = |text: &str| {
                text.lines()
                    .any(|l| !l.starts_with("::add-mask::") && l.contains(s))
            };
            for (sink, text) in [
                ("stdout", &r.stdout),
                ("stderr", &r.stderr),
                ("GITHUB_OUTPUT", &r.output_file),
                ("step summary", &r.summary),
            ] {
                if leaks(text) {
                    return Err(format!("secret {s:?} appears in {sink}: {}", r.brief()));
                }
            }
        }
        Ok(())
    })
}

fn class7_secrets() -> Vec<Case> {
    let w = Arc::new(World::new());
    let mut cases = Vec::new();
    for p in ALL {
        let n = |c: Call| c.set("dry-run", "false");
        let list: Vec<(&str, Call, Vec<&'static str>, &'static [i32])> = vec![
            (
                "webhook-url:closed-port",
                n(call(V::Notify, p, &w))
                    .set("webhook-url", "http://127.0.0.1:1/hooks/Zq9?key=Qw4"),
                vec!["Zq9", "Qw4"],
                &[0],
            ),
            (
                "webhook-url:closed-port-strict",
                n(call(V::Notify, p, &w))
                    .set("webhook-url", "http://127.0.0.1:1/hooks/Zq9?key=Qw4")
                    .input("strict", "true"),
                vec!["Zq9", "Qw4"],
                &[1],
            ),
            (
                "webhook-url:not-a-url",
                n(call(V::Notify, p, &w)).set("webhook-url", "ftp//Zq9Xw/Qw4"),
                vec!["Zq9Xw", "Qw4"],
                &[2],
            ),
            (
                "webhook-url:dry-run",
                call(V::Notify, p, &w)
                    .set("webhook-url", "https://hooks.example.com/Zq9/a?key=Qw4"),
                vec!["Zq9", "Qw4"],
                &[0],
            ),
            (
                "webhook-secret:dry-run",
                call(V::Notify, p, &w).input("webhook-secret", "Hs8Kj"),
                vec!["Hs8Kj"],
                &[0],
            ),
            (
                "slack-webhook-url:closed-port",
                n(call(V::Notify, p, &w))
                    .set("targets", "slack")
                    .set("webhook-url", "")
                    .input("slack-webhook-url", "http://127.0.0.1:1/services/T0/B1/Sx7"),
                vec!["Sx7", "T0/B1"],
                &[0],
            ),
            (
                "teams-webhook-url:closed-port",
                n(call(V::Notify, p, &w))
                    .set("targets", "teams")
                    .set("webhook-url", "")
                    .input(
                        "teams-webhook-url",
                        "http://127.0.0.1:1/workflows/Tm5?sig=Sg6",
                    ),
                vec!["Tm5", "Sg6"],
                &[0],
            ),
            (
                "slack-token:closed-port",
                n(call(V::Notify, p, &w))
                    .set("targets", "slack")
                    .set("webhook-url", "")
                    .input("slack-token", "xoxb-Sk1")
                    .input("slack-channel", "C123")
                    .input("slack-api-url", API),
                vec!["xoxb-Sk1"],
                &[0],
            ),
            (
                "named-target-url-env:closed-port",
                n(call(V::Notify, p, &w))
                    .set("targets", "audit")
                    .set("webhook-url", "")
                    .env("AUDIT_HOOK_URL", "http://127.0.0.1:1/audit/Au3"),
                vec!["Au3"],
                &[0],
            ),
        ];
        for (tag, c, secrets, expect) in list {
            cases.push(case(
                format!("secrets/notify/{}/{tag}", p.name()),
                "notify",
                c,
                secret_check(secrets, expect),
                &w,
            ));
        }
        if p != P::Lo {
            let github_token = n(call(V::Notify, p, &w))
                .set(
                    "targets",
                    if p == P::Gh {
                        "github-status"
                    } else {
                        "gitlab-status"
                    },
                )
                .set("webhook-url", "")
                .input(
                    if p == P::Gh {
                        "github-token"
                    } else {
                        "gitlab-token"
                    },
                    "Gt2x",
                )
                .input("sha", &w.base)
                .input("strict", "true");
            cases.push(case(
                format!("secrets/notify/{}/forge-token:closed-port", p.name()),
                "notify",
                github_token,
                secret_check(vec!["Gt2x"], &[1]),
                &w,
            ));
        }
        // Gate: the token on an API failure, and a bad App key.
        cases.push(case(
            format!("secrets/gate/{}/secret:closed-port", p.name()),
            "gate",
            call(V::Gate, p, &w),
            secret_check(vec![TOKEN], &[1]),
            &w,
        ));
        cases.push(case(
            format!("secrets/gate/{}/secret:bad-input", p.name()),
            "gate",
            call(V::Gate, p, &w).input("mode", "nope"),
            secret_check(vec![TOKEN], &[2]),
            &w,
        ));
        if p != P::Gl {
            cases.push(case(
                format!("secrets/gate/{}/app-private-key:garbage", p.name()),
                "gate",
                call(V::Gate, p, &w)
                    .set("secret", "")
                    .input("app-id", "123")
                    .input("app-private-key", "-----BEGIN RSA PRIVATE KEY-----\nPk9Garbage\n-----END RSA PRIVATE KEY-----"),
                secret_check(vec!["Pk9Garbage"], &[1, 2]),
                &w,
            ));
        }
    }
    // detect-changes: the token on an API failure (use-api on a pull request).
    let pr = serde_json::json!({
        "pull_request": {"number": 5, "base": {"ref": "main", "sha": w.base}, "head": {"ref": "f", "sha": w.repo.head()}},
        "repository": {"default_branch": "main"}
    });
    cases.push(case(
        "secrets/detect-changes/github/token:closed-port".into(),
        "changes",
        call(V::Changes, P::Gh, &w)
            .set("base", "")
            .input("token", "Dc4t")
            .input("use-api", "true")
            .event(Event::Bytes(
                "pull_request".into(),
                serde_json::to_vec(&pr).unwrap(),
            )),
        secret_check(vec!["Dc4t"], &[1]),
        &w,
    ));
    cases.extend(secrets_echoed());
    cases
}

/// A local server that answers every request with `status` and a body that echoes the
/// request line and headers (as a misconfigured proxy or a chatty API does); returns its URL.
fn echo_server(status: u16) -> String {
    echo_server_with(status, "")
}

/// [`echo_server`] whose error message also carries `extra`.
fn echo_server_with(status: u16, extra: &'static str) -> String {
    use std::io::{BufRead, BufReader, Read};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut head = String::new();
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    head.push_str(&line);
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                // With `extra`, a raw text body: its newlines reach the client as they are.
                let echo = if extra.is_empty() {
                    serde_json::json!({
                        "message": format!("rejected: {head}"),
                        "error": head,
                    })
                    .to_string()
                } else {
                    format!("rejected: {extra}")
                };
                let reason = if status == 400 {
                    "Bad Request"
                } else {
                    "Unauthorized"
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{echo}",
                    echo.len()
                );
            });
        }
    });
    url
}

/// Item 12: the server echoes the URL (and the headers) in its error body; no secret of it
/// may reach the log, the outputs or the summary, whatever its length.
fn secrets_echoed() -> Vec<Case> {
    let w = Arc::new(World::new());
    let url = echo_server(400);
    let api = echo_server(401);
    let mut cases = Vec::new();
    for p in ALL {
        let n = |c: Call| c.set("dry-run", "false");
        let list: Vec<(&str, Call, Vec<&'static str>, &'static [i32])> = vec![
            (
                "webhook-url",
                n(call(V::Notify, p, &w)).set("webhook-url", &format!("{url}/hooks/Zq9?key=Qw4")),
                vec!["Zq9", "Qw4"],
                &[0],
            ),
            (
                "webhook-url-strict",
                n(call(V::Notify, p, &w))
                    .set("webhook-url", &format!("{url}/hooks/Zq9?key=Qw4"))
                    .input("strict", "true"),
                vec!["Zq9", "Qw4"],
                &[1],
            ),
            (
                "webhook-secret",
                n(call(V::Notify, p, &w))
                    .set("webhook-url", &format!("{url}/hooks/Zq9?key=Qw4"))
                    .input("webhook-secret", "Hs8Kj"),
                vec!["Zq9", "Qw4", "Hs8Kj"],
                &[0],
            ),
            (
                "slack-webhook-url",
                n(call(V::Notify, p, &w))
                    .set("targets", "slack")
                    .set("webhook-url", "")
                    .input("slack-webhook-url", &format!("{url}/services/T0/B1/Sx7")),
                vec!["Sx7", "T0/B1"],
                &[0],
            ),
            (
                "teams-webhook-url",
                n(call(V::Notify, p, &w))
                    .set("targets", "teams")
                    .set("webhook-url", "")
                    .input("teams-webhook-url", &format!("{url}/workflows/Tm5?sig=Sg6")),
                vec!["Tm5", "Sg6"],
                &[0],
            ),
            (
                "slack-token",
                n(call(V::Notify, p, &w))
                    .set("targets", "slack")
                    .set("webhook-url", "")
                    .input("slack-token", "xoxb-Sk1")
                    .input("slack-channel", "C123")
                    .input("slack-api-url", &api),
                vec!["xoxb-Sk1"],
                &[0],
            ),
            (
                "named-target-url-env",
                n(call(V::Notify, p, &w))
                    .set("targets", "audit")
                    .set("webhook-url", "")
                    .env("AUDIT_HOOK_URL", &format!("{url}/audit/Au3")),
                vec!["Au3"],
                &[0],
            ),
        ];
        for (tag, c, secrets, expect) in list {
            cases.push(case(
                format!("secrets/notify/{}/{tag}:server-echoes-it", p.name()),
                "notify",
                c,
                secret_check(secrets, expect),
                &w,
            ));
        }
        let gate = match p {
            P::Gl => call(V::Gate, p, &w).env("CI_API_V4_URL", &format!("{api}/api/v4")),
            _ => call(V::Gate, p, &w).env("GITHUB_API_URL", &api),
        };
        cases.push(case(
            format!("secrets/gate/{}/secret:server-echoes-it", p.name()),
            "gate",
            gate,
            secret_check(vec![TOKEN], &[1]),
            &w,
        ));
        if p == P::Gh {
            let status = n(call(V::Notify, p, &w))
                .set("targets", "github-status")
                .set("webhook-url", "")
                .env("GITHUB_API_URL", &api)
                .input("github-token", "Gt2x")
                .input("sha", &w.base)
                .input("strict", "true");
            cases.push(case(
                "secrets/notify/github/github-token:server-echoes-it".into(),
                "notify",
                status,
                secret_check(vec!["Gt2x"], &[1]),
                &w,
            ));
        }
    }
    cases
}

// ---------------------------------------------------------------------------------------
// Class 8: pipes as file inputs
// ---------------------------------------------------------------------------------------

/// A FIFO at `path` fed with `bytes` by a thread; the thread ends when the test drains it.
fn fifo(path: &Path, bytes: Vec<u8>) {
    let status = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(status.success());
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&path) {
            let _ = f.write_all(&bytes);
        }
    });
}

/// Unblocks a FIFO writer that nobody read (so no thread is left waiting).
fn drain_fifo(path: &Path) {
    use std::os::unix::fs::OpenOptionsExt;
    let _ = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(0o4000) // O_NONBLOCK
        .open(path);
}

fn pipe_check(expect: &'static [i32], needle: &'static str) -> Check {
    Box::new(move |r| {
        code_is(r, expect)?;
        let t = r.text();
        if t.contains("not a file") || t.contains("does not exist") {
            return Err(format!("the pipe was refused: {}", r.brief()));
        }
        if !needle.is_empty() && !format!("{t}{}{}", r.output_file, r.summary).contains(needle) {
            return Err(format!(
                "{needle:?} (from the pipe) is not in the result: {}",
                r.brief()
            ));
        }
        Ok(())
    })
}

fn class8_pipes() -> Vec<Case> {
    let w = Arc::new(World::new());
    let mut cases = Vec::new();
    let body = w.path().join("pipe-source");
    std::fs::create_dir_all(&body).unwrap();
    // (verb, input, content, expected codes, a string the result must show)
    let list: Vec<(V, &str, String, &'static [i32], &'static str)> = vec![
        (
            V::Changes,
            "filters",
            "piped_filter: 'services/**'\n".into(),
            &[0],
            "piped_filter",
        ),
        (
            V::Changes,
            "config",
            MODEL.replace("api:", "pipedcomp:"),
            &[0],
            "pipedcomp",
        ),
        (
            V::Plan,
            "config",
            MODEL.replace("api:", "pipedcomp:"),
            &[0],
            "pipedcomp",
        ),
        (
            V::Validate,
            "config",
            MODEL.replace("api:", "pipedcomp:"),
            &[0],
            "",
        ),
        (V::Gate, "config", MODEL.to_string(), &[1], ""),
        (V::Notify, "config", MODEL.to_string(), &[0], ""),
        (
            V::Gate,
            "issue-body-file-path",
            "piped body\n".into(),
            &[1],
            "",
        ),
        (
            V::Notify,
            "webhook-template",
            "{\"piped\": {{ deploy.status }}}".into(),
            &[0],
            "piped",
        ),
        (V::Notify, "slack-template", "{\"text\": \"piped-slack\"}".into(), &[0], "piped-slack"),
        (V::Notify, "teams-template", "{\"type\": \"AdaptiveCard\", \"version\": \"1.4\", \"body\": [{\"type\": \"TextBlock\", \"text\": \"piped-teams\"}]}".into(), &[0], "piped-teams"),
        (
            V::Plan,
            "changes",
            "{\"changes\": [\"api\"]}".into(),
            &[0],
            "",
        ),
    ];
    for (i, (v, input, content, expect, needle)) in list.into_iter().enumerate() {
        for kind in ["dev-fd", "fifo"] {
            for p in [P::Gh, P::Lo] {
                let src = body.join(format!("{i}-{kind}-{}", p.name()));
                let mut path = String::from("/dev/fd/3");
                let mut c = call(v, p, &w);
                if kind == "dev-fd" {
                    std::fs::write(&src, &content).unwrap();
                    c = c.redirect(&format!("3< <(cat '{}')", src.display()));
                } else {
                    fifo(&src, content.clone().into_bytes());
                    path = src.to_str().unwrap().to_string();
                }
                c = match input {
                    "slack-template" => c.set("targets", "slack").input(
                        "slack-webhook-url",
                        "https://hooks.slack.com/services/T0/B1/x",
                    ),
                    "teams-template" => c
                        .set("targets", "teams")
                        .input("teams-webhook-url", "https://example.webhook.office.com/x"),
                    _ => c,
                };
                c = match (v, input) {
                    (V::Changes, "filters") => c.set("filters", &path),
                    (V::Changes, "config") | (V::Gate, "config") => {
                        call_with_config(v, p, &w, &path).redirect(&c.redirect)
                    }
                    _ => c.input(input, &path),
                };
                let check = pipe_check(expect, needle);
                let fifo_path = src.clone();
                cases.push(case(
                    format!("pipes/{}/{}/{input}:{kind}", v.name(), p.name()),
                    v.area(),
                    c,
                    Box::new(move |r| {
                        drain_fifo(&fifo_path);
                        check(r)
                    }),
                    &w,
                ));
            }
        }
    }
    cases
}

// ---------------------------------------------------------------------------------------
// Class 9: invalid UTF-8 in every file input
// ---------------------------------------------------------------------------------------

fn utf8_check(expect_pos: bool) -> Check {
    Box::new(move |r| {
        no_crash(r)?;
        if r.code != 2 {
            return Err(format!("expected exit 2, got {}", r.brief()));
        }
        let t = r.text();
        if !t.contains("UTF-8") {
            return Err(format!("the error does not say UTF-8: {}", r.brief()));
        }
        if expect_pos && !(t.contains(":2:5") || t.contains("line=2,col=5")) {
            return Err(format!("no line:col 2:5 for the bad byte: {}", r.brief()));
        }
        short_lines(r)
    })
}

fn class9_invalid_utf8() -> Vec<Case> {
    let w = Arc::new(World::new());
    let mut cases = Vec::new();
    // The bad byte is always at line 2, column 5.
    let model = MODEL.as_bytes();
    let mut bad_model = b"version: 1\n# ab\xff\n".to_vec();
    bad_model.extend_from_slice(&model[b"version: 1\n".len()..]);
    let files: Vec<(V, P, &str, Vec<u8>)> = vec![
        (
            V::Changes,
            P::Gh,
            "filters",
            b"api: 'services/**'\n#abc\xff\n".to_vec(),
        ),
        (V::Changes, P::Gh, "config", bad_model.clone()),
        (
            V::Changes,
            P::Gl,
            "child-pipeline-template",
            b"job:\n#abc\xff\n  script: [x]\n".to_vec(),
        ),
        (V::Plan, P::Gh, "config", bad_model.clone()),
        (
            V::Plan,
            P::Gh,
            "changes",
            b"{\"changes\":\n\"abc\xff\"]}".to_vec(),
        ),
        (V::Validate, P::Gh, "config", bad_model.clone()),
        (V::Gate, P::Gh, "config", bad_model.clone()),
        (
            V::Gate,
            P::Gh,
            "issue-body-file-path",
            b"line one\nabcd\xff\n".to_vec(),
        ),
        (V::Notify, P::Gh, "config", bad_model.clone()),
        (
            V::Notify,
            P::Gh,
            "webhook-template",
            b"{\"a\":\n\"abc\xff\"}".to_vec(),
        ),
        (
            V::Notify,
            P::Gh,
            "comment-template",
            b"# hi\nabcd\xff\n".to_vec(),
        ),
        (
            V::Notify,
            P::Gh,
            "slack-template",
            b"{\"a\":\n\"abc\xff\"}".to_vec(),
        ),
        (
            V::Notify,
            P::Gh,
            "teams-template",
            b"{\"a\":\n\"abc\xff\"}".to_vec(),
        ),
    ];
    for (i, (v, p, input, bytes)) in files.into_iter().enumerate() {
        let name = w.file(&format!("bad-utf8-{i}.txt"), &bytes);
        for p in [p, P::Lo] {
            let c = match (v, input) {
                (V::Changes, "filters") => call(v, p, &w).set("filters", &name),
                (V::Changes, "config") | (V::Gate, "config") => call_with_config(v, p, &w, &name),
                (V::Changes, "child-pipeline-template") if p == P::Lo => continue,
                (V::Notify, "slack-template") => call(v, p, &w)
                    .set("targets", "slack")
                    .input(
                        "slack-webhook-url",
                        "https://hooks.slack.com/services/T0/B1/x",
                    )
                    .input(input, &name),
                (V::Notify, "teams-template") => call(v, p, &w)
                    .set("targets", "teams")
                    .input("teams-webhook-url", "https://example.webhook.office.com/x")
                    .input(input, &name),
                _ => call(v, p, &w).input(input, &name),
            };
            cases.push(case(
                format!("utf8/{}/{}/{input}", v.name(), p.name()),
                v.area(),
                c,
                utf8_check(true),
                &w,
            ));
        }
    }
    // The event file.
    for v in [V::Changes, V::Gate, V::Notify] {
        cases.push(case(
            format!("utf8/{}/github/GITHUB_EVENT_PATH", v.name()),
            v.area(),
            call(v, P::Gh, &w).event(Event::Bytes(
                "push".into(),
                b"{\"a\":\n\"abc\xff\"}".to_vec(),
            )),
            utf8_check(true),
            &w,
        ));
    }
    cases
}

// ---------------------------------------------------------------------------------------
// Class 10: the same bad input, the same message in every verb
// ---------------------------------------------------------------------------------------

/// The error line with the input's name and value replaced, to compare shapes.
fn shape(r: &Res, input: &str, value: &str) -> String {
    let line = error_lines(r).into_iter().next().unwrap_or_default();
    let line = line
        .trim_start_matches("::error::")
        .trim_start_matches("error: ")
        .to_string();
    line.replace(input, "<input>")
        .replace(&input.replace('-', "_"), "<input>")
        .replace(value, "<value>")
}

struct Same {
    label: &'static str,
    value: &'static str,
    /// The message every verb gives, as the start and a part of its shape (`<input>` and
    /// `<value>` stand for the input's name and the bad value); the majority's wording.
    shape: (&'static str, &'static str),
    calls: Vec<(String, &'static str, Call, String)>,
}

fn same_tables(w: &World) -> Vec<Same> {
    let p = P::Gh;
    let mut tables = Vec::new();
    let mk = |v: V, input: &str, value: &str| -> (String, &'static str, Call, String) {
        let c = if input == "config" {
            call_with_config(v, p, w, value)
        } else {
            call(v, p, w).set(input, value)
        };
        (
            format!("{}:{input}", v.name()),
            v.area(),
            c,
            input.to_string(),
        )
    };
    tables.push(Same {
        label: "bad-boolean",
        shape: ("input '<input>': expected true or false, got '<value>'", ""),
        value: "maybe",
        calls: vec![
            mk(V::Changes, "renames", "maybe"),
            mk(V::Changes, "list-dirs", "maybe"),
            mk(V::Changes, "use-api", "maybe"),
            mk(V::Changes, "summary", "maybe"),
            mk(V::Gate, "fail-on-denial", "maybe"),
            mk(V::Gate, "exclude-workflow-initiator-as-approver", "maybe"),
            mk(V::Gate, "close-issue-means-denial", "maybe"),
            mk(V::Gate, "allow-comment-reasons", "maybe"),
            mk(V::Notify, "dry-run", "maybe"),
            mk(V::Notify, "strict", "maybe"),
        ],
    });
    tables.push(Same {
        label: "bad-list-item",
        shape: ("input '<input>': unknown ", "'<value>' (expected one of: "),
        value: "nope",
        calls: vec![
            mk(V::Gate, "exclude", "initiator,nope"),
            mk(V::Notify, "targets", "webhook,nope"),
            mk(V::Notify, "mention-on", "failure,nope"),
        ],
    });
    tables.push(Same {
        label: "bad-duration",
        shape: (
            "input '<input>': '<value>' is not a duration such as 30m, 2h, 1h30m or 7d",
            "",
        ),
        value: "5parsecs",
        calls: vec![
            mk(V::Gate, "timeout", "5parsecs"),
            mk(V::Gate, "wait-timer", "5parsecs"),
            {
                let (l, a, c, i) = mk(V::Gate, "after-soak", "5parsecs");
                (l, a, c.input("after-environment", "staging"), i)
            },
        ],
    });
    tables.push(Same {
        label: "missing-config",
        shape: ("input '<input>': '<value>' does not exist", ""),
        value: "no-such.yml",
        calls: MODEL_VERBS
            .iter()
            .map(|v| mk(*v, "config", "no-such.yml"))
            .chain([{
                let c = call(V::Gate, p, w).input("config", "no-such.yml");
                (
                    "gate:config-without-policy".to_string(),
                    "gate",
                    c,
                    "config".to_string(),
                )
            }])
            .collect(),
    });
    tables
}

fn class10_same_message() -> Vec<Case> {
    let w = Arc::new(World::new());
    let mut cases = Vec::new();
    for t in same_tables(&w) {
        for (label, area, c, input) in t.calls {
            let value = t.value;
            let (start, part) = t.shape;
            cases.push(case(
                format!("same/{}/{label}", t.label),
                area,
                c,
                Box::new(move |r| {
                    bad_input(r, &format!("'{input}'"))?;
                    let got = shape(r, &input, value);
                    if got.starts_with(start) && got.contains(part) {
                        Ok(())
                    } else {
                        Err(format!(
                            "the message differs from the other verbs': {got:?}, expected {start:?}…{part:?}"
                        ))
                    }
                }),
                &w,
            ));
        }
    }
    cases
}

// ---------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------

#[test]
fn holds_numbers() {
    holds(class1_numbers());
}

#[test]
fn holds_yaml_bombs() {
    holds(class2_yaml_bombs());
}

#[test]
fn holds_closed_streams() {
    holds(class3_closed_streams());
}

#[test]
fn holds_event_file() {
    holds(class4_event_file());
}

#[test]
fn holds_output_names() {
    holds(class5_output_names());
}

#[test]
fn holds_error_lines() {
    holds(class6_error_lines());
}

#[test]
fn holds_secrets() {
    holds(class7_secrets());
}

#[test]
fn holds_pipes() {
    holds(class8_pipes());
}

#[test]
fn holds_invalid_utf8() {
    holds(class9_invalid_utf8());
}

#[test]
fn holds_same_message() {
    holds(class10_same_message());
}

/// Labels are how a failure is found again: unique across every class.
#[test]
fn every_label_is_unique_across_classes() {
    let mut seen = std::collections::BTreeSet::new();
    let mut total = 0;
    for class in CLASSES {
        for case in class() {
            total += 1;
            assert!(
                seen.insert(case.label.clone()),
                "duplicate label {}",
                case.label
            );
        }
    }
    assert!(total > 1000, "the matrix holds {total} cases");
}
