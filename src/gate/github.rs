//! The gate on GitHub: approvers expanded from users and teams, the request issue found by
//! its hidden marker or opened, and the four modes. A waiting gate polls the last page of
//! the issue's comments with `If-None-Match`, so while nothing happens every poll is a 304
//! that costs no primary rate limit; the interval grows from `polling-interval-seconds` to
//! a minute while nothing changes and drops back when something does.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::Value;

use super::decide::{self, Mark, Outcome, Row, Soak, TimeRules};
use super::policy::{self, Comment, Evaluation, Group, Policy};
use super::spec::{Mode, RawPolicy, Spec};
use super::time::{add, format_duration, until, Clock};
use super::Finish;
use crate::config::schema::Exclusion;
use crate::error::Failure;
use crate::forge::github::GitHub;
use crate::forge::github_gate::{Conditional, Issue, IssueComment, RateLimited, Session};
use crate::platform::{Platform, Report};

/// The longest pause between polls while nothing changes.
const MAX_INTERVAL: Duration = Duration::from_secs(60);
/// Consecutive failed polls tolerated before the gate gives up (exit 1).
const MAX_POLL_ERRORS: u32 = 5;
/// Issues scanned (×100) when looking for an earlier request of the same run.
const SEARCH_PAGES: usize = 3;

/// The run's GitHub context, read from the runner's variables.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    pub repo: String,
    pub owner: String,
    pub run_id: String,
    pub attempt: u32,
    pub job: String,
    pub step: String,
    pub sha: String,
    pub git_ref: String,
    pub actor: String,
    pub triggering_actor: String,
    pub server_url: String,
    pub api_url: String,
    pub event: Value,
}

impl Ctx {
    /// Reads `GITHUB_*` and the event payload.
    pub fn from_platform(p: &Platform) -> Result<Ctx, Failure> {
        let env = &p.env;
        let get = |k: &str| env.get(k).unwrap_or_default().to_string();
        let repo = get("GITHUB_REPOSITORY");
        let owner = env
            .get("GITHUB_REPOSITORY_OWNER")
            .map(str::to_string)
            .unwrap_or_else(|| repo.split('/').next().unwrap_or_default().to_string());
        let event = match env.get("GITHUB_EVENT_PATH") {
            Some(path) => std::fs::read_to_string(path)
                .ok()
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or(Value::Null),
            None => Value::Null,
        };
        Ok(Ctx {
            repo,
            owner,
            run_id: get("GITHUB_RUN_ID"),
            attempt: env
                .get("GITHUB_RUN_ATTEMPT")
                .and_then(|a| a.parse().ok())
                .unwrap_or(0),
            job: get("GITHUB_JOB"),
            step: get("GITHUB_ACTION"),
            sha: get("GITHUB_SHA"),
            git_ref: get("GITHUB_REF"),
            actor: get("GITHUB_ACTOR"),
            triggering_actor: get("GITHUB_TRIGGERING_ACTOR"),
            server_url: env
                .get("GITHUB_SERVER_URL")
                .unwrap_or("https://github.com")
                .to_string(),
            api_url: env
                .get("GITHUB_API_URL")
                .unwrap_or("https://api.github.com")
                .to_string(),
            event,
        })
    }

    fn run_url(&self) -> String {
        format!(
            "{}/{}/actions/runs/{}",
            self.server_url, self.repo, self.run_id
        )
    }
}

/// What a request issue carries in a hidden comment, so that a re-run, `evaluate` and
/// `verify` know what was asked.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    pub key: String,
    pub sha: String,
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub run_id: String,
    pub environment: Option<String>,
    #[serde(default)]
    pub inputs: serde_json::Map<String, Value>,
}

const RECORD_START: &str = "<!-- shipgate-gate ";
const RECORD_END: &str = " -->";

impl Record {
    /// The hidden HTML comment (no `>` inside, so it cannot end early).
    pub fn to_marker(&self) -> String {
        let json = serde_json::to_string(self)
            .unwrap_or_default()
            .replace('>', "\\u003e");
        format!("{RECORD_START}{json}{RECORD_END}")
    }

    /// The record in an issue body, if any.
    pub fn from_body(body: &str) -> Option<Record> {
        let start = body.find(RECORD_START)? + RECORD_START.len();
        let end = body[start..].find(RECORD_END)? + start;
        serde_json::from_str(&body[start..end]).ok()
    }

    /// The exact text a re-run looks for.
    pub fn key_marker(key: &str) -> String {
        let json_key = serde_json::to_string(key)
            .unwrap_or_default()
            .replace('>', "\\u003e");
        format!("{RECORD_START}{{\"key\":{json_key},")
    }
}

fn api(e: anyhow::Error) -> Failure {
    Failure::Operational(e)
}

fn parse_ts(s: &str, what: &str) -> Result<Timestamp, Failure> {
    s.parse().map_err(|e| {
        Failure::Operational(anyhow::anyhow!("GitHub sent a bad {what} time '{s}': {e}"))
    })
}

