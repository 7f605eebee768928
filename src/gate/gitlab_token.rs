//! The gate on GitLab with a token: the same modes and policies as on GitHub, over an issue
//! of the project and its notes.
//!
//! - Approvers are usernames, or groups (`group/subgroup`, or `group:name` for a top-level
//!   group), expanded through the members API (inherited members included).
//! - The request is an issue that @-mentions the approvers (GitLab Free has one assignee);
//!   a waiting gate probes the newest-updated note with `If-None-Match` and lists every
//!   note only when that changed.
//! - Freezes: `CI_DEPLOY_FREEZE` and the project's deploy freeze periods (cron, time zone),
//!   read from the API; `after` reads the environment's deployments.
//! - `evaluate` runs in a pipeline started by a comment webhook (`TRIGGER_PAYLOAD`) and, on
//!   approval, plays the manual job named by `dispatch-workflow` in the request's pipeline.

use std::collections::BTreeMap;
use std::path::PathBuf;

use jiff::Timestamp;

use super::cron::FreezePeriod;
use super::decide::Soak;
use super::flow::{self, Closing, Forge, Gate, Polled, Record, Request, RunInfo};
use super::policy::{is_bot_login, Comment, Group, Policy};
use super::spec::{RawPolicy, Spec};
use super::time::Clock;
use super::Finish;
use crate::config::schema::Exclusion;
use crate::error::Failure;
use crate::forge::auth;
use crate::forge::gitlab::{Auth, GitLab, GlIssue, GlNote, GlSession, Noteable, Probe};
use crate::platform::context::var;
use crate::platform::Platform;

fn api(e: anyhow::Error) -> Failure {
    Failure::Operational(e)
}

fn parse_ts(s: &str, what: &str) -> Result<Timestamp, Failure> {
    s.parse().map_err(|e| {
        Failure::Operational(anyhow::anyhow!("GitLab sent a bad {what} time '{s}': {e}"))
    })
}

/// GitLab's bot users: project and group access tokens' bots, and its own service users.
fn is_gitlab_bot(username: &str) -> bool {
    let u = username.to_ascii_lowercase();
    is_bot_login(&u)
        || ((u.starts_with("project_") || u.starts_with("group_")) && u.contains("_bot"))
        || matches!(
            u.as_str(),
            "ghost" | "support-bot" | "alert-bot" | "gitlab-bot"
        )
}

fn to_comments(notes: &[GlNote], issue_url: &str) -> Result<Vec<Comment>, Failure> {
    notes
        .iter()
        .filter(|n| !n.system)
        .map(|n| {
            Ok(Comment {
                id: n.id,
                author: if n.author.username.is_empty() {
                    "ghost".into()
                } else {
                    n.author.username.clone()
                },
                body: n.body.clone(),
                created_at: parse_ts(&n.created_at, "note")?,
                updated_at: parse_ts(&n.updated_at, "note")?,
                url: format!("{issue_url}#note_{}", n.id),
                bot: is_gitlab_bot(&n.author.username),
            })
        })
        .collect()
}

/// The run's GitLab context, from the job's predefined variables.
struct Ctx {
    project: String,
    pipeline: String,
    job: String,
    sha: String,
    git_ref: String,
    user: String,
    pipeline_url: String,
    mr_iid: Option<u64>,
    event_issue: Option<u64>,
    event_mr: Option<u64>,
    dotenv_number: Option<u64>,
    deploy_freeze: bool,
}

impl Ctx {
    fn from_platform(p: &Platform) -> Ctx {
        let c = p.context();
        let get = |v: &Option<String>| v.clone().unwrap_or_default();
        // A pipeline started by a comment webhook carries the note event as a file.
        let payload = &c.event;
        let note = payload["object_kind"] == "note";
        let event_issue = note.then(|| payload["issue"]["iid"].as_u64()).flatten();
        let event_mr = note
            .then(|| payload["merge_request"]["iid"].as_u64())
            .flatten();
        // The request job's dotenv report, in a later job.
        let dotenv_number = ["SHIPGATE_issue_number", "SHIPGATE_ISSUE_NUMBER"]
            .iter()
            .find_map(|k| p.env.get(k))
            .and_then(|v| v.trim_start_matches('#').parse().ok());
        let project = c.project_id.clone().unwrap_or_else(|| get(&c.repository));
        Ctx {
            project,
            pipeline: get(&c.run_id),
            job: get(&c.job),
            sha: get(&c.sha),
            git_ref: get(&c.ref_name),
            user: get(&c.actor),
            pipeline_url: get(&c.run_url),
            mr_iid: c.pr_number,
            event_issue,
            event_mr,
            dotenv_number,
            deploy_freeze: c.deploy_freeze,
        }
    }
}

