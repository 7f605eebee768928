//! What shipgate prints, as the runner reads it: user text (file names, error bodies) can
//! never become a live workflow command on GitHub, every line stays one line on every
//! platform (GitHub, GitLab, local), and a closed or broken stdout/stderr never changes a
//! verb's exit code.

use crate::support as common;
use crate::support::github_fake;

use std::path::Path;
use std::process::{Command, Stdio};

use common::{bin, Action, TestRepo};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// One workflow command the runner would act on.
#[derive(Debug, Clone, PartialEq)]
struct Live {
    name: String,
    data: String,
}

/// The command name and data of `line` in either syntax the runner reads: `::name
/// props::data` at the start after whitespace, or the legacy `##[name props]data` anywhere.
fn parse_command(line: &str) -> Option<Live> {
    let trimmed = line.trim_start();
    if let Some(rest) = trimmed.strip_prefix("::") {
        if let Some(end) = rest.find("::") {
            let info = &rest[..end];
            let name = info.split(' ').next().unwrap_or_default();
            if !name.is_empty() {
                return Some(Live {
                    name: name.to_ascii_lowercase(),
                    data: rest[end + 2..].to_string(),
                });
            }
        }
    }
    let start = line.find("##[")?;
    let rest = &line[start + 3..];
    let end = rest.find(']')?;
    let name = rest[..end].split(' ').next().unwrap_or_default();
    (!name.is_empty()).then(|| Live {
        name: name.to_ascii_lowercase(),
        data: rest[end + 1..].to_string(),
    })
}

/// The commands the GitHub runner would act on in `log`, read as it reads a step's output:
/// lines split at `\n`, `\r\n` and `\r`; while a `::stop-commands::TOKEN` is in force only
/// `::TOKEN::` is read. Returns the commands and whether a pause was left open.
fn live_commands(log: &str) -> (Vec<Live>, bool) {
    let mut live = Vec::new();
    let mut stopped: Option<String> = None;
    for line in log.split(['\n', '\r']) {
        let Some(cmd) = parse_command(line) else {
            continue;
        };
        if let Some(token) = &stopped {
            if cmd.name == token.to_ascii_lowercase() {
                stopped = None;
            }
            continue;
        }
        if cmd.name == "stop-commands" {
            stopped = Some(cmd.data.clone());
        }
        live.push(cmd);
    }
    (live, stopped.is_some())
}

/// Asserts that every live command is one of `allowed`, that no command's data holds
/// `marker` unless its name is in `may_quote` (our own annotations quote user text as
/// data), that every pause uses a 32-hex token of ours, and that no pause is left open.
fn assert_only_our_commands(log: &str, allowed: &[&str], may_quote: &[&str], marker: &str) {
    let (live, open) = live_commands(log);
    assert!(!open, "a stop-commands pause is left open:\n{log}");
    for cmd in &live {
        assert!(
            allowed.contains(&cmd.name.as_str()),
            "live command {cmd:?} is not one of ours:\n{log}"
        );
        if cmd.name == "stop-commands" {
            assert!(
                cmd.data.len() == 32 && cmd.data.chars().all(|c| c.is_ascii_hexdigit()),
                "a pause with a token that is not ours: {cmd:?}\n{log}"
            );
        }
        if !may_quote.contains(&cmd.name.as_str()) {
            assert!(
                !cmd.data.contains(marker),
                "user text in a live command {cmd:?}:\n{log}"
            );
        }
    }
}

/// File names built to be workflow commands, in every form the runner reads.
const HOSTILE_NAMES: &[&str] = &[
    "::error file=a.txt::pwned",
    "::stop-commands::pwnedtoken",
    "  ::warning::pwned indented",
    "x ##[error]pwned legacy",
    "::set-output name=all::pwned",
    "cr\r::error::pwned after a carriage return",
    "nl\n::error::pwned after a newline",
    "esc \u{1b}[0Ksection_start:1:pwned\r\u{1b}[0Kfake section",
];

