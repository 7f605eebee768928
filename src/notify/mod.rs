//! `notify`: one message per deployment, updated in place, on every channel a team uses.
//!
//! A run reads its inputs ([`options`]), gathers what the message is about
//! ([`context`]), renders every target's payload — a built-in [`layout`] or a user
//! [`template`] — and makes it fit the target ([`limits`]). All of that happens before
//! anything is sent, so a bad input or template fails with exit 2 and nothing written.
//! Then each target is sent to in turn (one retry policy for all, [`crate::http`]); a
//! target that fails is a warning (exit 0) unless `strict` is set (exit 1). `dry-run`
//! stops before sending and shows every payload instead.
//!
//! Thread state survives job boundaries without storage: sticky comments and notes carry
//! a hidden marker ([`sticky`]), Slack parents carry message metadata, and the Slack
//! parent's `ts` is also an output for the fast path.

pub mod context;
pub mod layout;
pub mod limits;
pub mod request;
pub mod secrets;
pub mod sticky;
pub mod template;

mod github;
mod gitlab;
mod slack;
mod teams;
mod webhook;

use anyhow::anyhow;
use serde_json::{json, Value};

use crate::clock::Clock;
use crate::error::{quote, Failure};
use crate::forge;
use crate::http::{self, RetryPolicy};
use crate::platform::{Kind, Outcome, Platform, Report};

use self::context::Context;
use self::layout::Person;
use self::request::{Options, Target, TargetKind};
use self::template::Syntax;

/// The report to write, and the failure to exit with after writing it (strict mode):
/// outputs of the targets that worked (a Slack `ts`) are kept even when another failed.
pub struct Finish {
    pub report: Report,
    pub failure: Option<Failure>,
}

/// What sending to one target came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// The target confirmed it.
    Delivered,
    /// The target queued it and may still drop it (HTTP 202).
    Accepted,
    /// Nothing to do here (no pull request for a comment).
    Skipped,
    Failed,
    /// `dry-run`: rendered, not sent.
    DryRun,
}

impl State {
    fn word(self) -> &'static str {
        match self {
            State::Delivered => "delivered",
            State::Accepted => "accepted",
            State::Skipped => "skipped",
            State::Failed => "failed",
            State::DryRun => "dry-run",
        }
    }
}

/// The result of one successful send.
#[derive(Debug, Clone)]
pub struct Sent {
    pub state: State,
    pub detail: String,
    pub outputs: Vec<(String, String)>,
}

impl Sent {
    pub fn delivered(detail: impl Into<String>) -> Self {
        Sent {
            state: State::Delivered,
            detail: detail.into(),
            outputs: Vec::new(),
        }
    }

    pub fn accepted(detail: impl Into<String>) -> Self {
        Sent {
            state: State::Accepted,
            ..Sent::delivered(detail)
        }
    }

    pub fn skipped(detail: impl Into<String>) -> Self {
        Sent {
            state: State::Skipped,
            ..Sent::delivered(detail)
        }
    }

    pub fn output(mut self, name: &str, value: String) -> Self {
        self.outputs.push((name.to_string(), value));
        self
    }
}

/// A target's payload, rendered, fitted and redacted.
#[derive(Debug, Clone)]
enum Payload {
    Slack { message: Value, reply: Value },
    Json(Value),
    Markdown(String),
    GithubStatus(forge::github::CommitStatus),
    GithubDeployment(forge::github::DeploymentStatusBody),
    GitlabStatus(forge::gitlab::CommitStatus),
}

#[derive(Debug, Clone)]
struct Prepared {
    target: Target,
    payload: Payload,
    /// Why it cannot be sent (too large even after truncation).
    problem: Option<String>,
}

/// Runs notify as `opts` (see [`request::read`]) asks: what it sent, then a failure if
/// a target did not get it.
pub fn run(opts: &Options, platform: &mut Platform) -> Result<Outcome, Failure> {
    let done = notify(opts, platform)?;
    Ok(Outcome::finished(done.report, done.failure))
}