/// Converts API comments into the policy's comments.
pub fn to_comments(list: &[IssueComment]) -> Result<Vec<Comment>, Failure> {
    list.iter()
        .map(|c| {
            let user = c.user.clone().unwrap_or_default();
            Ok(Comment {
                id: c.id,
                author: if user.login.is_empty() {
                    "ghost".into()
                } else {
                    user.login.clone()
                },
                body: c.body.clone().unwrap_or_default(),
                created_at: parse_ts(&c.created_at, "comment")?,
                updated_at: parse_ts(&c.updated_at, "comment")?,
                url: c.html_url.clone(),
                bot: user.kind.eq_ignore_ascii_case("bot"),
            })
        })
        .collect()
}

/// Retries an API call that hit a rate limit without a usable hint (a secondary limit
/// answered with a bare 403): waits at least a minute, then doubles, as GitHub asks.
async fn limited<T, F>(clock: &Clock, mut call: F) -> anyhow::Result<T>
where
    F: AsyncFnMut() -> anyhow::Result<T>,
{
    let mut wait = Duration::from_secs(60);
    for _ in 0..3 {
        match call().await {
            Err(e) if e.downcast_ref::<RateLimited>().is_some() => {
                let hint = e
                    .downcast_ref::<RateLimited>()
                    .and_then(|r| r.wait)
                    .unwrap_or(wait);
                clock.sleep(hint.max(wait)).await;
                wait *= 2;
            }
            other => return other,
        }
    }
    call().await
}

/// Expands the raw policy's groups (teams through the API) and applies the exclusions.
async fn expand(
    s: &Session<'_>,
    clock: &Clock,
    ctx: &Ctx,
    repo: &str,
    raw: &RawPolicy,
    p: &mut Platform,
) -> Result<Policy, Failure> {
    let mut groups = Vec::new();
    let mut cache: BTreeMap<String, Option<Vec<String>>> = BTreeMap::new();
    // Bare names may be teams of the owner (manual-approval's rule). One listing of the
    // owner's teams answers for all of them, instead of one lookup per name.
    let bare = raw
        .groups
        .iter()
        .flat_map(|(_, e)| e)
        .any(|e| !e.contains('/') && !e.starts_with("@team:"));
    let owner_teams = if bare && !ctx.owner.is_empty() {
        limited(clock, async || s.org_teams(&ctx.owner).await)
            .await
            .map_err(api)?
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    for (name, entries) in &raw.groups {
        let mut members = Vec::new();
        for entry in entries {
            let entry = entry.trim().trim_start_matches('@');
            let (org, slug, must_be_team) = if let Some(t) = entry.strip_prefix("team:") {
                (ctx.owner.clone(), t.to_string(), true)
            } else if let Some((org, team)) = entry.split_once('/') {
                (org.to_string(), team.to_string(), true)
            } else {
                // manual-approval's rule: a bare name is first tried as a team of the owner.
                (ctx.owner.clone(), entry.replace('.', "-"), false)
            };
            let key = format!("{org}/{slug}");
            if !must_be_team && !owner_teams.iter().any(|t| t.eq_ignore_ascii_case(&slug)) {
                members.push(entry.to_string());
                continue;
            }
            if !cache.contains_key(&key) {
                let found = if org.is_empty() {
                    None
                } else {
                    limited(clock, async || s.team_members(&org, &slug).await)
                        .await
                        .map_err(api)?
                };
                cache.insert(key.clone(), found);
            }
            match cache.get(&key).cloned().flatten() {
                Some(team) => {
                    p.info(&format!("approvers: team {key} has {} member(s)", team.len()));
                    members.extend(team);
                }
                None if must_be_team => {
                    return Err(Failure::input(
                        "approvers",
                        format!("team {key} was not found, or the token cannot read it (teams need an App or PAT with org members: read)"),
                    ))
                }
                None => members.push(entry.to_string()),
            }
        }
        groups.push(Group::new(name, members));
    }
    let mut excluded = BTreeMap::new();
    let mut exclude = |login: &str, why: &str| {
        if !login.is_empty() {
            excluded
                .entry(login.to_lowercase())
                .or_insert_with(|| why.to_string());
        }
    };
    for e in &raw.exclude {
        match e {
            Exclusion::Initiator => exclude(&ctx.actor, "started the workflow"),
            Exclusion::RerunActor => exclude(&ctx.triggering_actor, "re-ran the workflow"),
            Exclusion::PrAuthor => {
                if let Some(login) = ctx.event["pull_request"]["user"]["login"].as_str() {
                    exclude(login, "authored the pull request");
                }
            }
            Exclusion::CommitAuthors => {
                for c in ctx.event["commits"].as_array().into_iter().flatten() {
                    for k in ["author", "committer"] {
                        if let Some(u) = c[k]["username"].as_str() {
                            exclude(u, "authored or committed a deployed commit");
                        }
                    }
                }
                if !ctx.sha.is_empty() {
                    let people = limited(clock, async || s.commit_people(repo, &ctx.sha).await)
                        .await
                        .map_err(api)?;
                    for u in people {
                        exclude(&u, "authored or committed a deployed commit");
                    }
                }
            }
        }
    }
    raw.resolve(groups, excluded)
}

/// The `after` rule's state from GitHub deployments of the commit.
async fn soak_state(
    s: &Session<'_>,
    clock: &Clock,
    repo: &str,
    env: &str,
    sha: &str,
) -> Result<Soak, Failure> {
    let short: String = sha.chars().take(7).collect();
    let deployments = limited(clock, async || s.deployments(repo, env, sha).await)
        .await
        .map_err(api)?;
    let Some(latest) = deployments.first() else {
        return Ok(Soak::Missing(format!(
            "commit {short} was never deployed to `{env}`"
        )));
    };
    let statuses = limited(clock, async || s.deployment_statuses(repo, latest.id).await)
        .await
        .map_err(api)?;
    match statuses.first().map(|st| st.state.as_str()) {
        Some("success") | Some("inactive") => {
            match statuses.iter().find(|st| st.state == "success") {
                Some(ok) => Ok(Soak::Since(parse_ts(&ok.created_at, "deployment status")?)),
                None => Ok(Soak::Missing(format!(
                    "the deployment of {short} to `{env}` never succeeded"
                ))),
            }
        }
        Some(state) => Ok(Soak::Missing(format!(
            "the latest deployment of {short} to `{env}` is {state}"
        ))),
        None => Ok(Soak::Missing(format!(
            "the deployment of {short} to `{env}` has no status yet"
        ))),
    }
}

/// State shared by the modes.
struct Gate<'a> {
    spec: &'a Spec,
    ctx: Ctx,
    repo: String,
    clock: &'a Clock,
    policy: Policy,
    soak: Option<Soak>,
    name: String,
}

