//! The gate on GitHub: approvers expanded from users and teams, the request issue found by
//! its hidden marker or opened, and the four modes. A waiting gate polls the last page of
//! the issue's comments with `If-None-Match`, so while nothing happens every poll is a 304
//! that costs no primary rate limit; the interval grows from `polling-interval-seconds` to
//! a minute while nothing changes and drops back when something does.

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::Value;

use super::decide::Soak;
use super::flow::{self, Closing, Forge, Gate, Polled, Record, Request, RunInfo};
use super::policy::{Comment, Group, Policy};
use super::spec::{RawPolicy, Spec};
use super::time::Clock;
use super::Finish;
use crate::config::schema::Exclusion;
use crate::error::Failure;
use crate::forge::auth::{self, AppInputs};
use crate::forge::github::{Conditional, GitHub, Issue, IssueComment, Session};
use crate::http::RateLimited;
use crate::ledger;
use crate::platform::Platform;

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
    /// The gate's view of the run context.
    pub fn from_platform(p: &Platform) -> Result<Ctx, Failure> {
        let c = p.context();
        let get = |v: &Option<String>| v.clone().unwrap_or_default();
        let repo = get(&c.repository);
        let owner = c
            .repository_owner
            .clone()
            .unwrap_or_else(|| repo.split('/').next().unwrap_or_default().to_string());
        Ok(Ctx {
            repo,
            owner,
            run_id: get(&c.run_id),
            attempt: c
                .run_attempt
                .as_deref()
                .and_then(|a| a.parse().ok())
                .unwrap_or(0),
            job: get(&c.job),
            step: get(&c.step),
            sha: get(&c.sha),
            git_ref: get(&c.git_ref),
            actor: get(&c.actor),
            triggering_actor: get(&c.triggering_actor),
            server_url: c
                .server_url
                .clone()
                .unwrap_or_else(|| "https://github.com".to_string()),
            api_url: c
                .api_url
                .clone()
                .unwrap_or_else(|| "https://api.github.com".to_string()),
            event: c.event.clone(),
        })
    }

    fn run_url(&self) -> String {
        format!(
            "{}/{}/actions/runs/{}",
            self.server_url, self.repo, self.run_id
        )
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

/// Where the commit stands in the `after` environment (its deployment records).
async fn soak_state(
    s: &Session<'_>,
    clock: &Clock,
    repo: &str,
    env: &str,
    sha: &str,
) -> Result<Soak, Failure> {
    limited(clock, async || {
        ledger::github::soak(s, repo, env, sha).await
    })
    .await
    .map_err(api)
}

/// GitHub's side of the modes: the request is an issue; polling reads the last page of its
/// comments with `If-None-Match`.
struct GithubForge<'a> {
    s: &'a Session<'a>,
    clock: &'a Clock,
    repo: String,
    /// The comments page to poll, and its ETag.
    etag: Option<String>,
    last_url: String,
    /// Comments span several pages: edits on earlier pages need a full listing.
    multi_page: bool,
    issue_etag: Option<String>,
}

impl GithubForge<'_> {
    fn request(issue: &Issue) -> Result<Request, Failure> {
        Ok(Request {
            number: issue.number,
            url: issue.html_url.clone(),
            open: issue.state == "open",
            created_at: parse_ts(&issue.created_at, "issue")?,
            body: issue.body.clone().unwrap_or_default(),
        })
    }

    /// Lists every comment and points polling at the page where the next one will appear.
    async fn list(&mut self, number: u64) -> Result<Vec<Comment>, Failure> {
        let (list, tag, last) = limited(self.clock, async || {
            self.s.comments(&self.repo, number).await
        })
        .await
        .map_err(api)?;
        let count = list.len();
        (self.etag, self.last_url) = if count > 0 && count.is_multiple_of(100) {
            // A full last page: the next comment appears on the next (empty) page.
            let next = format!(
                "{}&page={}",
                self.s.comments_url(&self.repo, number),
                count / 100 + 1
            );
            (None, next)
        } else {
            (tag, last)
        };
        self.multi_page = self.last_url != self.s.comments_url(&self.repo, number);
        to_comments(&list)
    }
}