/// Gathers the context and sends to every target.
fn notify(opts: &Options, platform: &mut Platform) -> Result<Finish, Failure> {
    let now = context::now(&platform.env)?;
    let ctx = Context::gather(&opts.deploy, platform.kind, &platform.context, now)?;
    let prepared = opts
        .targets
        .iter()
        .map(|t| prepare(t, &ctx, opts, platform))
        .collect::<Result<Vec<_>, Failure>>()?;
    if opts.dry_run {
        return Ok(dry_run(&prepared, &ctx, platform));
    }
    let clock = crate::clock::Clock::from_env(&platform.env)?;
    let outcomes = send_all(&prepared, &ctx, clock)?;
    Ok(finish(&prepared, outcomes, &ctx, opts, platform))
}

/// Who to mention for this target: nobody unless the status is in its `mention-on`.
fn people_for(target: &Target, ctx: &Context, opts: &Options) -> Vec<Person> {
    if !target.settings.mention_on.contains(&ctx.state) {
        return Vec::new();
    }
    let logins = opts.mention.clone().unwrap_or_else(|| ctx.people());
    logins
        .iter()
        .map(|l| request::person(&opts.identities, l.trim_start_matches('@')))
        .collect()
}

/// The template context: `deploy`, `ci`, `change`, plus `mentions`, `mention_text` (in
/// the target's syntax) and `target`.
fn template_context(ctx: &Context, people: &[Person], target: &Target) -> Value {
    let mut v = serde_json::to_value(ctx).unwrap_or_else(|_| json!({}));
    v["mentions"] = people
        .iter()
        .map(|p| json!({"login": p.login, "slack": p.slack, "teams": p.teams, "name": p.name}))
        .collect();
    v["mention_text"] = json!(match target.kind {
        TargetKind::Slack => layout::slack_mentions(people),
        TargetKind::Teams => people
            .iter()
            .map(|p| format!("<at>{}</at>", p.name.as_deref().unwrap_or(&p.login)))
            .collect::<Vec<_>>()
            .join(" "),
        _ => layout::md_mentions(people),
    });
    v["target"] = json!({"name": target.name, "kind": target.kind.name()});
    v
}

/// The key of the sticky comment or note: the thread key, else the environment.
fn sticky_key(ctx: &Context) -> String {
    ctx.deploy
        .thread_key
        .clone()
        .or_else(|| ctx.deploy.environment.clone())
        .unwrap_or_else(|| "deploy".to_string())
}

