//! The run's context, read once from the runner's variables: which repository, commit, ref,
//! who started it, which run and job, the pull/merge request, the event and its payload,
//! and the API and server URLs — for GitHub Actions, GitLab CI and a terminal.
//!
//! This is the one place that names runner variables (`GITHUB_*`, `CI_*`, `GITLAB_*`):
//! verbs read fields of [`RunContext`] and, where a message must name a variable, one of
//! the [`var`] constants. A bad event file (set but missing, unreadable, not JSON, or not a
//! JSON object) is one failure for every verb: exit 2 naming the variable and the file.

use std::path::Path;

use serde_json::Value;

use super::{Env, Kind};
use crate::error::{quote, Failure};

/// The runner variables that verbs' messages name (the rest are read here only).
pub mod var {
    /// GitHub: the event payload file.
    pub const EVENT_PATH: &str = "GITHUB_EVENT_PATH";
    /// GitLab: the webhook payload file of a triggered pipeline.
    pub const TRIGGER_PAYLOAD: &str = "TRIGGER_PAYLOAD";
    /// GitHub: `owner/name`.
    pub const GITHUB_REPOSITORY: &str = "GITHUB_REPOSITORY";
    /// GitHub: the REST API base URL.
    pub const GITHUB_API_URL: &str = "GITHUB_API_URL";
    /// GitHub: the workflow's token (when the workflow passes it on).
    pub const GITHUB_TOKEN: &str = "GITHUB_TOKEN";
    /// GitLab: the REST API base URL.
    pub const GITLAB_API_URL: &str = "CI_API_V4_URL";
    /// GitLab: the project id.
    pub const GITLAB_PROJECT_ID: &str = "CI_PROJECT_ID";
    /// GitLab: a personal or project token.
    pub const GITLAB_TOKEN: &str = "GITLAB_TOKEN";
    /// GitLab: the job's own token.
    pub const CI_JOB_TOKEN: &str = "CI_JOB_TOKEN";
    /// GitLab: the user who started the job.
    pub const GITLAB_USER_LOGIN: &str = "GITLAB_USER_LOGIN";
    /// GitLab: a deploy freeze period was active when the pipeline was created.
    pub const DEPLOY_FREEZE: &str = "CI_DEPLOY_FREEZE";
}

/// A token the runner provides; its `Debug` never shows the value.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Token(pub Option<String>);

impl Token {
    /// The token, if set.
    pub fn get(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Token(***)"
        } else {
            "Token(None)"
        })
    }
}

/// Where each forge's API and project are, whichever runner this is.
#[derive(Debug, Clone, Default)]
pub struct Forges {
    /// `GITHUB_API_URL`, `GITHUB_REPOSITORY`.
    pub github_api_url: Option<String>,
    pub github_repository: Option<String>,
    /// `CI_API_V4_URL`, `CI_PROJECT_ID`.
    pub gitlab_api_url: Option<String>,
    pub gitlab_project_id: Option<String>,
}

impl Forges {
    fn read(env: &Env) -> Forges {
        Forges {
            github_api_url: owned(env, var::GITHUB_API_URL),
            github_repository: owned(env, var::GITHUB_REPOSITORY),
            gitlab_api_url: owned(env, var::GITLAB_API_URL),
            gitlab_project_id: owned(env, var::GITLAB_PROJECT_ID),
        }
    }
}