/// A repository whose last commit adds every hostile name, and a filter matching them.
fn hostile_repo() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("README.md", "base\n");
    repo.commit("base");
    for name in HOSTILE_NAMES {
        repo.write(name, "x\n");
    }
    repo.commit("hostile names");
    repo
}

#[test]
fn file_names_never_become_workflow_commands() {
    let repo = hostile_repo();
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "all: ['*']\nany: ['**', '*']")
        .input("base", "HEAD~1")
        .input("list-files", "shell")
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // The names are still in the log, as text.
    assert!(
        run.stdout.contains("::error file=a.txt::pwned"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("x ##[error]pwned legacy"),
        "{}",
        run.stdout
    );
    assert_only_our_commands(
        &run.stdout,
        &["group", "endgroup", "stop-commands"],
        &[],
        "pwned",
    );
    assert_only_our_commands(&run.stderr, &[], &[], "pwned");
}

#[test]
fn the_job_summary_printed_to_the_log_cannot_hold_a_command() {
    // Without GITHUB_STEP_SUMMARY and GITHUB_OUTPUT the summary and the outputs (file
    // names among them) are printed to the log instead.
    let repo = hostile_repo();
    let out = Action::github("detect-changes", repo.path())
        .without_runner_files()
        .input("filters", "all: ['*']")
        .input("base", "HEAD~1")
        .input("list-files", "csv")
        .run();
    let stdout = out.stdout;
    assert_eq!(out.code, 0, "{stdout}");
    assert!(stdout.contains("all_files="), "{stdout}");
    assert_only_our_commands(
        &stdout,
        &["group", "endgroup", "stop-commands", "warning"],
        &[],
        "pwned",
    );
}

/// A webhook that refuses every call with `body` (400: not retried).
async fn refusing_hook(body: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_string(body))
        .mount(&server)
        .await;
    server
}

/// An error body that tries every way out of a one-line annotation.
const HOSTILE_BODY: &str = "bad request\n::error file=x.yml::pwned\r::set-output name=ok::pwned \
##[error]pwned legacy\n\u{1b}[0Ksection_start:1:pwned\r\u{1b}[0Kforged section";