impl Gate<'_> {
    fn rules(
        &self,
        requested: Option<Timestamp>,
        platform_freeze: Option<String>,
    ) -> TimeRules<'_> {
        TimeRules {
            windows: &self.spec.windows,
            freezes: &self.spec.freezes,
            platform_freeze,
            wait: self.spec.wait,
            requested,
            after: match (&self.spec.after, &self.soak) {
                (Some(a), Some(s)) => Some((a.environment.clone(), a.soak, s.clone())),
                _ => None,
            },
        }
    }

    fn key(&self) -> String {
        format!(
            "{}#{}/{}/{}/{}",
            self.ctx.repo, self.ctx.run_id, self.ctx.job, self.ctx.step, self.name
        )
    }

    fn title(&self) -> String {
        self.spec.issue_title.clone().unwrap_or_else(|| {
            format!(
                "Manual approval required for workflow run {}",
                self.ctx.run_id
            )
        })
    }

    fn body(&self, record: &Record) -> String {
        let approvers: Vec<String> = self.policy.eligible().into_iter().collect();
        let mut body = format!(
            "Workflow is pending manual review.\nURL: {}\n\nRequired approvers: [{}]\n\nRespond \"{}\" to continue workflow or \"{}\" to cancel.",
            self.ctx.run_url(),
            approvers.join(", "),
            self.spec.approve_words,
            self.spec.deny_words,
        );
        let mut rules = Vec::new();
        for r in &self.policy.all_of {
            rules.push(format!("{} of `{}`", r.min, r.group));
        }
        if !self.policy.any_of.is_empty() {
            let any: Vec<String> = self
                .policy
                .any_of
                .iter()
                .map(|r| format!("{} of `{}`", r.min, r.group))
                .collect();
            rules.push(format!("one of: {}", any.join(" / ")));
        }
        if self.policy.min_total > 0 {
            rules.push(format!(
                "at least {} distinct approver(s)",
                self.policy.min_total
            ));
        }
        body.push_str(&format!(
            "\n\nPolicy `{}`: {}. A reason may follow the keyword on the next lines. Edited comments do not count.",
            self.name,
            rules.join(", ")
        ));
        if !self.spec.issue_body.is_empty() {
            body.push_str("\n\n");
            body.push_str(&self.spec.issue_body);
        }
        body.push_str("\n\n");
        body.push_str(&record.to_marker());
        body
    }

    fn record(&self) -> Record {
        Record {
            key: self.key(),
            sha: self.ctx.sha.clone(),
            git_ref: self.ctx.git_ref.clone(),
            run_id: self.ctx.run_id.clone(),
            environment: self.spec.environment.clone(),
            inputs: self.spec.dispatch_inputs.clone(),
        }
    }

    /// Finds this run's request by its marker (re-runs), reopening it if it was closed, or
    /// opens a new one. Returns the issue and when the request counts from.
    async fn find_or_create(
        &self,
        s: &Session<'_>,
        p: &mut Platform,
    ) -> Result<(Issue, Timestamp), Failure> {
        let record = self.record();
        let clock = self.clock;
        if self.ctx.attempt != 1 {
            let marker = Record::key_marker(&record.key);
            let found = limited(clock, async || {
                s.find_issue(&self.repo, &marker, SEARCH_PAGES).await
            })
            .await
            .map_err(api)?;
            if let Some(issue) = found {
                p.info(&format!("Found this run's request: {}", issue.html_url));
                if issue.state == "open" {
                    let at = parse_ts(&issue.created_at, "issue")?;
                    return Ok((issue, at));
                }
                let note = format!(
                    "Re-run (attempt {}): approval requested again. Decisions made before this comment do not count.",
                    self.ctx.attempt
                );
                let c = limited(clock, async || {
                    s.comment(&self.repo, issue.number, &note).await
                })
                .await
                .map_err(api)?;
                limited(clock, async || {
                    s.set_issue_state(&self.repo, issue.number, "open", "reopened")
                        .await
                })
                .await
                .map_err(api)?;
                let at = parse_ts(&c.created_at, "comment")?;
                return Ok((issue, at));
            }
        }
        let assignees: Vec<String> = self.policy.eligible().into_iter().take(10).collect();
        let body = self.body(&record);
        let title = self.title();
        let (issue, dropped) = limited(clock, async || {
            s.create_issue(&self.repo, &title, &body, &assignees, &self.spec.labels)
                .await
        })
        .await
        .map_err(api)?;
        if dropped {
            p.warning("GitHub refused to assign the approvers (422: someone cannot be assigned); the request was opened without assignees");
        }
        p.info(&format!("Approval request: {}", issue.html_url));
        let at = parse_ts(&issue.created_at, "issue")?;
        Ok((issue, at))
    }

    async fn close(
        &self,
        s: &Session<'_>,
        number: u64,
        text: &str,
        reason: &str,
    ) -> Result<(), Failure> {
        let clock = self.clock;
        limited(clock, async || s.comment(&self.repo, number, text).await)
            .await
            .map_err(api)?;
        limited(clock, async || {
            s.set_issue_state(&self.repo, number, "closed", reason)
                .await
        })
        .await
        .map_err(api)
    }

    fn closing_text(&self, outcome: Outcome, eval: &Evaluation, rows: &[Row]) -> String {
        match outcome {
            Outcome::Approved => format!(
                "The required number of approvals ({}) has been met; continuing workflow and closing this issue.",
                eval.approvals.len()
            ),
            Outcome::Denied if self.spec.fail_on_denial => "Request denied. Closing issue and failing workflow.".into(),
            Outcome::Denied => "Request denied. Closing issue but continuing workflow.".into(),
            _ => {
                let why: Vec<String> = rows
                    .iter()
                    .filter(|r| r.mark == Mark::Failed)
                    .map(|r| format!("{}: {}", r.rule, r.detail))
                    .collect();
                format!("The gate is blocked ({}). Closing issue and failing workflow.", why.join("; "))
            }
        }
    }
}