/// Everything the runner says about this run. Fields the runner does not set are `None`
/// (or empty); defaults such as `https://api.github.com` are the verbs' to choose.
#[derive(Debug, Clone, Default)]
pub struct RunContext {
    /// `owner/name` (GitHub) or the project path (GitLab).
    pub repository: Option<String>,
    /// GitHub: the repository owner.
    pub repository_owner: Option<String>,
    /// GitLab: the numeric project id.
    pub project_id: Option<String>,
    /// GitLab: the project's web URL.
    pub project_url: Option<String>,
    /// The commit the run is for.
    pub sha: Option<String>,
    /// GitHub: the full ref (`refs/heads/x`).
    pub git_ref: Option<String>,
    /// The short ref name (branch or tag).
    pub ref_name: Option<String>,
    /// GitLab: the tag, branch, default branch, the merge request's source branch, the
    /// commit before the push and the merge request's diff base.
    pub commit_tag: Option<String>,
    pub commit_branch: Option<String>,
    pub default_branch: Option<String>,
    pub mr_source_branch: Option<String>,
    pub before_sha: Option<String>,
    pub mr_diff_base_sha: Option<String>,
    /// GitLab: the commit message and the merge request's title.
    pub commit_message: Option<String>,
    pub mr_title: Option<String>,
    /// Who started the run, and who re-ran it (GitHub; GitLab has one user).
    pub actor: Option<String>,
    pub triggering_actor: Option<String>,
    /// The run (GitHub workflow run, GitLab pipeline) and its attempt.
    pub run_id: Option<String>,
    pub run_attempt: Option<String>,
    /// GitLab: the pipeline's URL (GitHub's is built from the server URL).
    pub run_url: Option<String>,
    /// GitLab: when the pipeline was created.
    pub run_created_at: Option<String>,
    /// The job (GitHub job id, GitLab job name), its URL (GitLab), the step (GitHub
    /// `GITHUB_ACTION`) and the workflow name (GitHub).
    pub job: Option<String>,
    pub job_url: Option<String>,
    pub step: Option<String>,
    pub workflow: Option<String>,
    /// GitLab: the environment of the job.
    pub environment: Option<String>,
    pub environment_url: Option<String>,
    /// The pull request (GitHub, from the event) or merge request IID (GitLab).
    pub pr_number: Option<u64>,
    /// The event name (GitHub) or pipeline source (GitLab).
    pub event_name: Option<String>,
    /// The event payload (GitHub event file, GitLab trigger payload); `Null` when none.
    pub event: Value,
    /// GitLab: a deploy freeze was active when the pipeline was created.
    pub deploy_freeze: bool,
    /// API and web server base URLs.
    pub api_url: Option<String>,
    pub server_url: Option<String>,
    /// Both forges' coordinates, read on every runner: a verb may talk to the other forge
    /// (a GitHub status from a GitLab job).
    pub forges: Forges,
    /// Tokens the runner provides (`GITHUB_TOKEN`; `GITLAB_TOKEN`, `CI_JOB_TOKEN`).
    pub github_token: Token,
    pub gitlab_token: Token,
    pub job_token: Token,
}

impl RunContext {
    /// Reads the context of a run on `kind`: GitLab's `CI_*` variables on GitLab, GitHub's
    /// `GITHUB_*` on GitHub, both (GitHub's first) in a terminal.
    pub fn read(kind: Kind, env: &Env) -> Result<RunContext, Failure> {
        match kind {
            Kind::Gitlab => Self::gitlab(env),
            Kind::Github => Self::github(env),
            // A terminal run may stand in for either runner (a GitHub event passed on
            // purpose, a GitLab approval job replayed): GitHub's variables first.
            Kind::Local => Ok(Self::github(env)?.or(Self::gitlab(env)?)),
        }
    }

    /// Each field of `self`, or of `other` where `self` has none.
    fn or(self, other: RunContext) -> RunContext {
        RunContext {
            repository: self.repository.or(other.repository),
            repository_owner: self.repository_owner.or(other.repository_owner),
            project_id: self.project_id.or(other.project_id),
            project_url: self.project_url.or(other.project_url),
            sha: self.sha.or(other.sha),
            git_ref: self.git_ref.or(other.git_ref),
            ref_name: self.ref_name.or(other.ref_name),
            commit_tag: self.commit_tag.or(other.commit_tag),
            commit_branch: self.commit_branch.or(other.commit_branch),
            default_branch: self.default_branch.or(other.default_branch),
            mr_source_branch: self.mr_source_branch.or(other.mr_source_branch),
            before_sha: self.before_sha.or(other.before_sha),
            mr_diff_base_sha: self.mr_diff_base_sha.or(other.mr_diff_base_sha),
            commit_message: self.commit_message.or(other.commit_message),
            mr_title: self.mr_title.or(other.mr_title),
            actor: self.actor.or(other.actor),
            triggering_actor: self.triggering_actor.or(other.triggering_actor),
            run_id: self.run_id.or(other.run_id),
            run_attempt: self.run_attempt.or(other.run_attempt),
            run_url: self.run_url.or(other.run_url),
            run_created_at: self.run_created_at.or(other.run_created_at),
            job: self.job.or(other.job),
            job_url: self.job_url.or(other.job_url),
            step: self.step.or(other.step),
            workflow: self.workflow.or(other.workflow),
            environment: self.environment.or(other.environment),
            environment_url: self.environment_url.or(other.environment_url),
            pr_number: self.pr_number.or(other.pr_number),
            event_name: self.event_name.or(other.event_name),
            event: if self.event.is_null() {
                other.event
            } else {
                self.event
            },
            deploy_freeze: self.deploy_freeze || other.deploy_freeze,
            forges: self.forges,
            api_url: self.api_url.or(other.api_url),
            server_url: self.server_url.or(other.server_url),
            github_token: Token(self.github_token.0.or(other.github_token.0)),
            gitlab_token: Token(self.gitlab_token.0.or(other.gitlab_token.0)),
            job_token: Token(self.job_token.0.or(other.job_token.0)),
        }
    }