/// Renders, fits and redacts one target's payload. Template errors are input errors.
fn prepare(
    target: &Target,
    ctx: &Context,
    opts: &Options,
    platform: &Platform,
) -> Result<Prepared, Failure> {
    let s = &target.settings;
    let people = people_for(target, ctx, opts);
    let run = ctx.ci.run_url.as_deref();
    let tctx = || template_context(ctx, &people, target);
    let json_template = |src: &template::Source| -> Result<Value, Failure> {
        let v = template::render_json(src, &tctx())
            .map_err(|e| Failure::input(src.input.clone(), e))?;
        if v.is_object() {
            Ok(v)
        } else {
            Err(Failure::input(
                src.input.clone(),
                format!("template {} must produce a JSON object", src.origin),
            ))
        }
    };
    let markdown = || -> Result<String, Failure> {
        match &s.template {
            Some(src) => template::render(src, Syntax::Markdown, &tctx())
                .map_err(|e| Failure::input(src.input.clone(), e)),
            None => Ok(layout::markdown(ctx, &people)),
        }
    };
    let sticky_body = |max: usize| -> Result<String, Failure> {
        let marker = sticky::marker(&sticky_key(ctx));
        let text = format!("{marker}\n{}", markdown()?);
        Ok(limits::cut(&text, max, &limits::markdown_note(run)))
    };
    let context_name = s
        .context
        .clone()
        .unwrap_or_else(|| match &ctx.deploy.environment {
            Some(e) => format!("shipgate/{e}"),
            None => "shipgate/notify".to_string(),
        });
    let mut problem = None;
    let payload = match target.kind {
        TargetKind::Slack => {
            let mut message = match &s.template {
                Some(src) => json_template(src)?,
                None => layout::slack_message(ctx, &people),
            };
            limits::fit_slack(&mut message, run);
            let mut reply = layout::slack_reply(ctx, &people);
            limits::fit_slack(&mut reply, run);
            Payload::Slack { message, reply }
        }
        TargetKind::Teams => {
            let mut v = match &s.template {
                Some(src) => {
                    let v = json_template(src)?;
                    if v.get("type").and_then(Value::as_str) == Some("AdaptiveCard") {
                        layout::teams_envelope(v)
                    } else {
                        v
                    }
                }
                None => layout::teams_message(ctx, &people),
            };
            if !limits::fit_json_bytes(&mut v, limits::TEAMS_BYTES, run) {
                problem = Some(format!(
                    "the Teams payload is {} bytes even with every text cut (Teams accepts about {} bytes)",
                    limits::json_len(&v),
                    limits::TEAMS_BYTES
                ));
            }
            Payload::Json(v)
        }
        TargetKind::Webhook => Payload::Json(match &s.template {
            Some(src) => json_template(src)?,
            None => layout::webhook_body(ctx, &people),
        }),
        TargetKind::GithubSummary => Payload::Markdown(limits::cut_bytes(
            &markdown()?,
            limits::GITHUB_SUMMARY_BYTES,
            &limits::markdown_note(run),
        )),
        TargetKind::GithubComment => Payload::Markdown(sticky_body(limits::GITHUB_COMMENT_CHARS)?),
        TargetKind::GitlabNote => Payload::Markdown(sticky_body(limits::GITLAB_NOTE_CHARS)?),
        TargetKind::GithubStatus => Payload::GithubStatus(forge::github::CommitStatus {
            state: ctx.state.github_commit_state().to_string(),
            target_url: ctx.ci.run_url.clone(),
            description: layout::status_description(ctx),
            context: context_name,
        }),
        TargetKind::GithubDeployment => {
            Payload::GithubDeployment(forge::github::DeploymentStatusBody {
                state: ctx.state.github_deployment_state().to_string(),
                log_url: ctx.ci.run_url.clone(),
                environment_url: ctx.deploy.environment_url.clone(),
                description: layout::status_description(ctx),
            })
        }
        TargetKind::GitlabStatus => Payload::GitlabStatus(forge::gitlab::CommitStatus {
            state: ctx.state.gitlab_state().to_string(),
            name: context_name,
            target_url: ctx.ci.run_url.clone(),
            description: Some(layout::status_description(ctx)),
            git_ref: None,
        }),
    };
    Ok(Prepared {
        target: target.clone(),
        payload: redact_payload(payload, platform),
        problem,
    })
}

/// No registered secret leaves in a payload, whatever the inputs or templates put there.
fn redact_payload(payload: Payload, platform: &Platform) -> Payload {
    fn walk(v: &mut Value, platform: &Platform) {
        match v {
            Value::String(s) => *s = platform.redact(s),
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, platform)),
            Value::Object(map) => map.values_mut().for_each(|i| walk(i, platform)),
            _ => {}
        }
    }
    match payload {
        Payload::Slack {
            mut message,
            mut reply,
        } => {
            walk(&mut message, platform);
            walk(&mut reply, platform);
            Payload::Slack { message, reply }
        }
        Payload::Json(mut v) => {
            walk(&mut v, platform);
            Payload::Json(v)
        }
        Payload::Markdown(text) => Payload::Markdown(platform.redact(&text)),
        Payload::GithubStatus(mut st) => {
            st.description = platform.redact(&st.description);
            Payload::GithubStatus(st)
        }
        Payload::GithubDeployment(mut st) => {
            st.description = platform.redact(&st.description);
            Payload::GithubDeployment(st)
        }
        Payload::GitlabStatus(mut st) => {
            st.description = st.description.map(|d| platform.redact(&d));
            Payload::GitlabStatus(st)
        }
    }
}