/// Expands groups through the API and applies the exclusions.
async fn expand(
    s: &GlSession<'_>,
    ctx: &Ctx,
    p: &mut Platform,
    raw: &RawPolicy,
) -> Result<Policy, Failure> {
    let mut groups = Vec::new();
    let mut cache: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, entries) in &raw.groups {
        let mut members = Vec::new();
        for entry in entries {
            let entry = entry.trim().trim_start_matches('@');
            let group = entry
                .strip_prefix("group:")
                .or_else(|| entry.strip_prefix("team:"))
                .or(entry.contains('/').then_some(entry));
            let Some(group) = group else {
                members.push(entry.to_string());
                continue;
            };
            if !cache.contains_key(group) {
                match s.group_members(group).await.map_err(api)? {
                    Some(list) => {
                        p.info(&format!(
                            "approvers: group {group} has {} member(s)",
                            list.len()
                        ));
                        cache.insert(group.to_string(), list);
                    }
                    None => {
                        return Err(Failure::input(
                            "approvers",
                            format!("group {group} was not found, or the token cannot read it (the token's user must see the group)"),
                        ))
                    }
                }
            }
            members.extend(cache[group].iter().cloned());
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
            Exclusion::Initiator => {
                exclude(&ctx.user, "started the pipeline or this job");
                if let Some(u) = p.env.get("SHIPGATE_INITIATOR") {
                    exclude(u, "started the pipeline");
                }
            }
            Exclusion::RerunActor => {
                exclude(&ctx.user, "ran this job");
                if !ctx.pipeline.is_empty() {
                    if let Some(u) = s.pipeline_user(&ctx.pipeline).await.map_err(api)? {
                        exclude(&u, "started the pipeline");
                    }
                }
            }
            Exclusion::PrAuthor => {
                if let Some(iid) = ctx.mr_iid {
                    let mr = s.merge_request(iid).await.map_err(api)?;
                    if let Some(u) = mr.author.map(|a| a.username) {
                        exclude(&u, "authored the merge request");
                    }
                }
            }
            Exclusion::CommitAuthors => {
                if !ctx.sha.is_empty() {
                    for email in s.commit_emails(&ctx.sha).await.map_err(api)? {
                        // Only public e-mail addresses are searchable.
                        for u in s.users_by_email(&email).await.map_err(api)? {
                            exclude(&u, "authored or committed a deployed commit");
                        }
                    }
                }
            }
        }
    }
    raw.resolve(groups, excluded)
}

/// Where the commit stands in the `after` environment (its deployment records).
async fn soak_state(s: &GlSession<'_>, env: &str, sha: &str) -> Result<Soak, Failure> {
    crate::ledger::gitlab::soak(s, env, sha).await.map_err(api)
}

/// Ends a request made as a merge-request note (a merge request is not closed for it):
/// `<!-- shipgate:gate:closed -->`, in the one marker format of [`crate::ledger`].
fn closed_mark() -> String {
    crate::ledger::marker("gate", "closed")
}

/// The closing mark written before the one marker format: still read.
const LEGACY_CLOSED_MARK: &str = "<!-- shipgate-gate-closed -->";

/// Whether a note closes the request before it.
fn closes(body: &str) -> bool {
    crate::ledger::has_marker(body, "gate", "closed", &[LEGACY_CLOSED_MARK])
}

/// GitLab's side of the modes: the request is an issue, or a note on the pipeline's merge
/// request (`request-in: merge-request`).
struct GitlabForge<'a> {
    s: &'a GlSession<'a>,
    on: Noteable,
    /// The merge request the request notes go to.
    mr: Option<u64>,
    key: String,
    pipeline: String,
    deploy_freeze: bool,
    freezes: Vec<FreezePeriod>,
    probe: Probe,
    /// Where the notes live (issue or merge request page), for comment links.
    page_url: String,
    closed: Option<bool>,
}