    fn github(env: &Env) -> Result<RunContext, Failure> {
        let event = read_event(env, var::EVENT_PATH)?;
        let pr_number = event
            .pointer("/pull_request/number")
            .and_then(Value::as_u64);
        Ok(RunContext {
            repository: owned(env, var::GITHUB_REPOSITORY),
            repository_owner: owned(env, "GITHUB_REPOSITORY_OWNER"),
            sha: owned(env, "GITHUB_SHA"),
            git_ref: owned(env, "GITHUB_REF"),
            ref_name: owned(env, "GITHUB_REF_NAME"),
            default_branch: event
                .pointer("/repository/default_branch")
                .and_then(Value::as_str)
                .map(str::to_string),
            actor: owned(env, "GITHUB_ACTOR"),
            triggering_actor: owned(env, "GITHUB_TRIGGERING_ACTOR"),
            run_id: owned(env, "GITHUB_RUN_ID"),
            run_attempt: owned(env, "GITHUB_RUN_ATTEMPT"),
            job: owned(env, "GITHUB_JOB"),
            step: owned(env, "GITHUB_ACTION"),
            workflow: owned(env, "GITHUB_WORKFLOW"),
            pr_number,
            event_name: owned(env, "GITHUB_EVENT_NAME"),
            event,
            api_url: owned(env, var::GITHUB_API_URL),
            server_url: owned(env, "GITHUB_SERVER_URL"),
            forges: Forges::read(env),
            github_token: Token(owned(env, var::GITHUB_TOKEN)),
            gitlab_token: Token(owned(env, var::GITLAB_TOKEN)),
            job_token: Token(owned(env, var::CI_JOB_TOKEN)),
            ..RunContext::default()
        })
    }