/// Runs the gate on GitHub.
pub async fn run(spec: &Spec, p: &mut Platform, clock: &Clock) -> Result<Finish, Failure> {
    let ctx = Ctx::from_platform(p)?;
    let token = spec
        .secret
        .clone()
        .or_else(|| p.env.get("GITHUB_TOKEN").map(str::to_string))
        .ok_or_else(|| {
            Failure::input(
                "secret",
                "a token is needed (e.g. secret: ${{ github.token }} with issues: write)",
            )
        })?;
    p.add_secret(&token);
    let repo = spec.target_repo.clone().unwrap_or_else(|| ctx.repo.clone());
    if repo.is_empty() || !repo.contains('/') {
        return Err(Failure::input(
            "target-repository",
            "no repository: GITHUB_REPOSITORY is not set",
        ));
    }
    let gh = GitHub::new(&ctx.api_url, &token);
    let s = gh.session().map_err(api)?;
    p.group("Approvers and rules");
    let expanded = expand(&s, clock, &ctx, &repo, &spec.policy, p).await;
    let policy = match expanded {
        Ok(policy) => policy,
        Err(e) => {
            p.end_group("Approvers and rules");
            return Err(e);
        }
    };
    let soak = match &spec.after {
        Some(a) => Some(soak_state(&s, clock, &ctx.repo, &a.environment, &ctx.sha).await?),
        None => None,
    };
    p.end_group("Approvers and rules");
    let name = spec
        .environment
        .clone()
        .unwrap_or_else(|| spec.policy.name.clone());
    let gate = Gate {
        spec,
        ctx,
        repo,
        clock,
        policy,
        soak,
        name,
    };
    match spec.mode {
        Mode::Blocking | Mode::Request => request_and_wait(&gate, &s, p).await,
        Mode::Evaluate => evaluate(&gate, &s, p).await,
        Mode::Verify => verify(&gate, &s, p).await,
        Mode::GitlabJobs | Mode::GitlabApprove => Err(Failure::input(
            "mode",
            "gitlab-approve and gitlab-jobs run on GitLab only",
        )),
    }
}

struct Outputs<'a> {
    issue: Option<&'a Issue>,
    status: &'a str,
    eval: Option<&'a Evaluation>,
    rows: &'a [Row],
    lines: Vec<String>,
    headline: String,
}