/// Sends every payload in order; returns one outcome per target (failures included).
fn send_all(prepared: &[Prepared], ctx: &Context, clock: Clock) -> Result<Vec<Sent>, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Operational(anyhow!("cannot start the async runtime: {e}")))?;
    let client = http::client()?;
    // Retries wait on the one clock.
    let policy = RetryPolicy {
        clock,
        ..RetryPolicy::default()
    };
    Ok(runtime.block_on(async {
        let mut outcomes = Vec::new();
        for p in prepared {
            let result = match &p.problem {
                Some(problem) => Err(anyhow!("{problem}")),
                None => send_one(p, ctx, &client, &policy).await,
            };
            outcomes.push(result.unwrap_or_else(|e| Sent {
                state: State::Failed,
                detail: format!("{e:#}"),
                outputs: Vec::new(),
            }));
        }
        outcomes
    }))
}

async fn send_one(
    p: &Prepared,
    ctx: &Context,
    client: &reqwest::Client,
    policy: &RetryPolicy,
) -> anyhow::Result<Sent> {
    let s = &p.target.settings;
    let missing = || anyhow!("target {} is missing a setting", quote(&p.target.name));
    let github = || -> anyhow::Result<forge::github::GitHub> {
        let token = s.token.as_deref().ok_or_else(missing)?;
        let api = s.api_url.as_deref().unwrap_or("https://api.github.com");
        let mut gh = forge::github::GitHub::new(api, token);
        gh.policy = *policy;
        Ok(gh)
    };
    let gitlab = || -> anyhow::Result<forge::gitlab::GitLab> {
        let token = s.token.clone().ok_or_else(missing)?;
        let auth = if s.job_token {
            forge::gitlab::Auth::Job(token)
        } else {
            forge::gitlab::Auth::Token(token)
        };
        let mut gl = forge::gitlab::GitLab::new(s.api_url.as_deref().ok_or_else(missing)?, auth);
        gl.policy = *policy;
        Ok(gl)
    };
    let project = || s.project.as_deref().ok_or_else(missing);
    let sha = ctx.change.sha.as_deref();
    match (&p.payload, p.target.kind) {
        (Payload::Slack { message, reply }, _) => match (&s.token, &s.channel, &s.url) {
            (Some(token), Some(channel), _) => {
                let api = slack::Slack {
                    client,
                    api: s
                        .api_url
                        .clone()
                        .unwrap_or_else(|| slack::DEFAULT_API.to_string()),
                    token: token.clone(),
                    channel: channel.clone(),
                    policy: *policy,
                };
                slack::send_api(
                    &api,
                    ctx.deploy.thread_key.as_deref(),
                    s.ts.as_deref(),
                    message,
                    reply,
                )
                .await
            }
            (_, _, Some(url)) => {
                let body = if s.ts.is_some() { reply } else { message };
                let sent = slack::send_webhook(client, policy, url, s.ts.as_deref(), body).await?;
                Ok(match (&ctx.deploy.thread_key, &s.ts) {
                    (Some(_), None) => Sent {
                        detail: format!(
                            "{} (a webhook cannot find or update the thread: give slack-token and slack-channel, or slack-ts)",
                            sent.detail
                        ),
                        ..sent
                    },
                    _ => sent,
                })
            }
            _ => Err(missing()),
        },
        (Payload::Json(v), TargetKind::Teams) => {
            teams::send(client, policy, s.url.as_deref().ok_or_else(missing)?, v).await
        }
        (Payload::Json(v), _) => {
            webhook::send(
                client,
                policy,
                s.url.as_deref().ok_or_else(missing)?,
                s.secret.as_deref(),
                v,
            )
            .await
        }
        (Payload::Markdown(_), TargetKind::GithubSummary) => {
            Ok(Sent::delivered("written to the job summary"))
        }
        (Payload::Markdown(body), TargetKind::GithubComment) => {
            let marker = sticky::marker(&sticky_key(ctx));
            let gh = github()?;
            github::comment(
                &gh.session_with(client.clone()),
                project()?,
                ctx.change.pr_number,
                sha,
                ctx.ci.repository_url.as_deref(),
                &marker,
                body,
            )
            .await
        }
        (Payload::Markdown(body), _) => {
            let marker = sticky::marker(&sticky_key(ctx));
            let gl = gitlab()?;
            gitlab::note(
                &gl.session_with(client.clone(), project()?),
                ctx.change.pr_number,
                &marker,
                body,
            )
            .await
        }
        (Payload::GithubStatus(st), _) => {
            let gh = github()?;
            github::commit_status(&gh.session_with(client.clone()), project()?, sha, st).await
        }
        (Payload::GithubDeployment(st), _) => {
            let gh = github()?;
            github::deployment_status(
                &gh.session_with(client.clone()),
                project()?,
                s.deployment_id,
                sha,
                ctx.deploy.environment.as_deref(),
                st,
            )
            .await
        }
        (Payload::GitlabStatus(st), _) => {
            let gl = gitlab()?;
            gitlab::commit_status(&gl.session_with(client.clone(), project()?), sha, st).await
        }
    }
}