    fn gitlab(env: &Env) -> Result<RunContext, Failure> {
        let user = owned(env, var::GITLAB_USER_LOGIN);
        Ok(RunContext {
            repository: owned(env, "CI_PROJECT_PATH"),
            project_id: owned(env, var::GITLAB_PROJECT_ID),
            project_url: owned(env, "CI_PROJECT_URL"),
            sha: owned(env, "CI_COMMIT_SHA"),
            ref_name: owned(env, "CI_COMMIT_REF_NAME"),
            commit_tag: owned(env, "CI_COMMIT_TAG"),
            commit_branch: owned(env, "CI_COMMIT_BRANCH"),
            default_branch: owned(env, "CI_DEFAULT_BRANCH"),
            mr_source_branch: owned(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"),
            before_sha: owned(env, "CI_COMMIT_BEFORE_SHA"),
            mr_diff_base_sha: owned(env, "CI_MERGE_REQUEST_DIFF_BASE_SHA"),
            commit_message: owned(env, "CI_COMMIT_MESSAGE"),
            mr_title: owned(env, "CI_MERGE_REQUEST_TITLE"),
            actor: user.clone(),
            triggering_actor: user,
            run_id: owned(env, "CI_PIPELINE_ID"),
            run_url: owned(env, "CI_PIPELINE_URL"),
            run_created_at: owned(env, "CI_PIPELINE_CREATED_AT"),
            job: owned(env, "CI_JOB_NAME"),
            job_url: owned(env, "CI_JOB_URL"),
            environment: owned(env, "CI_ENVIRONMENT_NAME"),
            environment_url: owned(env, "CI_ENVIRONMENT_URL"),
            pr_number: env.get("CI_MERGE_REQUEST_IID").and_then(|n| n.parse().ok()),
            event_name: owned(env, "CI_PIPELINE_SOURCE"),
            event: read_event(env, var::TRIGGER_PAYLOAD)?,
            deploy_freeze: env.is_true(var::DEPLOY_FREEZE),
            api_url: owned(env, var::GITLAB_API_URL),
            server_url: owned(env, "CI_SERVER_URL"),
            forges: Forges::read(env),
            github_token: Token(owned(env, var::GITHUB_TOKEN)),
            gitlab_token: Token(owned(env, var::GITLAB_TOKEN)),
            job_token: Token(owned(env, var::CI_JOB_TOKEN)),
            ..RunContext::default()
        })
    }
}

/// The event payload in the file `name` points at: `Null` when `name` is unset, and an
/// exit-2 failure naming `name` and the file when the file is missing, unreadable, not
/// JSON, or not a JSON object.
/// The largest event file read (GitHub's webhook payloads are capped at 25 MB).
const MAX_EVENT_BYTES: u64 = 64 * 1024 * 1024;

/// The parts of an event payload that, when present, must be JSON objects.
const EVENT_OBJECTS: [&str; 7] = [
    "pull_request",
    "merge_group",
    "repository",
    "issue",
    "comment",
    "sender",
    "head_commit",
];

fn read_event(env: &Env, name: &str) -> Result<Value, Failure> {
    let Some(path) = env.get(name) else {
        return Ok(Value::Null);
    };
    // Read like every other text file: a pipe works, and bad UTF-8 is located.
    let text =
        crate::config::read_text(Path::new(path), name, MAX_EVENT_BYTES).map_err(|e| match e {
            Failure::Input {
                location: None,
                message,
                ..
            } => Failure::input(
                name,
                format!(
                    "cannot read the event file {}: {}",
                    quote(path),
                    message.trim_start_matches(&format!("cannot read {}: ", quote(path)))
                ),
            ),
            located => located,
        })?;
    let value: Value = serde_json::from_str(&text).map_err(|e| {
        Failure::input(
            name,
            format!("the event file {} is not valid JSON: {e}", quote(path)),
        )
    })?;
    if !value.is_object() {
        return Err(Failure::input(
            name,
            format!("the event file {} does not hold a JSON object", quote(path)),
        ));
    }
    // The parts of a payload verbs read are objects when present: `{"pull_request": 5}`
    // is a broken file, never "no pull request".
    for key in EVENT_OBJECTS {
        if let Some(part) = value.get(key).filter(|v| !v.is_null() && !v.is_object()) {
            return Err(Failure::input(
                name,
                format!(
                    "the event file {}: '{key}' is {}, not an object",
                    quote(path),
                    match part {
                        Value::Array(_) => "a list",
                        Value::String(_) => "a string",
                        Value::Number(_) => "a number",
                        Value::Bool(_) => "a boolean",
                        _ => "not an object",
                    }
                ),
            ));
        }
    }
    Ok(value)
}

fn owned(env: &Env, name: &str) -> Option<String> {
    env.get(name).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_event_file_names_the_variable_and_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.json");
        let not_json = dir.path().join("bad.json");
        std::fs::write(&not_json, "{").unwrap();
        let array = dir.path().join("array.json");
        std::fs::write(&array, "[]").unwrap();
        for (path, words) in [
            (&missing, "cannot read the event file"),
            (&not_json, "is not valid JSON"),
            (&array, "does not hold a JSON object"),
        ] {
            let env = Env::from_pairs([(var::EVENT_PATH, path.to_str().unwrap())]);
            let e = RunContext::read(Kind::Github, &env).unwrap_err();
            let text = e.to_string();
            assert!(text.starts_with("input 'GITHUB_EVENT_PATH': "), "{text}");
            assert!(text.contains(words), "{text}");
            assert!(text.contains(path.to_str().unwrap()), "{text}");
            assert_eq!(e.exit_code(), 2);
        }
    }

    #[test]
    fn gitlab_variables_fill_the_same_fields() {
        let env = Env::from_pairs([
            ("CI_PROJECT_PATH", "g/p"),
            ("CI_MERGE_REQUEST_IID", "7"),
            ("GITLAB_USER_LOGIN", "ann"),
            ("CI_JOB_TOKEN", "secret-token"),
        ]);
        let ctx = RunContext::read(Kind::Gitlab, &env).unwrap();
        assert_eq!(ctx.repository.as_deref(), Some("g/p"));
        assert_eq!(ctx.pr_number, Some(7));
        assert_eq!(ctx.triggering_actor.as_deref(), Some("ann"));
        assert!(!format!("{ctx:?}").contains("secret-token"));
    }
}
