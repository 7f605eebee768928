//! What a notification is about: the deployment (status, environment, version, timing),
//! the CI run (repository, run link, who triggered it) and the change (commit, pull
//! request). Gathered once from the platform's variables and the inputs; every layout and
//! template reads this and nothing else. Also the one clock notify reads ([`now`]).

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use serde::Serialize;

use crate::error::Failure;
use crate::platform::{Env, Kind, RunContext};

/// The current instant, from the one clock (`SHIPGATE_NOW` pins it in tests).
pub fn now(env: &Env) -> Result<Timestamp, Failure> {
    Ok(crate::clock::Clock::from_env(env)?.started_at())
}

/// The state of a deployment, in the words the inputs accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Success,
    Failure,
    Cancelled,
    Started,
    Waiting,
    Skipped,
}

/// The words `status` accepts (first of each is canonical).
pub const STATUS_WORDS: &str = "success, failure, cancelled, started, waiting, skipped";

impl FromStr for Status {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "success" | "succeeded" | "successful" | "ok" | "passed" | "deployed" => {
                Status::Success
            }
            "failure" | "failed" | "fail" | "error" | "errored" => Status::Failure,
            "cancelled" | "canceled" | "cancel" | "aborted" => Status::Cancelled,
            "started" | "start" | "running" | "in_progress" | "in-progress" | "deploying" => {
                Status::Started
            }
            "waiting" | "queued" | "pending" => Status::Waiting,
            "skipped" | "skip" => Status::Skipped,
            _ => {
                return Err(format!(
                    "unknown status {} (expected one of: {STATUS_WORDS})",
                    crate::error::quote(s)
                ))
            }
        })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

impl Status {
    /// The canonical word (`success`, `failure`, ...).
    pub fn word(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Failure => "failure",
            Status::Cancelled => "cancelled",
            Status::Started => "started",
            Status::Waiting => "waiting",
            Status::Skipped => "skipped",
        }
    }

    pub fn emoji(self) -> &'static str {
        match self {
            Status::Success => "✅",
            Status::Failure => "❌",
            Status::Cancelled => "🚫",
            Status::Started => "🚀",
            Status::Waiting => "⏳",
            Status::Skipped => "⏭️",
        }
    }

    /// How a sentence about the deployment ends: "... succeeded".
    pub fn phrase(self) -> &'static str {
        match self {
            Status::Success => "succeeded",
            Status::Failure => "failed",
            Status::Cancelled => "was cancelled",
            Status::Started => "started",
            Status::Waiting => "is waiting",
            Status::Skipped => "was skipped",
        }
    }

    /// GitHub commit-status state.
    pub fn github_commit_state(self) -> &'static str {
        match self {
            Status::Success | Status::Skipped => "success",
            Status::Failure => "failure",
            Status::Cancelled => "error",
            Status::Started | Status::Waiting => "pending",
        }
    }

    /// GitHub deployment-status state.
    pub fn github_deployment_state(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Failure => "failure",
            Status::Cancelled => "error",
            Status::Started => "in_progress",
            Status::Waiting => "queued",
            Status::Skipped => "inactive",
        }
    }

    /// GitLab commit-status state.
    pub fn gitlab_state(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Failure => "failed",
            Status::Cancelled => "canceled",
            Status::Started => "running",
            Status::Waiting => "pending",
            Status::Skipped => "skipped",
        }
    }

    /// Adaptive Card text colour.
    pub fn teams_color(self) -> &'static str {
        match self {
            Status::Success => "Good",
            Status::Failure => "Attention",
            Status::Cancelled => "Warning",
            Status::Started => "Accent",
            Status::Waiting | Status::Skipped => "Default",
        }
    }
}

/// The deployment the message is about.
#[derive(Debug, Clone, Serialize)]
pub struct Deploy {
    /// The canonical status word.
    pub status: String,
    pub status_emoji: String,
    /// "succeeded", "failed", ...
    pub status_text: String,
    /// One line, without emoji: "Deploy of acme/web v1.2 to prod succeeded".
    pub title: String,
    pub environment: Option<String>,
    pub environment_url: Option<String>,
    pub version: Option<String>,
    pub components: Vec<String>,
    pub approvers: Vec<String>,
    /// The `message` input: free text from the workflow.
    pub message: Option<String>,
    /// RFC 3339.
    pub started_at: Option<String>,
    /// RFC 3339: when this notification was made.
    pub at: String,
    /// "3m 12s", when `started-at` is known.
    pub duration: Option<String>,
    pub duration_seconds: Option<i64>,
    pub thread_key: Option<String>,
}