/// The most characters of a target's detail shown (in the log and in `results`).
pub const DETAIL_MAX: usize = 1000;

/// A detail cut to [`DETAIL_MAX`] characters, saying so.
fn cut_detail(detail: &str) -> String {
    match detail.char_indices().nth(DETAIL_MAX) {
        None => detail.to_string(),
        Some((at, _)) => format!("{}… (cut at {DETAIL_MAX} characters)", &detail[..at]),
    }
}

/// One result per target, as the `results` output holds them.
fn result_json(target: &Target, state: State, detail: &str) -> Value {
    json!({"target": target.name, "kind": target.kind.name(), "state": state.word(), "detail": detail})
}

/// The run's report after sending: outputs, the job summary, a log line per target and a
/// warning per failure; the failure to exit with in strict mode.
fn finish(
    prepared: &[Prepared],
    outcomes: Vec<Sent>,
    ctx: &Context,
    opts: &Options,
    platform: &mut Platform,
) -> Finish {
    let mut report = Report::default();
    let mut results = Vec::new();
    let mut extra: Vec<(String, String)> = Vec::new();
    let mut failed = Vec::new();
    for (p, sent) in prepared.iter().zip(outcomes) {
        let Sent {
            state,
            detail,
            outputs,
        } = sent;
        // A server may echo the target's URL, or a piece of it, or its token: those go
        // first, then what is left is cut (never the other way round, so no secret is cut
        // in half and shown in part).
        let detail = cut_detail(
            &platform.redact(&secrets::Scrubber::for_settings(&p.target.settings).scrub(&detail)),
        );
        // One line (the platform escapes what is left, and keeps commands out).
        let line = format!(
            "notify: {}: {}: {}",
            p.target.name,
            state.word(),
            detail.replace(['\r', '\n'], " ")
        );
        match state {
            State::Failed => {
                platform.warning(&line);
                failed.push(p.target.name.clone());
            }
            _ => platform.info(&line),
        }
        if state == State::Delivered && p.target.kind == TargetKind::GithubSummary {
            if let Payload::Markdown(md) = &p.payload {
                report.summary = Some(md.clone());
            }
        }
        for (k, v) in outputs {
            if !extra.iter().any(|(n, _)| *n == k) {
                extra.push((k, v));
            }
        }
        results.push(result_json(&p.target, state, &detail));
    }
    report.set("results", Value::Array(results).to_string());
    report.set("ok", failed.is_empty().to_string());
    if let Some(key) = &ctx.deploy.thread_key {
        report.set("thread-key", key.clone());
    }
    for (k, v) in extra {
        report.set(k, v);
    }
    // Error details can hold what a secret URL looked like to the HTTP client; outputs are
    // written as they are, so they are redacted here.
    for (_, v) in report.outputs.iter_mut() {
        *v = platform.redact(v);
    }
    let failure = (opts.strict && !failed.is_empty()).then(|| {
        Failure::Operational(anyhow!(
            "{} of {} notification target(s) failed: {} (strict: true)",
            failed.len(),
            prepared.len(),
            failed.join(", ")
        ))
    });
    Finish { report, failure }
}