fn finish(gate: &Gate<'_>, o: Outputs<'_>, failure: Option<Failure>) -> Finish {
    let mut report = Report::default();
    if let Some(issue) = o.issue {
        report.set("issue-number", issue.number.to_string());
        report.set("issue-url", issue.html_url.clone());
    }
    report.set("approval-status", o.status);
    let approvals = o.eval.map(|e| e.approvals.clone()).unwrap_or_default();
    let denials = o.eval.map(|e| e.denials.clone()).unwrap_or_default();
    report.set(
        "approvers",
        serde_json::to_string(&approvals).unwrap_or_else(|_| "[]".into()),
    );
    report.set(
        "denied-by",
        serde_json::to_string(&denials).unwrap_or_else(|_| "[]".into()),
    );
    let mut lines = o.lines;
    if let Some(issue) = o.issue {
        lines.insert(
            0,
            format!("Request: [#{}]({})", issue.number, issue.html_url),
        );
    }
    if !gate.ctx.sha.is_empty() {
        lines.push(format!("Commit: `{}`", gate.ctx.sha));
    }
    let title = format!("Gate `{}`", gate.name);
    report.summary = Some(decide::summary(&title, &o.headline, &lines, o.eval, o.rows));
    Finish { report, failure }
}

fn headline(outcome: Outcome) -> String {
    match outcome {
        Outcome::Approved => "✅ approved".into(),
        Outcome::Denied => "❌ denied".into(),
        Outcome::Blocked => "🚫 blocked".into(),
        Outcome::Pending(_) => "⏳ pending".into(),
    }
}

/// The failure (exit code) for a final outcome.
fn failure_for(
    spec: &Spec,
    outcome: Outcome,
    rows: &[Row],
    eval: Option<&Evaluation>,
) -> Option<Failure> {
    match outcome {
        Outcome::Approved | Outcome::Pending(_) => None,
        Outcome::Denied if !spec.fail_on_denial => None,
        Outcome::Denied => {
            let who: Vec<String> = eval
                .map(|e| e.denials.iter().map(|d| format!("@{}", d.login)).collect())
                .unwrap_or_default();
            Some(Failure::Decision(format!("denied by {}", who.join(", "))))
        }
        Outcome::Blocked => {
            let why: Vec<String> = rows
                .iter()
                .filter(|r| r.mark == Mark::Failed)
                .map(|r| format!("{}: {}", r.rule, r.detail))
                .collect();
            Some(Failure::Decision(format!("blocked: {}", why.join("; "))))
        }
    }
}

/// Blocking and request modes.
async fn request_and_wait(
    gate: &Gate<'_>,
    s: &Session<'_>,
    p: &mut Platform,
) -> Result<Finish, Failure> {
    let spec = gate.spec;
    let clock = gate.clock;
    // Windows, freezes and the earlier environment are checked before anything is asked.
    let now = clock.now();
    let rows = decide::time_rows(&gate.rules(None, None), now);
    if decide::decide(None, &rows) == Outcome::Blocked {
        let failure = failure_for(spec, Outcome::Blocked, &rows, None);
        let o = Outputs {
            issue: None,
            status: "blocked",
            eval: None,
            rows: &rows,
            lines: vec![],
            headline: headline(Outcome::Blocked),
        };
        return Ok(finish(gate, o, failure));
    }
    if spec.dry_run {
        let record = gate.record();
        p.info(&format!(
            "dry run: would open \"{}\" in {}:\n{}",
            gate.title(),
            gate.repo,
            gate.body(&record)
        ));
        let o = Outputs {
            issue: None,
            status: "dry-run",
            eval: None,
            rows: &rows,
            lines: vec!["Dry run: nothing was written.".into()],
            headline: "dry run".into(),
        };
        return Ok(finish(gate, o, None));
    }
    let (issue, requested) = gate.find_or_create(s, p).await?;
    if spec.mode == Mode::Request {
        let rows = decide::time_rows(&gate.rules(Some(requested), None), now);
        let o = Outputs {
            issue: Some(&issue),
            status: "pending",
            eval: None,
            rows: &rows,
            lines: vec!["Waiting for approval; an `issue_comment` workflow running `gate --mode evaluate` decides.".into()],
            headline: headline(Outcome::Pending(None)),
        };
        return Ok(finish(gate, o, None));
    }
    wait(gate, s, p, issue, requested).await
}