/// The CI run that sends the message.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Ci {
    /// `github`, `gitlab` or `local`.
    pub platform: String,
    /// `owner/name` (GitHub) or `group/project` (GitLab).
    pub repository: Option<String>,
    pub repository_url: Option<String>,
    pub run_id: Option<String>,
    pub run_url: Option<String>,
    pub job_url: Option<String>,
    /// Who started the workflow or pipeline.
    pub actor: Option<String>,
    /// Who triggered this run (differs from `actor` on re-runs).
    pub triggering_actor: Option<String>,
    pub workflow: Option<String>,
    pub ref_name: Option<String>,
    pub event: Option<String>,
}

/// The change being deployed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Change {
    pub sha: Option<String>,
    pub short_sha: Option<String>,
    pub commit_url: Option<String>,
    pub commit_message: Option<String>,
    /// The first line of the commit message.
    pub commit_title: Option<String>,
    /// Pull-request number (GitHub) or merge-request IID (GitLab).
    pub pr_number: Option<u64>,
    pub pr_url: Option<String>,
    pub pr_title: Option<String>,
}

/// Everything a layout or template can show. Serialized as the template context
/// (`deploy.*`, `ci.*`, `change.*`).
#[derive(Debug, Clone, Serialize)]
pub struct Context {
    #[serde(skip)]
    pub state: Status,
    pub deploy: Deploy,
    pub ci: Ci,
    pub change: Change,
}

/// The inputs that describe the deployment (already trimmed; `None` = not given).
#[derive(Debug, Clone, Default)]
pub struct DeployInputs {
    pub status: Option<String>,
    pub environment: Option<String>,
    pub environment_url: Option<String>,
    pub version: Option<String>,
    pub components: Option<String>,
    pub approvers: Option<String>,
    pub message: Option<String>,
    pub started_at: Option<String>,
    pub thread_key: Option<String>,
    pub sha: Option<String>,
    pub pr_number: Option<String>,
}

impl Context {
    /// Builds the context from the inputs and the run context (on GitHub with the event
    /// payload). Bad inputs are exit-2 failures naming the input.
    pub fn gather(
        inputs: &DeployInputs,
        kind: Kind,
        run: &RunContext,
        now: Timestamp,
    ) -> Result<Context, Failure> {
        let status_text = inputs
            .status
            .as_deref()
            .ok_or_else(|| Failure::input("status", format!("is required ({STATUS_WORDS})")))?;
        let state: Status = status_text
            .parse()
            .map_err(|e: String| Failure::input("status", e))?;
        let (ci, mut change, defaults) = match kind {
            Kind::Github => github_context(run),
            Kind::Gitlab => gitlab_context(run),
            Kind::Local => (
                Ci {
                    platform: "local".into(),
                    ..Ci::default()
                },
                Change::default(),
                Defaults::default(),
            ),
        };
        if let Some(sha) = &inputs.sha {
            change.sha = Some(sha.clone());
            change.commit_url = ci.repository_url.as_ref().map(|u| commit_url(kind, u, sha));
        }
        if let Some(n) = &inputs.pr_number {
            let number: u64 = n.trim_start_matches(['#', '!']).parse().map_err(|_| {
                Failure::input(
                    "pr-number",
                    format!("{} is not a pull-request number", crate::error::quote(n)),
                )
            })?;
            change.pr_number = Some(number);
            change.pr_url = ci.repository_url.as_ref().map(|u| pr_url(kind, u, number));
        }
        change.short_sha = change.sha.as_ref().map(|s| s.chars().take(7).collect());
        change.commit_title = change
            .commit_message
            .as_ref()
            .and_then(|m| m.lines().next())
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty());