/// A fence longer than any run of backticks in `text`.
fn fence(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

/// What a target would do, in words, for the dry run.
fn intent(p: &Prepared, ctx: &Context) -> String {
    let s = &p.target.settings;
    match p.target.kind {
        TargetKind::Slack => match (&s.token, &s.channel, &ctx.deploy.thread_key, &s.ts) {
            (Some(_), Some(ch), _, Some(ts)) => {
                format!("update message {ts} in {ch} and reply in its thread")
            }
            (Some(_), Some(ch), Some(k), None) => format!(
                "find the thread {} in {ch}: update its parent and reply, or post a new parent",
                quote(k)
            ),
            (Some(_), Some(ch), None, None) => format!("post to {ch}"),
            _ => "post through the incoming webhook".to_string(),
        },
        TargetKind::Teams => "post the card to the Workflows webhook".to_string(),
        TargetKind::Webhook if s.secret.is_some() => {
            "POST the body, signed (X-Shipgate-Signature-256)".to_string()
        }
        TargetKind::Webhook => "POST the body".to_string(),
        TargetKind::GithubSummary => "write the job summary".to_string(),
        TargetKind::GithubComment => format!(
            "create or update the comment marked {} on the pull request",
            quote(&sticky_key(ctx))
        ),
        TargetKind::GitlabNote => format!(
            "create or update the note marked {} on the merge request",
            quote(&sticky_key(ctx))
        ),
        TargetKind::GithubStatus => "set the commit status".to_string(),
        TargetKind::GithubDeployment => "add a deployment status".to_string(),
        TargetKind::GitlabStatus => "set the commit status".to_string(),
    }
}

fn payload_json(payload: &Payload) -> Value {
    match payload {
        Payload::Slack { message, reply } => json!({"message": message, "reply": reply}),
        Payload::Json(v) => v.clone(),
        Payload::Markdown(md) => Value::String(md.clone()),
        Payload::GithubStatus(st) => serde_json::to_value(st).unwrap_or_default(),
        Payload::GithubDeployment(st) => serde_json::to_value(st).unwrap_or_default(),
        Payload::GitlabStatus(st) => serde_json::to_value(st).unwrap_or_default(),
    }
}

/// The dry run: every payload (already redacted) in the summary, on stdout, and in the JSON
/// report; nothing sent.
fn dry_run(prepared: &[Prepared], ctx: &Context, platform: &mut Platform) -> Finish {
    let mut text = String::from("## shipgate notify: dry run\n\nNothing was sent. Each target's payload, secrets redacted:\n");
    let mut results = Vec::new();
    let mut payloads = serde_json::Map::new();
    for p in prepared {
        let (lang, body) = match &p.payload {
            Payload::Markdown(md) => ("markdown", md.clone()),
            other => (
                "json",
                serde_json::to_string_pretty(&payload_json(other)).unwrap_or_default(),
            ),
        };
        let f = fence(&body);
        text.push_str(&format!(
            "\n### {} ({})\n\nWould {}.\n\n{f}{lang}\n{body}\n{f}\n",
            p.target.name,
            p.target.kind,
            intent(p, ctx)
        ));
        if let Some(problem) = &p.problem {
            text.push_str(&format!("\n**Would fail:** {problem}\n"));
        }
        payloads.insert(p.target.name.clone(), payload_json(&p.payload));
        results.push(result_json(&p.target, State::DryRun, &intent(p, ctx)));
    }
    if platform.kind == Kind::Github {
        // The summary goes to a file there; the log gets it too (the platform keeps any
        // line of a payload from being taken for a workflow command).
        platform.info_block(&text);
    }
    let mut report = Report::default();
    report.set("results", Value::Array(results.clone()).to_string());
    report.set("ok", "true");
    if let Some(key) = &ctx.deploy.thread_key {
        report.set("thread-key", key.clone());
    }
    report.json = Some(json!({"dry_run": true, "results": results, "payloads": payloads}));
    report.summary = Some(text);
    Finish {
        report,
        failure: None,
    }
}