impl GitlabForge<'_> {
    fn request(&mut self, issue: &GlIssue) -> Result<Request, Failure> {
        self.page_url = issue.web_url.clone();
        Ok(Request {
            number: issue.iid,
            url: issue.web_url.clone(),
            open: issue.state == "opened",
            created_at: parse_ts(&issue.created_at, "issue")?,
            body: issue.description.clone().unwrap_or_default(),
        })
    }

    fn mr(&self) -> Result<u64, Failure> {
        self.mr.ok_or_else(|| {
            Failure::input(
                "request-in",
                "merge-request needs a merge request pipeline (CI_MERGE_REQUEST_IID) or issue-number",
            )
        })
    }

    /// The latest request note in a merge request (with `marker`, or any request note),
    /// open unless a closing note follows it.
    async fn mr_request(
        &mut self,
        iid: u64,
        markers: Option<&[String]>,
    ) -> Result<Option<Request>, Failure> {
        let mr = self.s.merge_request(iid).await.map_err(api)?;
        self.page_url = mr.web_url.clone();
        let notes = self
            .s
            .notes(Noteable::MergeRequest, iid)
            .await
            .map_err(api)?;
        let is_request = |n: &GlNote| match markers {
            Some(ms) => ms.iter().any(|m| n.body.contains(m.as_str())),
            None => Record::from_body(&n.body).is_some(),
        };
        let Some(pos) = notes.iter().rposition(is_request) else {
            return Ok(None);
        };
        let note = &notes[pos];
        Ok(Some(Request {
            number: iid,
            url: format!("{}#note_{}", mr.web_url, note.id),
            open: !notes[pos + 1..].iter().any(|n| closes(&n.body)),
            created_at: parse_ts(&note.created_at, "note")?,
            body: note.body.clone(),
        }))
    }
}

impl Forge for GitlabForge<'_> {
    fn noun(&self) -> &'static str {
        match self.on {
            Noteable::Issue => "issue",
            Noteable::MergeRequest => "request",
        }
    }

    async fn find(&mut self, markers: &[String]) -> Result<Option<Request>, Failure> {
        if self.on == Noteable::MergeRequest {
            // A closed request note stays closed: a retry asks again with a new note.
            let iid = self.mr()?;
            let found = self.mr_request(iid, Some(markers)).await?;
            return Ok(found.filter(|r| r.open));
        }
        let markers: Vec<&str> = markers.iter().map(String::as_str).collect();
        let found = self.s.find_issue(&self.key, &markers).await.map_err(api)?;
        found.as_ref().map(|i| self.request(i)).transpose()
    }

    async fn open(
        &mut self,
        title: &str,
        body: &str,
        _approvers: &[String],
        labels: &[String],
        _p: &mut Platform,
    ) -> Result<Request, Failure> {
        // The body @-mentions the approvers, which notifies them.
        if self.on == Noteable::MergeRequest {
            let iid = self.mr()?;
            let text = format!("### {title}\n\n{body}");
            let note = self
                .s
                .add_note(Noteable::MergeRequest, iid, &text)
                .await
                .map_err(api)?;
            let mr = self.s.merge_request(iid).await.map_err(api)?;
            self.page_url = mr.web_url.clone();
            return Ok(Request {
                number: iid,
                url: format!("{}#note_{}", mr.web_url, note.id),
                open: true,
                created_at: parse_ts(&note.created_at, "note")?,
                body: note.body,
            });
        }
        let issue = self
            .s
            .create_issue(title, body, labels)
            .await
            .map_err(api)?;
        self.request(&issue)
    }

    async fn get(&mut self, number: u64) -> Result<Request, Failure> {
        if self.on == Noteable::MergeRequest {
            return Ok(self.mr_request(number, None).await?.unwrap_or(Request {
                number,
                url: self.page_url.clone(),
                open: false,
                created_at: Timestamp::UNIX_EPOCH,
                body: String::new(),
            }));
        }
        let issue = self.s.issue(number).await.map_err(api)?;
        self.request(&issue)
    }

    async fn comment(&mut self, number: u64, text: &str) -> Result<Timestamp, Failure> {
        let note = self.s.add_note(self.on, number, text).await.map_err(api)?;
        parse_ts(&note.created_at, "note")
    }

    async fn close(&mut self, number: u64, text: &str, _how: Closing) -> Result<(), Failure> {
        if self.on == Noteable::MergeRequest {
            self.comment(number, &format!("{text}\n\n{}", closed_mark()))
                .await?;
            return Ok(());
        }
        self.comment(number, text).await?;
        self.s.set_issue_state(number, "close").await.map_err(api)
    }

    async fn reopen(&mut self, number: u64) -> Result<(), Failure> {
        self.s.set_issue_state(number, "reopen").await.map_err(api)
    }

    async fn comments(&mut self, number: u64) -> Result<Vec<Comment>, Failure> {
        self.probe = self
            .s
            .probe_notes(self.on, number, &Probe::default())
            .await
            .map_err(api)?;
        let notes = self.s.notes(self.on, number).await.map_err(api)?;
        to_comments(&notes, &self.page_url)
    }

    async fn poll(&mut self, number: u64) -> anyhow::Result<Polled> {
        let probe = self.s.probe_notes(self.on, number, &self.probe).await?;
        if probe.total == self.probe.total && probe.newest == self.probe.newest {
            self.probe = probe;
            return Ok(Polled::Unchanged);
        }
        self.probe = probe;
        let notes = self.s.notes(self.on, number).await?;
        let list = to_comments(&notes, &self.page_url).map_err(|f| anyhow::anyhow!("{f}"))?;
        Ok(Polled::Changed(list))
    }

    async fn confirm(
        &mut self,
        _number: u64,
        _current: &[Comment],
    ) -> Result<Option<Vec<Comment>>, Failure> {
        // The probe orders by update time, so an edit anywhere shows up in it.
        Ok(None)
    }

    async fn closed(&mut self, number: u64) -> anyhow::Result<Option<bool>> {
        let closed = match self.on {
            Noteable::Issue => self.s.issue(number).await?.state == "closed",
            // Closing the merge request ends the request.
            Noteable::MergeRequest => self.s.merge_request(number).await?.state == "closed",
        };
        if self.closed == Some(closed) {
            return Ok(None);
        }
        self.closed = Some(closed);
        Ok(Some(closed))
    }

    async fn start(
        &mut self,
        spec: &Spec,
        record: &Record,
        _number: u64,
    ) -> Result<Option<String>, Failure> {
        let Some(job_name) = &spec.dispatch_workflow else {
            return Ok(None);
        };
        let pipeline = if record.run_id.is_empty() {
            self.pipeline.clone()
        } else {
            record.run_id.clone()
        };
        let jobs = self.s.manual_jobs(&pipeline).await.map_err(api)?;
        let Some(job) = jobs.iter().find(|j| &j.name == job_name) else {
            let names: Vec<&str> = jobs.iter().map(|j| j.name.as_str()).collect();
            return Err(Failure::Operational(anyhow::anyhow!(
                "pipeline {pipeline} has no manual job named '{job_name}' to start (its manual jobs: {})",
                if names.is_empty() { "none".to_string() } else { names.join(", ") }
            )));
        };
        self.s.play_job(job.id).await.map_err(api)?;
        Ok(Some(format!(
            "Started the manual job `{job_name}` (#{}) of pipeline {pipeline}.",
            job.id
        )))
    }

    fn freeze(&self, now: Timestamp) -> Option<String> {
        let mut reasons = Vec::new();
        if self.deploy_freeze {
            reasons.push(format!(
                "{}: a deploy freeze period was active when the pipeline was created",
                var::DEPLOY_FREEZE
            ));
        }
        for f in &self.freezes {
            if let Some(ends) = f.active_until(now) {
                reasons.push(format!("deploy freeze period {} until {ends}", f.text));
            }
        }
        (!reasons.is_empty()).then(|| reasons.join("; "))
    }
}