        let environment = inputs.environment.clone().or(defaults.environment);
        let environment_url = inputs.environment_url.clone().or(defaults.environment_url);
        let started = match inputs
            .started_at
            .as_deref()
            .or(defaults.started_at.as_deref())
        {
            Some(v) => Some(parse_instant(v).map_err(|e| Failure::input("started-at", e))?),
            None => None,
        };
        let duration_seconds = started.map(|s| now.duration_since(s).as_secs().max(0));
        let version = inputs.version.clone();
        let deploy = Deploy {
            status: state.word().into(),
            status_emoji: state.emoji().into(),
            status_text: state.phrase().into(),
            title: title(
                state,
                ci.repository.as_deref(),
                version.as_deref(),
                environment.as_deref(),
            ),
            environment,
            environment_url,
            version,
            components: parse_list(inputs.components.as_deref())
                .map_err(|e| Failure::input("components", e))?,
            approvers: parse_list(inputs.approvers.as_deref())
                .map_err(|e| Failure::input("approvers", e))?,
            message: inputs.message.clone(),
            started_at: started.map(|s| s.to_string()),
            at: now.to_string(),
            duration: duration_seconds.map(human_duration),
            duration_seconds,
            thread_key: inputs.thread_key.clone(),
        };
        Ok(Context {
            state,
            deploy,
            ci,
            change,
        })
    }

    /// Logins to mention: the one who triggered the run.
    pub fn people(&self) -> Vec<String> {
        self.ci
            .triggering_actor
            .iter()
            .chain(self.ci.actor.iter())
            .take(1)
            .cloned()
            .collect()
    }
}

/// Values some platforms know that the inputs may leave out.
#[derive(Debug, Default)]
struct Defaults {
    environment: Option<String>,
    environment_url: Option<String>,
    started_at: Option<String>,
}

fn commit_url(kind: Kind, repo_url: &str, sha: &str) -> String {
    match kind {
        Kind::Gitlab => format!("{repo_url}/-/commit/{sha}"),
        _ => format!("{repo_url}/commit/{sha}"),
    }
}

fn pr_url(kind: Kind, repo_url: &str, number: u64) -> String {
    match kind {
        Kind::Gitlab => format!("{repo_url}/-/merge_requests/{number}"),
        _ => format!("{repo_url}/pull/{number}"),
    }
}

fn json_str(v: &serde_json::Value, pointer: &str) -> Option<String> {
    v.pointer(pointer)
        .and_then(|x| x.as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn github_context(run: &RunContext) -> (Ci, Change, Defaults) {
    let server = run
        .server_url
        .as_deref()
        .unwrap_or("https://github.com")
        .trim_end_matches('/')
        .to_string();
    let repository = run.repository.clone();
    let repository_url = repository.as_ref().map(|r| format!("{server}/{r}"));
    let run_id = run.run_id.clone();
    let run_url = match (&repository_url, &run_id) {
        (Some(r), Some(id)) => Some(match run.run_attempt.as_deref() {
            Some(a) if a != "1" => format!("{r}/actions/runs/{id}/attempts/{a}"),
            _ => format!("{r}/actions/runs/{id}"),
        }),
        _ => None,
    };
    let ci = Ci {
        platform: "github".into(),
        repository,
        repository_url: repository_url.clone(),
        run_id,
        run_url,
        job_url: None,
        actor: run.actor.clone(),
        triggering_actor: run.triggering_actor.clone().or(run.actor.clone()),
        workflow: run.workflow.clone(),
        ref_name: run.ref_name.clone(),
        event: run.event_name.clone(),
    };
    let ev = &run.event;
    // On pull requests GITHUB_SHA is a merge commit nobody sees; the head is what the PR
    // shows statuses on.
    let sha = json_str(ev, "/pull_request/head/sha")
        .or_else(|| json_str(ev, "/deployment/sha"))
        .or_else(|| run.sha.clone());
    let pr_number = ev.pointer("/pull_request/number").and_then(|n| n.as_u64());
    let change = Change {
        commit_url: match (&repository_url, &sha) {
            (Some(r), Some(s)) => Some(commit_url(Kind::Github, r, s)),
            _ => None,
        },
        sha,
        short_sha: None,
        commit_message: json_str(ev, "/head_commit/message"),
        commit_title: None,
        pr_number,
        pr_url: json_str(ev, "/pull_request/html_url").or_else(|| {
            repository_url
                .as_ref()
                .zip(pr_number)
                .map(|(r, n)| pr_url(Kind::Github, r, n))
        }),
        pr_title: json_str(ev, "/pull_request/title"),
    };
    let defaults = Defaults {
        environment: json_str(ev, "/deployment/environment"),
        environment_url: None,
        started_at: None,
    };
    (ci, change, defaults)
}

fn gitlab_context(run: &RunContext) -> (Ci, Change, Defaults) {
    let repository_url = run
        .project_url
        .as_ref()
        .map(|u| u.trim_end_matches('/').to_string());
    let sha = run.sha.clone();
    let pr_number = run.pr_number;
    let ci = Ci {
        platform: "gitlab".into(),
        repository: run.repository.clone(),
        repository_url: repository_url.clone(),
        run_id: run.run_id.clone(),
        run_url: run.run_url.clone(),
        job_url: run.job_url.clone(),
        actor: run.actor.clone(),
        triggering_actor: run.actor.clone(),
        workflow: run.job.clone(),
        ref_name: run.ref_name.clone(),
        event: run.event_name.clone(),
    };
    let change = Change {
        commit_url: match (&repository_url, &sha) {
            (Some(r), Some(s)) => Some(commit_url(Kind::Gitlab, r, s)),
            _ => None,
        },
        sha,
        short_sha: None,
        commit_message: run.commit_message.clone(),
        commit_title: None,
        pr_number,
        pr_url: repository_url
            .as_ref()
            .zip(pr_number)
            .map(|(r, n)| pr_url(Kind::Gitlab, r, n)),
        pr_title: run.mr_title.clone(),
    };
    let defaults = Defaults {
        environment: run.environment.clone(),
        environment_url: run.environment_url.clone(),
        started_at: run.run_created_at.clone(),
    };
    (ci, change, defaults)
}

/// "Deploy of acme/web v1.2 to prod succeeded".
fn title(state: Status, repo: Option<&str>, version: Option<&str>, env: Option<&str>) -> String {
    let mut t = String::from("Deploy");
    if let Some(r) = repo {
        t.push_str(" of ");
        t.push_str(r);
    }
    if let Some(v) = version {
        t.push_str(if repo.is_some() { " " } else { " of " });
        t.push_str(v);
    }
    if let Some(e) = env {
        t.push_str(" to ");
        t.push_str(e);
    }
    t.push(' ');
    t.push_str(state.phrase());
    t
}

/// An instant as RFC 3339 or Unix seconds.
pub fn parse_instant(text: &str) -> Result<Timestamp, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<i64>() {
        return Timestamp::from_second(secs)
            .map_err(|e| format!("{}: {e}", crate::error::quote(text)));
    }
    text.parse::<Timestamp>().map_err(|_| {
        format!(
            "{} is not an instant (expected RFC 3339, e.g. 2026-11-22T10:00:00Z, or Unix seconds)",
            crate::error::quote(text)
        )
    })
}

/// "1h 2m 3s", "45s".
pub fn human_duration(secs: i64) -> String {
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s}s"),
        _ => format!("{h}h {m}m {s}s"),
    }
}