/// The blocking wait loop.
async fn wait(
    gate: &Gate<'_>,
    s: &Session<'_>,
    p: &mut Platform,
    issue: Issue,
    requested: Timestamp,
) -> Result<Finish, Failure> {
    let spec = gate.spec;
    let clock = gate.clock;
    let started = clock.now();
    let deadline = spec.timeout.map(|t| add(started, t));
    let (list, tag, last) = limited(clock, async || s.comments(&gate.repo, issue.number).await)
        .await
        .map_err(api)?;
    let (mut etag, mut last_url) = poll_target(s, &gate.repo, issue.number, list.len(), tag, last);
    let mut comments = to_comments(&list)?;
    let mut multi_page = last_url != s.comments_url(&gate.repo, issue.number);
    let issue_url = s.issue_url(&gate.repo, issue.number);
    let mut issue_etag: Option<String> = None;
    let mut closed_by_someone = false;
    let mut interval = spec.poll;
    let mut errors = 0u32;
    let mut last_note = String::new();
    let mut last_heartbeat = started;
    loop {
        let now = clock.now();
        let eval = policy::evaluate(&gate.policy, &spec.words, &comments, requested);
        let rows = decide::time_rows(&gate.rules(Some(requested), None), now);
        let mut outcome = decide::decide(Some(&eval), &rows);
        if closed_by_someone && spec.close_means_denial && !matches!(outcome, Outcome::Approved) {
            outcome = Outcome::Denied;
        }
        if outcome == Outcome::Approved && multi_page {
            // Edits on earlier pages are only seen by a full listing: confirm before passing.
            let (list, tag, last) =
                limited(clock, async || s.comments(&gate.repo, issue.number).await)
                    .await
                    .map_err(api)?;
            let fresh = to_comments(&list)?;
            if fresh != comments {
                comments = fresh;
                (etag, last_url) = poll_target(s, &gate.repo, issue.number, list.len(), tag, last);
                continue;
            }
        }
        match outcome {
            Outcome::Approved | Outcome::Denied | Outcome::Blocked => {
                let mut text = gate.closing_text(outcome, &eval, &rows);
                if closed_by_someone && outcome == Outcome::Denied {
                    text = "The issue was closed without a decision, which counts as a denial (close-issue-means-denial).".into();
                }
                gate.close(
                    s,
                    issue.number,
                    &text,
                    if outcome == Outcome::Approved {
                        "completed"
                    } else {
                        "not_planned"
                    },
                )
                .await?;
                let failure =
                    if closed_by_someone && outcome == Outcome::Denied && spec.fail_on_denial {
                        Some(Failure::Decision(
                            "the request issue was closed (close-issue-means-denial)".into(),
                        ))
                    } else {
                        failure_for(spec, outcome, &rows, Some(&eval))
                    };
                let o = Outputs {
                    issue: Some(&issue),
                    status: outcome.status(),
                    eval: Some(&eval),
                    rows: &rows,
                    lines: vec![],
                    headline: headline(outcome),
                };
                return Ok(finish(gate, o, failure));
            }
            Outcome::Pending(_) => {}
        }
        if let Some(end) = deadline {
            if now >= end {
                let t = format_duration(spec.timeout.unwrap_or_default());
                let text = format!("Request timed out after {t} without the required approvals. Closing issue and failing workflow.");
                gate.close(s, issue.number, &text, "not_planned").await?;
                let o = Outputs {
                    issue: Some(&issue),
                    status: "timed-out",
                    eval: Some(&eval),
                    rows: &rows,
                    lines: vec![format!("Timed out after {t}.")],
                    headline: "⌛ timed out".into(),
                };
                return Ok(finish(
                    gate,
                    o,
                    Some(Failure::Timeout(format!("no decision within {t}"))),
                ));
            }
        }
        let note = progress(&eval, &rows);
        if note != last_note || until(last_heartbeat, now) >= Duration::from_secs(300) {
            p.info(&format!(
                "Waiting ({} elapsed): {note}",
                format_duration(until(started, now))
            ));
            last_note = note;
            last_heartbeat = now;
        }
        // Sleep, never past the deadline or a timer's end.
        let mut pause = interval;
        for limit in [deadline, pending_until(&rows)].into_iter().flatten() {
            pause = pause.min(until(now, limit).max(Duration::from_millis(1)));
        }
        clock.sleep(pause).await;
        let url = last_url.clone();
        match s
            .get_conditional::<Vec<IssueComment>>(
                &url,
                etag.as_deref(),
                "polling the request's comments",
            )
            .await
        {
            Ok(Conditional::NotModified(quota)) => {
                errors = 0;
                interval = (interval.mul_f64(1.5)).min(MAX_INTERVAL.max(spec.poll));
                if let Some(pause) = quota_pause(quota, clock) {
                    clock.sleep(pause).await;
                }
            }
            Ok(Conditional::Modified {
                value,
                etag: tag,
                last,
                quota,
            }) => {
                errors = 0;
                interval = spec.poll;
                let single = last.is_none()
                    && url == s.comments_url(&gate.repo, issue.number)
                    && value.len() < 100;
                if single {
                    comments = to_comments(&value)?;
                    etag = tag;
                } else {
                    let (list, tag, l) =
                        limited(clock, async || s.comments(&gate.repo, issue.number).await)
                            .await
                            .map_err(api)?;
                    comments = to_comments(&list)?;
                    (etag, last_url) = poll_target(s, &gate.repo, issue.number, list.len(), tag, l);
                }
                multi_page = last_url != s.comments_url(&gate.repo, issue.number);
                if let Some(pause) = quota_pause(quota, clock) {
                    clock.sleep(pause).await;
                }
            }
            Err(e) => {
                errors += 1;
                let wait = match e.downcast_ref::<RateLimited>() {
                    Some(r) => {
                        r.wait
                            .unwrap_or(Duration::from_secs(60))
                            .max(Duration::from_secs(60))
                            * errors
                    }
                    None => interval * errors,
                };
                if errors > MAX_POLL_ERRORS {
                    return Err(api(
                        e.context(format!("{MAX_POLL_ERRORS} polls in a row failed"))
                    ));
                }
                p.warning(&format!(
                    "poll failed ({e:#}); retrying in {}",
                    format_duration(wait)
                ));
                clock.sleep(wait).await;
            }
        }
        if spec.close_means_denial {
            match s
                .get_conditional::<Issue>(
                    &issue_url,
                    issue_etag.as_deref(),
                    "polling the request issue",
                )
                .await
            {
                Ok(Conditional::Modified {
                    value, etag: tag, ..
                }) => {
                    issue_etag = tag;
                    closed_by_someone = value.state == "closed";
                }
                Ok(Conditional::NotModified(_)) => {}
                Err(e) => p.warning(&format!("poll of the issue failed ({e:#})")),
            }
        }
    }
}