fn notify_step(dir: &Path, hook: &str, kind: &str) -> Action {
    let step = match kind {
        "github" => Action::github("notify", dir),
        _ => Action::gitlab("notify", dir),
    };
    step.env("SHIPGATE_NOW", "2026-11-22T12:00:00Z")
        .input("status", "success")
        .input("targets", "webhook")
        .input("webhook-url", hook)
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_error_body_stays_inside_one_warning() {
    let server = refusing_hook(HOSTILE_BODY).await;
    let dir = tempfile::tempdir().unwrap();
    let hook = format!("{}/hooks/abc", server.uri());

    // GitHub: one warning annotation holds the body as data; nothing else is live.
    let step = notify_step(dir.path(), &hook, "github");
    let run = tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_only_our_commands(
        &run.stdout,
        &["add-mask", "warning", "stop-commands"],
        &["warning"],
        "pwned",
    );
    let (live, _) = live_commands(&run.stdout);
    let warnings: Vec<_> = live.iter().filter(|c| c.name == "warning").collect();
    assert_eq!(warnings.len(), 1, "{}", run.stdout);
    assert!(warnings[0].data.contains("bad request"), "{warnings:?}");

    // strict: the failure is one ::error:: line, and still nothing else is live.
    let step = notify_step(dir.path(), &hook, "github").input("strict", "true");
    let run = tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap();
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_only_our_commands(
        &run.stdout,
        &["add-mask", "warning", "error", "stop-commands"],
        &["warning"],
        "pwned",
    );

    // GitLab: the warning is one line of the log, and no escape sequence of the body
    // reaches it (it could forge a collapsible section).
    let step = notify_step(dir.path(), &hook, "gitlab").input("dotenv", "n.env");
    let run = tokio::task::spawn_blocking(move || step.run())
        .await
        .unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_one_line_warning(&run.stdout, "warning: notify: webhook: failed");
    assert!(!run.stdout.contains('\u{1b}'), "{:?}", run.stdout);
    assert!(!run.stdout.contains('\r'), "{:?}", run.stdout);

    // Locally: the same, on stderr.
    let out = Action::local("notify", dir.path())
        .env("SHIPGATE_NOW", "2026-11-22T12:00:00Z")
        .args(&["--status", "success", "--targets", "webhook"])
        .args(&["--webhook-url", &hook])
        .run();
    let stderr = out.stderr;
    assert_eq!(out.code, 0, "{stderr}");
    assert_one_line_warning(&stderr, "warning: notify: webhook: failed");
    assert!(!stderr.contains(['\u{1b}', '\r']), "{stderr:?}");
}

/// A gate step of run 42 in acme/app against the GitHub fake.
fn gate_step(fake: &github_fake::GithubFake, dir: &Path) -> Action {
    Action::github("gate", dir)
        .env("GITHUB_API_URL", &fake.url)
        .env("GITHUB_SERVER_URL", "https://github.test")
        .env("GITHUB_REPOSITORY", "acme/app")
        .env("GITHUB_REPOSITORY_OWNER", "acme")
        .env("GITHUB_RUN_ID", "42")
        .env("GITHUB_RUN_ATTEMPT", "1")
        .env("GITHUB_JOB", "deploy")
        .env("GITHUB_SHA", "abc123")
        .env("GITHUB_REF", "refs/heads/main")
        .env("GITHUB_ACTOR", "initiator")
        .input("secret", "ghs_faketoken_0123456789")
        .input("approvers", "alice")
        .input("polling-interval-seconds", "0.05")
}

/// A guard for the gate: its API error bodies only ever reach the log as the data of its
/// one `::error::`, and approvers' comment text never as a command.
#[test]
fn gate_error_bodies_and_comments_never_become_workflow_commands() {
    // The API refuses to open the request, with a hostile body: one ::error:: line.
    let fake = github_fake::GithubFake::start("acme/app");
    fake.fail("POST", "/issues", 422, &[], HOSTILE_BODY, 10);
    let dir = tempfile::tempdir().unwrap();
    let run = gate_step(&fake, dir.path()).input("timeout", "5s").run();
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_only_our_commands(
        &run.stdout,
        &[
            "add-mask",
            "group",
            "endgroup",
            "warning",
            "error",
            "stop-commands",
        ],
        &["error", "warning"],
        "pwned",
    );
    let (live, _) = live_commands(&run.stdout);
    let errors: Vec<_> = live.iter().filter(|c| c.name == "error").collect();
    assert_eq!(errors.len(), 1, "{}", run.stdout);
    assert!(errors[0].data.contains("bad request"), "{errors:?}");

    // An approval whose comment is built to be workflow commands.
    let fake = github_fake::GithubFake::start("acme/app");
    let step = gate_step(&fake, dir.path()).input("timeout", "20s");
    let gate = std::thread::spawn(move || step.run());
    let n = fake.wait_for_request(std::time::Duration::from_secs(20));
    fake.comment(
        n,
        "alice",
        "approve\n::error file=x.yml::pwned\n  ::warning::pwned\r::set-output name=a::pwned ##[error]pwned",
    );
    let run = gate.join().unwrap();
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_only_our_commands(
        &run.stdout,
        &["add-mask", "group", "endgroup", "warning", "stop-commands"],
        &["warning"],
        "pwned",
    );
}

/// Exactly one line starts with `prefix`, and it holds the whole body (escaped); the body
/// is otherwise only in the `results` output (JSON, one line), which GitLab and a terminal
/// print too.
fn assert_one_line_warning(log: &str, prefix: &str) {
    let lines: Vec<&str> = log.lines().filter(|l| l.starts_with(prefix)).collect();
    assert_eq!(lines.len(), 1, "{log}");
    assert!(lines[0].contains("forged section"), "{log}");
    for line in log.lines() {
        assert!(
            !line.trim_start().starts_with("::error") && !line.starts_with("##[error]"),
            "a line of the body on its own: {line:?}\n{log}"
        );
        assert!(
            line.starts_with(prefix) || line.starts_with("results=[") || !line.contains("pwned"),
            "a second line with the body: {line:?}\n{log}"
        );
    }
}

#[test]
fn file_names_with_newlines_stay_on_one_line_everywhere() {
    let repo = hostile_repo();
    // No name starts a line of its own, and the only escape sequences are shipgate's own
    // GitLab sections (a name's escape sequence could forge one).
    let one_line = |log: &str| {
        for line in log.split(['\n', '\r']) {
            assert!(
                !line.trim_start().starts_with("::error::pwned"),
                "a file name split the log line: {line:?}\n{log}"
            );
        }
        for line in log.lines().filter(|l| l.contains('\u{1b}')) {
            assert!(
                line.starts_with("\u{1b}[0Ksection_") && !line.contains("pwned"),
                "an escape sequence from a file name: {line:?}"
            );
        }
    };
    let github = Action::github("detect-changes", repo.path())
        .input("filters", "all: ['*']")
        .input("base", "HEAD~1")
        .run();
    assert_eq!(github.code, 0, "{}", github.stdout);
    assert!(
        github
            .stdout
            .contains("nl\\n::error::pwned after a newline"),
        "{}",
        github.stdout
    );
    one_line(&github.stdout);

    let gitlab = Action::gitlab("detect-changes", repo.path())
        .input("filters", "all: ['*']")
        .input("base", "HEAD~1")
        .run();
    assert_eq!(gitlab.code, 0, "{}", gitlab.stdout);
    assert!(
        gitlab.stdout.contains("cr\\r::error::pwned"),
        "{}",
        gitlab.stdout
    );
    one_line(&gitlab.stdout);
    let local = Action::local("detect-changes", repo.path())
        .args(&["--base", "HEAD~1", "--filters", "all: ['*']"])
        .run();
    let stderr = local.stderr;
    assert_eq!(local.code, 0, "{stderr}");
    assert!(stderr.contains("nl\\n::error::pwned"), "{stderr}");
    one_line(&stderr);
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
}

#[test]
fn an_output_name_the_runner_cannot_read_is_exit_2_with_nothing_written() {
    let repo = hostile_repo();
    for name in ["\"a=b\"", "\"a<<b\"", "\"a\\nb\"", "\"\""] {
        let run = Action::github("detect-changes", repo.path())
            .input("filters", &format!("{name}: ['*']"))
            .input("base", "HEAD~1")
            .run();
        assert_eq!(run.code, 2, "{name}: {}", run.stdout);
        assert!(run.output_file.is_empty(), "{name}: {}", run.output_file);
        assert!(run.stdout.contains("::error"), "{name}: {}", run.stdout);
        assert_only_our_commands(
            &run.stdout,
            &["group", "endgroup", "stop-commands", "error"],
            &["error"],
            "pwned",
        );
    }
}

// ------------------------------------------------------------------ closed and broken pipes

/// How the binary's stdout and stderr are connected.
#[derive(Debug, Clone, Copy)]
enum Sink {
    /// A pipe whose reader is gone: every write fails with EPIPE.
    Broken,
    /// The descriptor is closed.
    Closed,
}

/// Runs the binary with both stdout and stderr connected to `sink`; returns the exit code
/// (a signal or an abort shows as its shell code, 128 + n).
fn run_with(sink: Sink, cwd: &Path, env: &[(&str, &str)], args: &[&str]) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    let mut cmd = match sink {
        Sink::Broken => {
            let (reader, writer) = std::io::pipe().unwrap();
            drop(reader);
            let mut cmd = Command::new(bin());
            cmd.stdout(writer.try_clone().unwrap()).stderr(writer);
            cmd
        }
        Sink::Closed => {
            // `exec 1>&- 2>&-` closes both descriptors before the binary starts.
            let mut cmd = Command::new("sh");
            cmd.arg("-c")
                .arg("exec \"$0\" \"$@\" 1>&- 2>&-")
                .arg(bin())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            cmd
        }
    };
    cmd.current_dir(cwd)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let status = cmd.status().unwrap();
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

/// A name, the environment, the arguments and the exit code the verb must give.
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], Vec<&'a str>, i32);