pub use crate::platform::inputs::{parse_list, NAME_KEYS};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_words_and_aliases() {
        assert_eq!("Succeeded".parse::<Status>(), Ok(Status::Success));
        assert_eq!("canceled".parse::<Status>(), Ok(Status::Cancelled));
        assert_eq!("in_progress".parse::<Status>(), Ok(Status::Started));
        let err = "meh".parse::<Status>().unwrap_err();
        assert!(err.contains("success, failure"), "{err}");
    }

    #[test]
    fn lists_from_json_or_commas() {
        assert_eq!(parse_list(Some("a, b\nc,")).unwrap(), ["a", "b", "c"]);
        assert_eq!(
            parse_list(Some(r#"["api", {"name": "web"}]"#)).unwrap(),
            ["api", "web"]
        );
        // The gate's `approvers` output.
        assert_eq!(
            parse_list(Some(
                r#"[{"login":"a","time":"2026-11-22T10:00:00Z","comment_url":"u","reason":null}]"#
            ))
            .unwrap(),
            ["a"]
        );
        assert!(parse_list(Some(r#"[{"time": "x"}]"#))
            .unwrap_err()
            .contains("item 1"));
        assert!(parse_list(Some("[1,")).is_err());
        assert!(parse_list(None).unwrap().is_empty());
    }

    #[test]
    fn instants_and_durations() {
        let a = parse_instant("2026-11-22T10:00:00Z").unwrap();
        let b = parse_instant("1795341612").unwrap();
        assert_eq!(a.as_second(), 1795341600);
        assert_eq!(b.duration_since(a).as_secs(), 12);
        assert!(parse_instant("yesterday").is_err());
        assert_eq!(human_duration(45), "45s");
        assert_eq!(human_duration(192), "3m 12s");
        assert_eq!(human_duration(3723), "1h 2m 3s");
    }

    #[test]
    fn titles_read_as_sentences() {
        assert_eq!(
            title(
                Status::Success,
                Some("acme/web"),
                Some("v1.2"),
                Some("prod")
            ),
            "Deploy of acme/web v1.2 to prod succeeded"
        );
        assert_eq!(
            title(Status::Failure, None, Some("v1.2"), None),
            "Deploy of v1.2 failed"
        );
    }
}