/// What to poll: the last page of comments with its ETag, or, when that page is full, the
/// next (empty) page, where the next comment will appear.
fn poll_target(
    s: &Session<'_>,
    repo: &str,
    number: u64,
    count: usize,
    etag: Option<String>,
    last: String,
) -> (Option<String>, String) {
    if count > 0 && count.is_multiple_of(100) {
        let next = format!("{}&page={}", s.comments_url(repo, number), count / 100 + 1);
        return (None, next);
    }
    (etag, last)
}

/// When the quota is nearly spent, the pause until it resets.
fn quota_pause(q: crate::forge::github_gate::Quota, clock: &Clock) -> Option<Duration> {
    let (Some(remaining), Some(reset)) = (q.remaining, q.reset) else {
        return None;
    };
    if remaining > 20 {
        return None;
    }
    let now = clock.now().as_second().max(0) as u64;
    Some(Duration::from_secs(reset.saturating_sub(now) + 1).min(Duration::from_secs(3600)))
}

fn pending_until(rows: &[Row]) -> Option<Timestamp> {
    rows.iter()
        .filter_map(|r| match r.mark {
            Mark::Waiting(t) => t,
            _ => None,
        })
        .max()
}

fn progress(eval: &Evaluation, rows: &[Row]) -> String {
    let mut parts: Vec<String> = eval
        .rules
        .iter()
        .filter(|r| !r.0.starts_with("no veto"))
        .map(|(rule, held, detail)| format!("{} {rule} ({detail})", if *held { "✓" } else { "…" }))
        .collect();
    parts.extend(
        rows.iter()
            .filter(|r| matches!(r.mark, Mark::Waiting(_)))
            .map(|r| format!("… {} ({})", r.rule, r.detail)),
    );
    parts.join("; ")
}

fn record_of(issue: &Issue) -> Option<Record> {
    issue.body.as_deref().and_then(Record::from_body)
}

fn issue_number(gate: &Gate<'_>) -> Option<u64> {
    gate.spec
        .issue_number
        .or_else(|| gate.ctx.event["issue"]["number"].as_u64())
        .or_else(|| {
            gate.ctx.event["inputs"]["gate-issue"]
                .as_str()
                .and_then(|v| v.trim_start_matches('#').parse().ok())
        })
}

/// `evaluate`: decide on a comment event; on approval close and dispatch the deploy.
async fn evaluate(gate: &Gate<'_>, s: &Session<'_>, p: &mut Platform) -> Result<Finish, Failure> {
    let spec = gate.spec;
    let clock = gate.clock;
    let Some(number) = issue_number(gate) else {
        return Err(Failure::input(
            "issue-number",
            "no issue: run evaluate on an issue_comment event, or give issue-number",
        ));
    };
    let issue = limited(clock, async || s.issue(&gate.repo, number).await)
        .await
        .map_err(api)?;
    let Some(record) = record_of(&issue) else {
        p.info(&format!(
            "Issue #{number} is not a shipgate approval request; nothing to do."
        ));
        let o = Outputs {
            issue: Some(&issue),
            status: "none",
            eval: None,
            rows: &[],
            lines: vec!["Not an approval request.".into()],
            headline: "nothing to do".into(),
        };
        return Ok(finish(gate, o, None));
    };
    if issue.state != "open" {
        p.info(&format!(
            "Request #{number} is already closed; nothing to do."
        ));
        let o = Outputs {
            issue: Some(&issue),
            status: "closed",
            eval: None,
            rows: &[],
            lines: vec!["The request is already closed.".into()],
            headline: "already decided".into(),
        };
        return Ok(finish(gate, o, None));
    }
    let requested = parse_ts(&issue.created_at, "issue")?;
    let (list, _, _) = limited(clock, async || s.comments(&gate.repo, number).await)
        .await
        .map_err(api)?;
    let comments = to_comments(&list)?;
    let now = clock.now();
    let eval = policy::evaluate(&gate.policy, &spec.words, &comments, requested);
    let rows = decide::time_rows(&gate.rules(Some(requested), None), now);
    let outcome = decide::decide(Some(&eval), &rows);
    if let (Some(t), Outcome::Pending(_)) = (spec.timeout, outcome) {
        if now >= add(requested, t) {
            let text = format!(
                "Request timed out after {} without the required approvals. Closing issue.",
                format_duration(t)
            );
            gate.close(s, number, &text, "not_planned").await?;
            let o = Outputs {
                issue: Some(&issue),
                status: "timed-out",
                eval: Some(&eval),
                rows: &rows,
                lines: vec![],
                headline: "⌛ timed out".into(),
            };
            return Ok(finish(
                gate,
                o,
                Some(Failure::Timeout(format!(
                    "no decision within {}",
                    format_duration(t)
                ))),
            ));
        }
    }
    let mut lines = Vec::new();
    match outcome {
        Outcome::Approved => {
            let workflow = spec.dispatch_workflow.clone();
            let text = gate.closing_text(outcome, &eval, &rows);
            if let Some(wf) = &workflow {
                let mut inputs = record.inputs.clone();
                inputs.insert("gate-issue".into(), Value::String(number.to_string()));
                let git_ref = record
                    .git_ref
                    .trim_start_matches("refs/heads/")
                    .trim_start_matches("refs/tags/")
                    .to_string();
                let inputs = Value::Object(inputs);
                limited(clock, async || {
                    s.dispatch(&gate.repo, wf, &git_ref, &inputs).await
                })
                .await
                .map_err(api)?;
                lines.push(format!(
                    "Started `{wf}` on `{git_ref}` with gate-issue={number}."
                ));
            }
            gate.close(s, number, &text, "completed").await?;
        }
        Outcome::Denied => {
            let text = gate.closing_text(outcome, &eval, &rows);
            gate.close(s, number, &text, "not_planned").await?;
        }
        Outcome::Blocked => {
            lines.push("The request stays open; a later comment is evaluated again.".into())
        }
        Outcome::Pending(_) => {
            lines.push("Still waiting; each new comment is evaluated again.".into())
        }
    }
    let failure = failure_for(spec, outcome, &rows, Some(&eval));
    let o = Outputs {
        issue: Some(&issue),
        status: outcome.status(),
        eval: Some(&eval),
        rows: &rows,
        lines,
        headline: headline(outcome),
    };
    Ok(finish(gate, o, failure))
}