#[test]
fn a_closed_or_broken_stdout_and_stderr_keep_the_verbs_exit_code() {
    let repo = hostile_repo();
    let dir = repo.path();
    let github: &[(&str, &str)] = &[("GITHUB_ACTIONS", "true")];
    let gitlab: &[(&str, &str)] = &[("GITLAB_CI", "true")];
    let detect = [
        "detect-changes",
        "--base",
        "HEAD~1",
        "--filters",
        "all: ['*']",
    ];
    let cases: Vec<Case> = vec![
        // Success paths: logs, results and help all go to the dead pipe.
        ("local detect-changes", &[], detect.to_vec(), 0),
        ("github detect-changes", github, detect.to_vec(), 0),
        ("gitlab detect-changes", gitlab, detect.to_vec(), 0),
        (
            "local notify dry run",
            &[],
            vec![
                "notify",
                "--dry-run",
                "--status",
                "success",
                "--targets",
                "webhook",
                "--webhook-url",
                "https://hooks.example.com/x",
            ],
            0,
        ),
        ("help", &[], vec!["notify", "--help"], 0),
        ("version", &[], vec!["--version"], 0),
        // Error paths: the error line cannot be written, the code stays 2.
        (
            "local bad status",
            &[],
            vec!["notify", "--status", "bogus"],
            2,
        ),
        (
            "github bad status",
            github,
            vec!["notify", "--status", "bogus"],
            2,
        ),
        (
            "gitlab bad status",
            gitlab,
            vec!["notify", "--status", "bogus"],
            2,
        ),
        (
            "bad filter file",
            &[],
            vec!["detect-changes", "--filters", "all: ["],
            2,
        ),
        ("usage error", &[], vec!["notify", "--no-such-flag"], 2),
        (
            "bad platform",
            &[("SHIPGATE_PLATFORM", "mars")],
            vec!["notify"],
            2,
        ),
    ];
    for sink in [Sink::Broken, Sink::Closed] {
        for (name, env, args, want) in &cases {
            let mut env = env.to_vec();
            env.push(("SHIPGATE_NOW", "2026-11-22T12:00:00Z"));
            let code = run_with(sink, dir, &env, args);
            assert_eq!(code, *want, "{name} with a {sink:?} stdout and stderr");
        }
    }
}

/// A usage error echoes the user's argument before any platform exists; on GitHub (which
/// reads workflow commands from stderr too) it is printed inside a pause, and it still
/// exits 2. The same holds for an unknown `SHIPGATE_PLATFORM`.
#[test]
fn usage_errors_on_github_never_become_workflow_commands() {
    let dir = tempfile::tempdir().unwrap();
    for (args, env) in [
        (
            vec!["detect-changes", "::error::pwned usage"],
            vec![("GITHUB_ACTIONS", "true")],
        ),
        (
            vec!["plan", "--env", "dev"],
            vec![
                ("GITHUB_ACTIONS", "true"),
                ("SHIPGATE_PLATFORM", "x ##[error]pwned platform"),
            ],
        ),
    ] {
        let out = Command::new(bin())
            .args(&args)
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env.iter().copied())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("pwned"),
            "the argument is still shown: {stderr}"
        );
        assert_only_our_commands(&stderr, &["stop-commands"], &[], "pwned");
    }
}