impl Forge for GithubForge<'_> {
    fn noun(&self) -> &'static str {
        "issue"
    }

    async fn find(&mut self, markers: &[String]) -> Result<Option<Request>, Failure> {
        let markers: Vec<&str> = markers.iter().map(String::as_str).collect();
        let found = limited(self.clock, async || {
            self.s.find_issue(&self.repo, &markers, SEARCH_PAGES).await
        })
        .await
        .map_err(api)?;
        found.as_ref().map(Self::request).transpose()
    }

    async fn open(
        &mut self,
        title: &str,
        body: &str,
        approvers: &[String],
        labels: &[String],
        p: &mut Platform,
    ) -> Result<Request, Failure> {
        // GitHub takes at most 10 assignees.
        let assignees: Vec<String> = approvers.iter().take(10).cloned().collect();
        let (issue, dropped) = limited(self.clock, async || {
            self.s
                .create_issue(&self.repo, title, body, &assignees, labels)
                .await
        })
        .await
        .map_err(api)?;
        if dropped {
            p.warning("GitHub refused to assign the approvers (422: someone cannot be assigned); the request was opened without assignees");
        }
        Self::request(&issue)
    }

    async fn get(&mut self, number: u64) -> Result<Request, Failure> {
        let issue = limited(self.clock, async || self.s.issue(&self.repo, number).await)
            .await
            .map_err(api)?;
        Self::request(&issue)
    }

    async fn comment(&mut self, number: u64, text: &str) -> Result<Timestamp, Failure> {
        let c = limited(self.clock, async || {
            self.s.comment(&self.repo, number, text).await
        })
        .await
        .map_err(api)?;
        parse_ts(&c.created_at, "comment")
    }

    async fn close(&mut self, number: u64, text: &str, how: Closing) -> Result<(), Failure> {
        self.comment(number, text).await?;
        let reason = match how {
            Closing::Completed => "completed",
            Closing::NotPlanned => "not_planned",
        };
        limited(self.clock, async || {
            self.s
                .set_issue_state(&self.repo, number, "closed", reason)
                .await
        })
        .await
        .map_err(api)
    }

    async fn reopen(&mut self, number: u64) -> Result<(), Failure> {
        limited(self.clock, async || {
            self.s
                .set_issue_state(&self.repo, number, "open", "reopened")
                .await
        })
        .await
        .map_err(api)
    }

    async fn comments(&mut self, number: u64) -> Result<Vec<Comment>, Failure> {
        self.list(number).await
    }

    async fn poll(&mut self, number: u64) -> anyhow::Result<Polled> {
        let url = self.last_url.clone();
        let answer = self
            .s
            .get_conditional::<Vec<IssueComment>>(
                &url,
                self.etag.as_deref(),
                "polling the request's comments",
            )
            .await?;
        let (polled, q) = match answer {
            Conditional::NotModified(q) => (Polled::Unchanged, q),
            Conditional::Modified {
                value,
                etag,
                last,
                quota: q,
            } => {
                let single = last.is_none()
                    && url == self.s.comments_url(&self.repo, number)
                    && value.len() < 100;
                let list = if single {
                    self.etag = etag;
                    to_comments(&value)
                } else {
                    self.list(number).await
                };
                let list = list.map_err(|f| anyhow::anyhow!("{f}"))?;
                (Polled::Changed(list), q)
            }
        };
        if let Some(pause) = quota_pause(q, self.clock) {
            self.clock.sleep(pause).await;
        }
        Ok(polled)
    }

    async fn confirm(
        &mut self,
        number: u64,
        current: &[Comment],
    ) -> Result<Option<Vec<Comment>>, Failure> {
        if !self.multi_page {
            return Ok(None);
        }
        let fresh = self.list(number).await?;
        Ok((fresh != current).then_some(fresh))
    }

    async fn closed(&mut self, number: u64) -> anyhow::Result<Option<bool>> {
        let url = self.s.issue_url(&self.repo, number);
        match self
            .s
            .get_conditional::<Issue>(
                &url,
                self.issue_etag.as_deref(),
                "polling the request issue",
            )
            .await?
        {
            Conditional::Modified { value, etag, .. } => {
                self.issue_etag = etag;
                Ok(Some(value.state == "closed"))
            }
            Conditional::NotModified(_) => Ok(None),
        }
    }

    async fn start(
        &mut self,
        spec: &Spec,
        record: &Record,
        number: u64,
    ) -> Result<Option<String>, Failure> {
        let Some(wf) = &spec.dispatch_workflow else {
            return Ok(None);
        };
        let mut inputs = record.inputs.clone();
        inputs.insert("gate-issue".into(), Value::String(number.to_string()));
        let git_ref = record
            .git_ref
            .trim_start_matches("refs/heads/")
            .trim_start_matches("refs/tags/")
            .to_string();
        let inputs = Value::Object(inputs);
        limited(self.clock, async || {
            self.s.dispatch(&self.repo, wf, &git_ref, &inputs).await
        })
        .await
        .map_err(api)?;
        Ok(Some(format!(
            "Started `{wf}` on `{git_ref}` with gate-issue={number}."
        )))
    }

    fn freeze(&self, _now: Timestamp) -> Option<String> {
        None
    }

    fn take_secrets(&self) -> Vec<String> {
        self.s.take_minted()
    }
}