/// The credentials: the `secret` input, else `GITLAB_TOKEN` (the gate writes issues and
/// notes, which `CI_JOB_TOKEN` cannot).
pub fn token(spec: &Spec, p: &mut Platform) -> Option<Auth> {
    auth::gitlab(spec.secret.as_deref(), false, p)
}

/// Runs the gate on GitLab with a token.
pub async fn run(
    spec: &Spec,
    p: &mut Platform,
    clock: &Clock,
    token: Auth,
) -> Result<Finish, Failure> {
    p.gitlab.dotenv = Some(PathBuf::from("shipgate-gate.env"));
    p.gitlab.dotenv_prefix = "SHIPGATE_".into();
    p.gitlab.json = Some(PathBuf::from("shipgate-gate.json"));
    let ctx = Ctx::from_platform(p);
    let api_url = p
        .context
        .api_url
        .clone()
        .unwrap_or_else(|| "https://gitlab.com/api/v4".to_string());
    let project = spec
        .target_repo
        .clone()
        .unwrap_or_else(|| ctx.project.clone());
    if project.is_empty() {
        return Err(Failure::input(
            "target-repository",
            "no project: CI_PROJECT_ID is not set",
        ));
    }
    let mut gl = GitLab::new(&api_url, token);
    // Retries wait on the one clock too.
    gl.policy.clock = *clock;
    let s = gl.session(&project).map_err(api)?;
    p.group("Approvers and rules");
    let prepared = async {
        let policy = expand(&s, &ctx, p, &spec.policy).await?;
        let soak = match &spec.after {
            Some(a) => Some(soak_state(&s, &a.environment, &ctx.sha).await?),
            None => None,
        };
        let mut freezes = Vec::new();
        for f in s.freeze_periods().await.map_err(api)? {
            let zone = f.cron_timezone.clone().unwrap_or_default();
            match FreezePeriod::new(&f.freeze_start, &f.freeze_end, &zone) {
                Ok(period) => freezes.push(period),
                Err(e) => p.warning(&format!(
                    "a deploy freeze period could not be read ({e}); it is not applied"
                )),
            }
        }
        Ok::<_, Failure>((policy, soak, freezes))
    }
    .await;
    p.end_group("Approvers and rules");
    let (policy, soak, freezes) = prepared?;
    let name = spec
        .environment
        .clone()
        .unwrap_or_else(|| spec.policy.name.clone());
    let on = if spec.request_in_merge_request {
        Noteable::MergeRequest
    } else {
        Noteable::Issue
    };
    let run = run_info(&ctx, &project, &name, on);
    let gate = Gate {
        spec,
        run,
        clock,
        policy,
        soak,
        name,
    };
    let mut forge = GitlabForge {
        s: &s,
        on,
        mr: spec
            .issue_number
            .or(ctx.event_mr)
            .or(ctx.mr_iid)
            .or(ctx.dotenv_number),
        key: gate.run.key.clone(),
        pipeline: ctx.pipeline.clone(),
        deploy_freeze: ctx.deploy_freeze,
        freezes,
        probe: Probe::default(),
        page_url: String::new(),
        closed: None,
    };
    flow::run(&gate, &mut forge, p).await
}