/// `verify`: the dispatched deploy re-checks the approval on GitHub (anyone with write
/// access can dispatch a workflow by hand).
async fn verify(gate: &Gate<'_>, s: &Session<'_>, p: &mut Platform) -> Result<Finish, Failure> {
    let spec = gate.spec;
    let clock = gate.clock;
    let Some(number) = issue_number(gate) else {
        return Err(Failure::input(
            "issue-number",
            "no request: give issue-number (the gate-issue input of the dispatch)",
        ));
    };
    let issue = limited(clock, async || s.issue(&gate.repo, number).await)
        .await
        .map_err(api)?;
    let record = record_of(&issue);
    let requested = parse_ts(&issue.created_at, "issue")?;
    let (list, _, _) = limited(clock, async || s.comments(&gate.repo, number).await)
        .await
        .map_err(api)?;
    let comments = to_comments(&list)?;
    let now = clock.now();
    let eval = policy::evaluate(&gate.policy, &spec.words, &comments, requested);
    let mut rows = decide::time_rows(&gate.rules(Some(requested), None), now);
    let sha_row = match &record {
        None => Row {
            mark: Mark::Failed,
            rule: "approval request".into(),
            detail: format!("issue #{number} is not a shipgate approval request"),
        },
        Some(r) if !gate.ctx.sha.is_empty() && r.sha != gate.ctx.sha => Row {
            mark: Mark::Failed,
            rule: "same commit".into(),
            detail: format!(
                "approved commit `{}`, but this run deploys `{}`",
                r.sha, gate.ctx.sha
            ),
        },
        Some(r) => Row {
            mark: Mark::Held,
            rule: "same commit".into(),
            detail: format!("`{}`", r.sha),
        },
    };
    rows.insert(0, sha_row);
    let mut outcome = decide::decide(Some(&eval), &rows);
    if let Outcome::Pending(_) = outcome {
        // verify cannot wait: not approved yet is a decision against proceeding.
        outcome = Outcome::Blocked;
        rows.push(Row {
            mark: Mark::Failed,
            rule: "approved".into(),
            detail: "the request is not approved".into(),
        });
    }
    p.info(&format!("verify #{number}: {}", outcome.status()));
    let failure = match outcome {
        Outcome::Denied => Some(Failure::Decision("the request was denied".into())),
        other => failure_for(spec, other, &rows, Some(&eval)),
    };
    let status = if outcome == Outcome::Approved {
        "approved"
    } else {
        outcome.status()
    };
    let o = Outputs {
        issue: Some(&issue),
        status,
        eval: Some(&eval),
        rows: &rows,
        lines: vec![],
        headline: headline(outcome),
    };
    Ok(finish(gate, o, failure))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn record_round_trips_through_the_marker() {
        let r = Record {
            key: "o/r#1/job/step/prod".into(),
            sha: "abc".into(),
            git_ref: "refs/heads/main".into(),
            run_id: "1".into(),
            environment: Some("prod".into()),
            inputs: serde_json::Map::from_iter([("note".to_string(), json!("a --> b"))]),
        };
        let body = format!("text\n\n{}", r.to_marker());
        assert_eq!(
            body.matches("-->").count(),
            1,
            "only the marker's own end: {body}"
        );
        assert_eq!(Record::from_body(&body), Some(r.clone()));
        assert!(body.contains(&Record::key_marker(&r.key)));
    }
}