/// Runs the gate on GitHub.
pub async fn run(spec: &Spec, p: &mut Platform, clock: &Clock) -> Result<Finish, Failure> {
    let ctx = Ctx::from_platform(p)?;
    let repo = spec.target_repo.clone().unwrap_or_else(|| ctx.repo.clone());
    if repo.is_empty() || !repo.contains('/') {
        return Err(Failure::input(
            "target-repository",
            "no repository: GITHUB_REPOSITORY is not set",
        ));
    }
    let app = spec.app.as_ref().map(|(id, key, installation)| AppInputs {
        id,
        key,
        installation: installation.as_deref(),
    });
    // An App's token reaches only the repositories this gate uses.
    let repos = [repo.as_str(), ctx.repo.as_str()];
    let auth = auth::github(spec.secret.as_deref(), app, &repos, &ctx.api_url, p, clock)
        .await?
        .ok_or_else(|| {
            Failure::input(
                "secret",
                "a token is needed (e.g. secret: ${{ github.token }} with issues: write), or app-id and app-private-key",
            )
        })?;
    let mut gh = GitHub::with_auth(&ctx.api_url, auth);
    // Retries wait on the one clock too.
    gh.policy.clock = *clock;
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
    let run = run_info(&ctx, &repo, &name);
    let gate = Gate {
        spec,
        run,
        clock,
        policy,
        soak,
        name,
    };
    let mut forge = GithubForge {
        s: &s,
        clock,
        repo,
        etag: None,
        last_url: String::new(),
        multi_page: false,
        issue_etag: None,
    };
    flow::run(&gate, &mut forge, p).await
}

/// `--dry-run` on GitHub: the preview, offline (no token is read, no request made).
pub fn preview(spec: &Spec, p: &mut Platform, clock: &Clock) -> Result<Finish, Failure> {
    let ctx = Ctx::from_platform(p)?;
    let repo = spec.target_repo.clone().unwrap_or_else(|| ctx.repo.clone());
    let name = spec
        .environment
        .clone()
        .unwrap_or_else(|| spec.policy.name.clone());
    let run = run_info(&ctx, &repo, &name);
    let actor = ctx.actor.clone();
    flow::preview(spec, run, clock, Some(&actor), None, p)
}

/// What the modes need to know of this run.
fn run_info(ctx: &Ctx, repo: &str, name: &str) -> RunInfo {
    let event_number = ctx.event["issue"]["number"].as_u64().or_else(|| {
        ctx.event["inputs"]["gate-issue"]
            .as_str()
            .and_then(|v| v.trim_start_matches('#').parse().ok())
    });
    RunInfo {
        key: format!(
            "{}#{}/{}/{}/{}",
            ctx.repo, ctx.run_id, ctx.job, ctx.step, name
        ),
        rerun: ctx.attempt != 1,
        attempt: ctx.attempt.to_string(),
        run_id: ctx.run_id.clone(),
        run_url: ctx.run_url(),
        sha: ctx.sha.clone(),
        git_ref: ctx.git_ref.clone(),
        default_title: format!("Manual approval required for workflow run {}", ctx.run_id),
        place: repo.to_string(),
        mention: false,
        event_number,
        evaluate_hint: "Waiting for approval; an `issue_comment` workflow running `gate --mode evaluate` decides.".into(),
    }
}

/// When the quota is nearly spent, the pause until it resets.
fn quota_pause(q: crate::forge::github::Quota, clock: &Clock) -> Option<Duration> {
    let (Some(remaining), Some(reset)) = (q.remaining, q.reset) else {
        return None;
    };
    if remaining > 20 {
        return None;
    }
    let now = u64::try_from(clock.now().as_second()).unwrap_or(0);
    let secs = reset.saturating_sub(now).saturating_add(1);
    Some(Duration::from_secs(secs).min(Duration::from_secs(3600)))
}