/// `--dry-run` on GitLab: the preview, offline (no token is read, no request made; the
/// project's freeze periods are not read, `CI_DEPLOY_FREEZE` is).
pub fn preview(spec: &Spec, p: &mut Platform, clock: &Clock) -> Result<Finish, Failure> {
    p.gitlab.dotenv = Some(PathBuf::from("shipgate-gate.env"));
    p.gitlab.dotenv_prefix = "SHIPGATE_".into();
    p.gitlab.json = Some(PathBuf::from("shipgate-gate.json"));
    let ctx = Ctx::from_platform(p);
    let project = spec
        .target_repo
        .clone()
        .unwrap_or_else(|| ctx.project.clone());
    let name = spec
        .environment
        .clone()
        .unwrap_or_else(|| spec.policy.name.clone());
    let on = if spec.request_in_merge_request {
        Noteable::MergeRequest
    } else {
        Noteable::Issue
    };
    let run = run_info(&ctx, &project, &name, on);
    let initiator = p
        .env
        .get("SHIPGATE_INITIATOR")
        .map(str::to_string)
        .unwrap_or_else(|| ctx.user.clone());
    let freeze = ctx.deploy_freeze.then(|| {
        format!(
            "{}: a GitLab deploy freeze period is active",
            var::DEPLOY_FREEZE
        )
    });
    flow::preview(spec, run, clock, Some(&initiator), freeze, p)
}

/// What the modes need to know of this pipeline.
fn run_info(ctx: &Ctx, project: &str, name: &str, on: Noteable) -> RunInfo {
    RunInfo {
        key: format!("{project}#{}/{}/{name}", ctx.pipeline, ctx.job),
        // A retried job is a new job of the same pipeline: always look first.
        rerun: true,
        attempt: String::new(),
        run_id: ctx.pipeline.clone(),
        run_url: ctx.pipeline_url.clone(),
        sha: ctx.sha.clone(),
        git_ref: ctx.git_ref.clone(),
        default_title: format!("Manual approval required for pipeline {}", ctx.pipeline),
        place: project.to_string(),
        mention: true,
        event_number: match on {
            Noteable::Issue => ctx.event_issue.or(ctx.dotenv_number),
            Noteable::MergeRequest => ctx.event_mr.or(ctx.dotenv_number),
        },
        evaluate_hint: "Waiting for approval; a pipeline started by the project's comment webhook, running `gate --mode evaluate`, decides.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_marks_are_read_in_both_formats() {
        assert_eq!(closed_mark(), "<!-- shipgate:gate:closed -->");
        assert!(closes("Met.\n\n<!-- shipgate:gate:closed -->"));
        assert!(closes("Met.\n\n<!-- shipgate-gate-closed -->"));
        assert!(!closes("<!-- shipgate:gate:o/r_1 {\"key\":\"o/r#1\"} -->"));
    }

    #[test]
    fn gitlab_bots_never_count() {
        assert!(is_gitlab_bot("project_42_bot_3f2a"));
        assert!(is_gitlab_bot("group_7_bot"));
        assert!(is_gitlab_bot("ghost"));
        assert!(!is_gitlab_bot("robot-lover"));
        assert!(!is_gitlab_bot("alice"));
    }
}
