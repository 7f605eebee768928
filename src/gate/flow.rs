//! The gate's modes, the same on every platform that has an API: a request (GitHub issue,
//! GitLab issue) found by its hidden marker or opened, comments read as decisions against
//! the policy and the time rules, and the request closed saying why. What differs between
//! platforms — how to list, poll and write — is behind [`Forge`].

use std::time::Duration;

use jiff::Timestamp;
use serde_json::Value;

use super::decide::{self, Mark, Outcome, Row, Soak, TimeRules};
use super::policy::{self, Comment, Evaluation, Policy};
use super::progress::Progress;
use super::spec::{Mode, Spec};
use super::time::{add, format_duration, until, Clock};
use super::Finish;
use crate::error::Failure;
use crate::http::RateLimited;
use crate::ledger;
use crate::platform::{Platform, Report};

/// The longest pause between polls while nothing changes.
pub const MAX_INTERVAL: Duration = Duration::from_secs(60);
/// The longest pause after a failed poll, whatever the server's `retry-after` says.
const MAX_RETRY_WAIT: Duration = Duration::from_secs(3600);
/// Approvers named in a GitHub request body before "and N more".
const MAX_LISTED: usize = 30;
/// Consecutive failed polls tolerated before the gate gives up (exit 1).
const MAX_POLL_ERRORS: u32 = 5;

/// A request on the platform.
#[derive(Debug, Clone)]
pub struct Request {
    pub number: u64,
    pub url: String,
    pub open: bool,
    pub created_at: Timestamp,
    /// The description, which carries the [`Record`].
    pub body: String,
}

/// What a poll found.
#[derive(Debug)]
pub enum Polled {
    /// Nothing changed (a 304 on GitHub).
    Unchanged,
    /// The complete, current list of comments.
    Changed(Vec<Comment>),
}

/// How a request ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    Completed,
    NotPlanned,
}

/// A platform's API for approval requests. Errors from writes are final (exit 1); errors
/// from `poll` are retried by the wait loop ([`RateLimited`] ones after the server's hint).
#[allow(async_fn_in_trait)]
pub trait Forge {
    /// What a request is called in messages ("issue").
    fn noun(&self) -> &'static str;
    /// This run's earlier request, by the marker in its description.
    async fn find(&mut self, markers: &[String]) -> Result<Option<Request>, Failure>;
    /// Opens a request; `approvers` are assigned or mentioned where the platform allows.
    async fn open(
        &mut self,
        title: &str,
        body: &str,
        approvers: &[String],
        labels: &[String],
        p: &mut Platform,
    ) -> Result<Request, Failure>;
    async fn get(&mut self, number: u64) -> Result<Request, Failure>;
    /// Adds a comment; returns when it was made.
    async fn comment(&mut self, number: u64, text: &str) -> Result<Timestamp, Failure>;
    /// Ends the request with a closing comment `text`.
    async fn close(&mut self, number: u64, text: &str, how: Closing) -> Result<(), Failure>;
    async fn reopen(&mut self, number: u64) -> Result<(), Failure>;
    /// Every comment, oldest first; also where `poll` starts from.
    async fn comments(&mut self, number: u64) -> Result<Vec<Comment>, Failure>;
    /// Whether anything changed since the last listing or poll (cheaply, when the platform
    /// has conditional requests).
    async fn poll(&mut self, number: u64) -> anyhow::Result<Polled>;
    /// Before passing: a complete listing when polling may have missed an edit; `None`
    /// when the comments in hand are known to be complete and current.
    async fn confirm(
        &mut self,
        number: u64,
        current: &[Comment],
    ) -> Result<Option<Vec<Comment>>, Failure>;
    /// Whether the request was closed by someone (`None`: unchanged since last asked).
    async fn closed(&mut self, number: u64) -> anyhow::Result<Option<bool>>;
    /// `evaluate` on approval: start the deployment the request was made for. Returns a
    /// line for the summary, or `None` when nothing was asked to start.
    async fn start(
        &mut self,
        spec: &Spec,
        record: &Record,
        number: u64,
    ) -> Result<Option<String>, Failure>;
    /// A freeze the platform reports at `now`.
    fn freeze(&self, now: Timestamp) -> Option<String>;
    /// Credentials obtained since last asked (a refreshed App token), to mask and redact.
    fn take_secrets(&self) -> Vec<String> {
        Vec::new()
    }
}

/// What the modes need to know of the run.
#[derive(Debug, Clone, Default)]
pub struct RunInfo {
    /// Identifies this gate step across re-runs.
    pub key: String,
    /// Look for an earlier request of the same step before opening one.
    pub rerun: bool,
    pub attempt: String,
    pub run_id: String,
    pub run_url: String,
    pub sha: String,
    pub git_ref: String,
    pub default_title: String,
    /// Where requests are opened (`owner/repo`, `group/project`), for messages.
    pub place: String,
    /// Approvers are written as `@login` mentions (GitLab notifies them that way).
    pub mention: bool,
    /// The request number an event names (an `issue_comment` event, a note hook).
    pub event_number: Option<u64>,
    /// How to say "run evaluate on new comments" on this platform.
    pub evaluate_hint: String,
}

/// What a request carries in a hidden comment, so that a re-run, `evaluate` and `verify`
/// know what was asked.
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

/// The start of the record marker the gate wrote before the one marker format of
/// [`crate::ledger`] (`<!-- shipgate-gate {json} -->`): still read, so requests opened by
/// an earlier version are found on a re-run.
pub const LEGACY_RECORD_START: &str = "<!-- shipgate-gate ";

impl Record {
    /// The hidden HTML comment `<!-- shipgate:gate:<key> {json} -->` (no `>` inside, so it
    /// cannot end early).
    pub fn to_marker(&self) -> String {
        ledger::with_record("gate", &self.key, self)
    }

    /// The record in an issue body, if any: the last marker (new or old format), which the
    /// gate always writes after any user text (`issue-body`, `skip-reason`) that could
    /// imitate one.
    pub fn from_body(body: &str) -> Option<Record> {
        ledger::last_record(body, "gate", Some(LEGACY_RECORD_START))
    }

    /// The exact text a re-run looks for (the marker this version writes).
    pub fn key_marker(key: &str) -> String {
        Self::key_markers(key).swap_remove(0)
    }

    /// The texts a re-run looks for: this version's marker, then the old format's.
    pub fn key_markers(key: &str) -> Vec<String> {
        ledger::record_prefixes("gate", key, "key", key, Some(LEGACY_RECORD_START))
    }
}

/// State shared by the modes.
pub struct Gate<'a> {
    pub spec: &'a Spec,
    pub run: RunInfo,
    pub clock: &'a Clock,
    pub policy: Policy,
    pub soak: Option<Soak>,
    pub name: String,
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

    fn rows<F: Forge>(&self, forge: &F, requested: Option<Timestamp>, now: Timestamp) -> Vec<Row> {
        // `skip-rules: freezes` switches the platform's freezes off too.
        let freeze = forge.freeze(now).filter(|_| !self.spec.skips("freezes"));
        decide::time_rows(&self.rules(requested, freeze), now)
    }

    fn title(&self) -> String {
        self.spec
            .issue_title
            .clone()
            .unwrap_or_else(|| self.run.default_title.clone())
    }

    fn body(&self, record: &Record) -> String {
        let eligible = self.policy.eligible();
        let mut approvers: Vec<String> = eligible
            .iter()
            .map(|a| {
                if self.run.mention {
                    format!("@{a}")
                } else {
                    a.clone()
                }
            })
            .collect();
        // Mentions notify (GitLab), so every one stays; a plain list (GitHub, whose body
        // holds 65,536 characters) names the first ones.
        if !self.run.mention && approvers.len() > MAX_LISTED {
            let more = approvers.len() - MAX_LISTED;
            approvers.truncate(MAX_LISTED);
            approvers.push(format!("and {more} more"));
        }
        let mut body = format!(
            "Workflow is pending manual review.\nURL: {}\n\nRequired approvers: [{}]\n\nRespond \"{}\" to continue workflow or \"{}\" to cancel.",
            self.run.run_url,
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
            "\n\nPolicy {}: {}. A reason may follow the keyword on the next lines. Edited comments do not count.",
            self.spec.policy_label(),
            rules.join(", ")
        ));
        if let Some(line) = self.spec.skip_line() {
            body.push_str(&format!("\n\n**{line}**"));
        }
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
            key: self.run.key.clone(),
            sha: self.run.sha.clone(),
            git_ref: self.run.git_ref.clone(),
            run_id: self.run.run_id.clone(),
            environment: self.spec.environment.clone(),
            inputs: self.spec.dispatch_inputs.clone(),
        }
    }

    /// Finds this run's request by its marker (re-runs), reopening it if it was closed, or
    /// opens a new one. Returns the request and when it counts from.
    async fn find_or_create<F: Forge>(
        &self,
        forge: &mut F,
        p: &mut Platform,
    ) -> Result<(Request, Timestamp), Failure> {
        let record = self.record();
        if self.run.rerun {
            let markers = Record::key_markers(&record.key);
            if let Some(found) = forge.find(&markers).await? {
                p.info(&format!("Found this run's request: {}", found.url));
                if found.open {
                    let at = found.created_at;
                    return Ok((found, at));
                }
                let note = format!(
                    "Re-run{}: approval requested again. Decisions made before this comment do not count.",
                    if self.run.attempt.is_empty() {
                        String::new()
                    } else {
                        format!(" (attempt {})", self.run.attempt)
                    }
                );
                let at = forge.comment(found.number, &note).await?;
                forge.reopen(found.number).await?;
                return Ok((found, at));
            }
        }
        let approvers: Vec<String> = self.policy.eligible().into_iter().collect();
        let body = self.body(&record);
        let title = self.title();
        let request = forge
            .open(&title, &body, &approvers, &self.spec.labels, p)
            .await?;
        p.info(&format!("Approval request: {}", request.url));
        let at = request.created_at;
        Ok((request, at))
    }

    async fn finish_request<F: Forge>(
        &self,
        forge: &mut F,
        number: u64,
        text: &str,
        how: Closing,
    ) -> Result<(), Failure> {
        forge.close(number, text, how).await
    }

    fn closing_text(
        &self,
        noun: &str,
        outcome: Outcome,
        eval: &Evaluation,
        rows: &[Row],
    ) -> String {
        match outcome {
            Outcome::Approved => format!(
                "The required number of approvals ({}) has been met; continuing workflow and closing this {noun}.",
                eval.approvals.len()
            ),
            Outcome::Denied if self.spec.fail_on_denial => format!("Request denied. Closing {noun} and failing workflow."),
            Outcome::Denied => format!("Request denied. Closing {noun} but continuing workflow."),
            _ => format!(
                "The gate is blocked ({}). Closing {noun} and failing workflow.",
                decide::failed_reasons(rows)
            ),
        }
    }
}

/// Runs a mode over a platform's API.
pub async fn run<F: Forge>(
    gate: &Gate<'_>,
    forge: &mut F,
    p: &mut Platform,
) -> Result<Finish, Failure> {
    match gate.spec.mode {
        Mode::Blocking | Mode::Request => request_and_wait(gate, forge, p).await,
        Mode::Evaluate => evaluate(gate, forge, p).await,
        Mode::Verify => verify(gate, forge, p).await,
        Mode::GitlabJobs | Mode::GitlabApprove => Err(Failure::input(
            "mode",
            "gitlab-approve and gitlab-jobs are the GitLab modes without a token",
        )),
    }
}

struct Outputs<'a> {
    request: Option<&'a Request>,
    status: &'a str,
    eval: Option<&'a Evaluation>,
    rows: &'a [Row],
    lines: Vec<String>,
    headline: String,
}

fn finish(gate: &Gate<'_>, o: Outputs<'_>, failure: Option<Failure>) -> Finish {
    let mut report = Report::default();
    if let Some(r) = o.request {
        report.set("issue-number", r.number.to_string());
        report.set("issue-url", r.url.clone());
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
    gate.spec.report_skips(&mut report, &mut lines);
    if let Some(r) = o.request {
        lines.insert(0, format!("Request: [#{}]({})", r.number, r.url));
    }
    if !gate.run.sha.is_empty() {
        lines.push(format!("Commit: `{}`", gate.run.sha));
    }
    report.json = Some(serde_json::json!({
        "approval-status": o.status,
        "issue-number": o.request.map(|r| r.number),
        "issue-url": o.request.map(|r| r.url.clone()),
        "approvers": approvals,
        "denied-by": denials,
        "rules": o.rows.iter().map(|r| serde_json::json!({"rule": r.rule, "held": r.mark == Mark::Held, "why": r.detail})).collect::<Vec<_>>(),
        "skipped-rules": gate.spec.skipped,
        "skip-reason": gate.spec.skip_reason,
    }));
    let title = gate.spec.summary_title();
    let ended = matches!(o.status, "denied" | "blocked" | "timed-out");
    report.summary = Some(decide::summary(
        &title,
        &o.headline,
        &lines,
        o.eval,
        o.rows,
        ended,
    ));
    Finish { report, failure }
}

pub fn headline(outcome: Outcome) -> String {
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
        Outcome::Blocked => Some(Failure::Decision(format!(
            "blocked: {}",
            decide::failed_reasons(rows)
        ))),
    }
}

/// Blocking and request modes.
async fn request_and_wait<F: Forge>(
    gate: &Gate<'_>,
    forge: &mut F,
    p: &mut Platform,
) -> Result<Finish, Failure> {
    let spec = gate.spec;
    // Windows, freezes and the earlier environment are checked before anything is asked.
    let now = gate.clock.now();
    let rows = gate.rows(forge, None, now);
    if decide::decide(None, &rows) == Outcome::Blocked {
        let failure = failure_for(spec, Outcome::Blocked, &rows, None);
        let o = Outputs {
            request: None,
            status: "blocked",
            eval: None,
            rows: &rows,
            lines: vec![],
            headline: headline(Outcome::Blocked),
        };
        return Ok(finish(gate, o, failure));
    }
    if !gate.policy.needs_approval() {
        return without_request(gate, forge, p).await;
    }
    let (request, requested) = gate.find_or_create(forge, p).await?;
    if spec.mode == Mode::Request {
        let rows = gate.rows(forge, Some(requested), now);
        let o = Outputs {
            request: Some(&request),
            status: "pending",
            eval: None,
            rows: &rows,
            lines: vec![gate.run.evaluate_hint.clone()],
            headline: headline(Outcome::Pending(None)),
        };
        return Ok(finish(gate, o, None));
    }
    wait(gate, forge, p, request, requested).await
}

/// `--dry-run`: an offline preview of the request (title, body, who would be asked) and of
/// the rules at this instant (which hold, which would wait, which fail). Reads no token and
/// makes no request: teams are shown unexpanded, and the `after` rule (which needs the
/// platform's deployments) and exclusions other than the initiator are not checked.
pub fn preview(
    spec: &Spec,
    run: RunInfo,
    clock: &Clock,
    initiator: Option<&str>,
    platform_freeze: Option<String>,
    p: &mut Platform,
) -> Result<Finish, Failure> {
    let groups = spec
        .policy
        .groups
        .iter()
        .map(|(name, entries)| {
            let members = entries.iter().map(|e| {
                let e = e.trim().trim_start_matches('@');
                match e.strip_prefix("team:") {
                    Some(team) => format!("{team} (team)"),
                    None if e.contains('/') => format!("{e} (team)"),
                    None => e.to_string(),
                }
            });
            super::policy::Group::new(name, members)
        })
        .collect();
    let mut excluded = std::collections::BTreeMap::new();
    let excludes_initiator = spec
        .policy
        .exclude
        .contains(&crate::config::schema::Exclusion::Initiator);
    if let Some(who) = initiator.filter(|w| !w.is_empty() && excludes_initiator) {
        excluded.insert(who.to_lowercase(), "started the run".to_string());
    }
    let policy = spec.policy.preview(groups, excluded)?;
    let gate = Gate {
        spec,
        run,
        clock,
        policy,
        soak: None,
        name: String::new(),
    };
    let now = clock.now();
    let mut rows = decide::time_rows(&gate.rules(Some(now), platform_freeze), now);
    if let Some(a) = &spec.after {
        rows.push(Row {
            mark: Mark::Waiting(None),
            rule: format!("after `{}` for {}", a.environment, format_duration(a.soak)),
            detail: "not checked in a dry run: it needs the platform's deployments".into(),
        });
    }
    let needs_people = gate.policy.needs_approval();
    let approvers: Vec<String> = gate.policy.eligible().into_iter().collect();
    let title = gate.title();
    let body = gate.body(&gate.record());
    let mut lines = vec!["Dry run: nothing was read from or written to the API.".to_string()];
    if needs_people {
        p.info(&format!(
            "dry run: would open \"{title}\" in {}, asking {}:",
            gate.run.place,
            approvers.join(", ")
        ));
        // The body spans lines: printed as a block (paused workflow commands on GitHub).
        p.info_block(&body);
        lines.push(format!(
            "Would open \"{title}\" in {}, asking: {}.",
            gate.run.place,
            approvers.join(", ")
        ));
    } else {
        lines.push("The policy asks nobody: no request would be opened.".into());
    }
    let other_exclusions = spec
        .policy
        .exclude
        .iter()
        .any(|e| *e != crate::config::schema::Exclusion::Initiator);
    if other_exclusions {
        lines.push("Commit, pull-request and re-run exclusions are applied at run time.".into());
    }
    let eval = policy::evaluate(&gate.policy, &spec.words, &[], now);
    let o = Outputs {
        request: None,
        status: "dry-run",
        eval: needs_people.then_some(&eval),
        rows: &rows,
        lines,
        headline: "dry run".into(),
    };
    let mut done = finish(&gate, o, None);
    if let Some(serde_json::Value::Object(json)) = done.report.json.as_mut() {
        json.insert(
            "request".into(),
            serde_json::json!({
                "title": title,
                "body": body,
                "approvers": approvers,
                "opened": needs_people,
            }),
        );
    }
    done.report.summary = done.report.summary.map(|md| {
        if needs_people {
            let fence = "`".repeat(longest_run(&body, '`').max(2) + 1);
            format!("{md}\n**The request that would be opened:** {title}\n\n{fence}text\n{body}\n{fence}\n")
        } else {
            md
        }
    });
    Ok(done)
}

/// The longest run of `c` in `text` (to fence text that may contain fences).
fn longest_run(text: &str, c: char) -> usize {
    text.split(|x| x != c).map(str::len).max().unwrap_or(0)
}

/// A gate that asks nobody (a soak-only or timer-only policy): no request is opened. The
/// wait timer counts from the start of the gate. Blocking mode waits for the timers (up to
/// `timeout`); request mode cannot wait, so a running timer blocks with the instant to
/// retry at.
async fn without_request<F: Forge>(
    gate: &Gate<'_>,
    forge: &mut F,
    p: &mut Platform,
) -> Result<Finish, Failure> {
    let spec = gate.spec;
    let clock = gate.clock;
    let started = clock.now();
    let deadline = spec.timeout.map(|t| add(started, t));
    let eval = policy::evaluate(&gate.policy, &spec.words, &[], started);
    p.info("The policy needs no approval: no request is opened; the time rules decide.");
    let mut progress = Progress::for_platform(p, started);
    loop {
        let now = clock.now();
        let mut rows = gate.rows(forge, Some(started), now);
        let mut outcome = decide::decide(Some(&eval), &rows);
        if let (Outcome::Pending(at), Mode::Request) = (outcome, spec.mode) {
            rows.push(Row {
                mark: Mark::Failed,
                rule: "no wait in request mode".into(),
                detail: match at {
                    Some(t) => format!(
                        "a timer runs until {t}; run the gate again then, or use mode blocking"
                    ),
                    None => "a rule is still pending; run the gate again later".into(),
                },
            });
            outcome = Outcome::Blocked;
        }
        if !matches!(outcome, Outcome::Pending(_)) {
            progress.finish();
            let failure = failure_for(spec, outcome, &rows, Some(&eval));
            let o = Outputs {
                request: None,
                status: outcome.status(),
                eval: Some(&eval),
                rows: &rows,
                lines: vec!["No approval needed: no request was opened.".into()],
                headline: headline(outcome),
            };
            return Ok(finish(gate, o, failure));
        }
        if let Some(end) = deadline.filter(|end| now >= *end) {
            progress.finish();
            let t = format_duration(spec.timeout.unwrap_or_default());
            let o = Outputs {
                request: None,
                status: "timed-out",
                eval: Some(&eval),
                rows: &rows,
                lines: vec![format!("Timed out after {t} (at {end}).")],
                headline: "⌛ timed out".into(),
            };
            return Ok(finish(
                gate,
                o,
                Some(Failure::Timeout(format!(
                    "the time rules did not hold within {t}"
                ))),
            ));
        }
        progress.update(&status_text(&eval, &rows), now);
        let mut pause = MAX_INTERVAL;
        for limit in [deadline, pending_until(&rows)].into_iter().flatten() {
            pause = pause.min(until(now, limit).max(Duration::from_millis(1)));
        }
        progress.sleep(clock, pause).await;
    }
}

/// The blocking wait loop.
async fn wait<F: Forge>(
    gate: &Gate<'_>,
    forge: &mut F,
    p: &mut Platform,
    request: Request,
    requested: Timestamp,
) -> Result<Finish, Failure> {
    let spec = gate.spec;
    let clock = gate.clock;
    let number = request.number;
    let noun = forge.noun();
    let started = clock.now();
    let deadline = spec.timeout.map(|t| add(started, t));
    let mut comments = forge.comments(number).await?;
    let mut closed_by_someone = false;
    let mut interval = spec.poll;
    let mut errors = 0u32;
    // From here on the log goes through the progress display (a status line on a TTY).
    let mut progress = Progress::for_platform(p, started);
    loop {
        let now = clock.now();
        let eval = policy::evaluate(&gate.policy, &spec.words, &comments, requested);
        let rows = gate.rows(forge, Some(requested), now);
        let mut outcome = decide::decide(Some(&eval), &rows);
        if closed_by_someone && spec.close_means_denial && !matches!(outcome, Outcome::Approved) {
            outcome = Outcome::Denied;
        }
        if outcome == Outcome::Approved {
            // Edits polling cannot see are caught by a complete listing before passing.
            if let Some(fresh) = forge.confirm(number, &comments).await? {
                comments = fresh;
                continue;
            }
        }
        match outcome {
            Outcome::Approved | Outcome::Denied | Outcome::Blocked => {
                let mut text = gate.closing_text(noun, outcome, &eval, &rows);
                if closed_by_someone && outcome == Outcome::Denied {
                    text = format!("The {noun} was closed without a decision, which counts as a denial (close-issue-means-denial).");
                }
                let how = if outcome == Outcome::Approved {
                    Closing::Completed
                } else {
                    Closing::NotPlanned
                };
                gate.finish_request(forge, number, &text, how).await?;
                let failure =
                    if closed_by_someone && outcome == Outcome::Denied && spec.fail_on_denial {
                        Some(Failure::Decision(format!(
                            "the request {noun} was closed (close-issue-means-denial)"
                        )))
                    } else {
                        failure_for(spec, outcome, &rows, Some(&eval))
                    };
                let lines = if closed_by_someone && outcome == Outcome::Denied {
                    vec![format!(
                        "The {noun} was closed without a decision (close-issue-means-denial)."
                    )]
                } else {
                    vec![]
                };
                let o = Outputs {
                    request: Some(&request),
                    status: outcome.status(),
                    eval: Some(&eval),
                    rows: &rows,
                    lines,
                    headline: headline(outcome),
                };
                return Ok(finish(gate, o, failure));
            }
            Outcome::Pending(_) => {}
        }
        if let Some(end) = deadline {
            if now >= end {
                let t = format_duration(spec.timeout.unwrap_or_default());
                let text = format!("Request timed out after {t} without the required approvals. Closing {noun} and failing workflow.");
                gate.finish_request(forge, number, &text, Closing::NotPlanned)
                    .await?;
                let o = Outputs {
                    request: Some(&request),
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
        progress.update(&status_text(&eval, &rows), now);
        // Sleep, never past the deadline or a timer's end.
        let mut pause = interval;
        for limit in [deadline, pending_until(&rows)].into_iter().flatten() {
            pause = pause.min(until(now, limit).max(Duration::from_millis(1)));
        }
        progress.sleep(clock, pause).await;
        match forge.poll(number).await {
            Ok(Polled::Unchanged) => {
                errors = 0;
                interval = (interval.mul_f64(1.5)).min(MAX_INTERVAL.max(spec.poll));
            }
            Ok(Polled::Changed(list)) => {
                errors = 0;
                interval = spec.poll;
                comments = list;
            }
            Err(e) => {
                errors += 1;
                // The server's hint is API-controlled: bounded, and never multiplied past it.
                let wait = match e.downcast_ref::<RateLimited>() {
                    Some(r) => r
                        .wait
                        .unwrap_or(Duration::from_secs(60))
                        .clamp(Duration::from_secs(60), MAX_RETRY_WAIT)
                        .saturating_mul(errors),
                    None => interval.saturating_mul(errors),
                }
                .min(MAX_RETRY_WAIT);
                if errors > MAX_POLL_ERRORS {
                    return Err(Failure::Operational(
                        e.context(format!("{MAX_POLL_ERRORS} polls in a row failed")),
                    ));
                }
                let msg = format!("poll failed ({e:#}); retrying in {}", format_duration(wait));
                progress.interrupt(|log| log.0.warning(&msg));
                progress.sleep(clock, wait).await;
            }
        }
        // A refreshed token (GitHub App) is a secret like the first one.
        for t in forge.take_secrets() {
            progress.interrupt(|log| log.0.add_secret(&t));
        }
        if spec.close_means_denial {
            match forge.closed(number).await {
                Ok(Some(closed)) => closed_by_someone = closed,
                Ok(None) => {}
                Err(e) => {
                    let msg = format!("poll of the {noun} failed ({e:#})");
                    progress.interrupt(|log| log.0.warning(&msg));
                }
            }
        }
    }
}

fn pending_until(rows: &[Row]) -> Option<Timestamp> {
    rows.iter()
        .filter_map(|r| match r.mark {
            Mark::Waiting(t) => t,
            _ => None,
        })
        .max()
}

/// What a waiting gate shows: each rule held (✓) or awaited (…).
fn status_text(eval: &Evaluation, rows: &[Row]) -> String {
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

fn request_number(gate: &Gate<'_>) -> Option<u64> {
    gate.spec.issue_number.or(gate.run.event_number)
}

/// `evaluate`: decide on a comment event; on approval close and start the deploy.
async fn evaluate<F: Forge>(
    gate: &Gate<'_>,
    forge: &mut F,
    p: &mut Platform,
) -> Result<Finish, Failure> {
    let spec = gate.spec;
    let noun = forge.noun();
    let Some(number) = request_number(gate) else {
        return Err(Failure::input(
            "issue-number",
            "no request: run evaluate on a comment event, or give issue-number",
        ));
    };
    let request = forge.get(number).await?;
    let Some(record) = Record::from_body(&request.body) else {
        p.info(&format!(
            "#{number} is not a shipgate approval request; nothing to do."
        ));
        let o = Outputs {
            request: Some(&request),
            status: "none",
            eval: None,
            rows: &[],
            lines: vec!["Not an approval request.".into()],
            headline: "nothing to do".into(),
        };
        return Ok(finish(gate, o, None));
    };
    if !request.open {
        p.info(&format!(
            "Request #{number} is already closed; nothing to do."
        ));
        let o = Outputs {
            request: Some(&request),
            status: "closed",
            eval: None,
            rows: &[],
            lines: vec!["The request is already closed.".into()],
            headline: "already decided".into(),
        };
        return Ok(finish(gate, o, None));
    }
    let requested = request.created_at;
    let comments = forge.comments(number).await?;
    let now = gate.clock.now();
    let eval = policy::evaluate(&gate.policy, &spec.words, &comments, requested);
    let rows = gate.rows(forge, Some(requested), now);
    let outcome = decide::decide(Some(&eval), &rows);
    if let (Some(t), Outcome::Pending(_)) = (spec.timeout, outcome) {
        if now >= add(requested, t) {
            let text = format!(
                "Request timed out after {} without the required approvals. Closing {noun}.",
                format_duration(t)
            );
            gate.finish_request(forge, number, &text, Closing::NotPlanned)
                .await?;
            let o = Outputs {
                request: Some(&request),
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
            let text = gate.closing_text(noun, outcome, &eval, &rows);
            if let Some(line) = forge.start(spec, &record, number).await? {
                lines.push(line);
            }
            gate.finish_request(forge, number, &text, Closing::Completed)
                .await?;
        }
        Outcome::Denied => {
            let text = gate.closing_text(noun, outcome, &eval, &rows);
            gate.finish_request(forge, number, &text, Closing::NotPlanned)
                .await?;
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
        request: Some(&request),
        status: outcome.status(),
        eval: Some(&eval),
        rows: &rows,
        lines,
        headline: headline(outcome),
    };
    Ok(finish(gate, o, failure))
}

/// `verify`: the started deploy re-checks the approval on the platform (anyone with write
/// access can start a workflow or job by hand).
async fn verify<F: Forge>(
    gate: &Gate<'_>,
    forge: &mut F,
    p: &mut Platform,
) -> Result<Finish, Failure> {
    let spec = gate.spec;
    let Some(number) = request_number(gate) else {
        return Err(Failure::input(
            "issue-number",
            "no request: give issue-number (the gate-issue input of the dispatch)",
        ));
    };
    let request = forge.get(number).await?;
    let record = Record::from_body(&request.body);
    let requested = request.created_at;
    let comments = forge.comments(number).await?;
    let now = gate.clock.now();
    let eval = policy::evaluate(&gate.policy, &spec.words, &comments, requested);
    let mut rows = gate.rows(forge, Some(requested), now);
    let sha_row = match &record {
        None => Row {
            mark: Mark::Failed,
            rule: "approval request".into(),
            detail: format!("#{number} is not a shipgate approval request"),
        },
        Some(r) if !gate.run.sha.is_empty() && r.sha != gate.run.sha => Row {
            mark: Mark::Failed,
            rule: "same commit".into(),
            detail: format!(
                "approved commit `{}`, but this run deploys `{}`",
                r.sha, gate.run.sha
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
    let o = Outputs {
        request: Some(&request),
        status: outcome.status(),
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
        // User text before the real marker cannot pass for it.
        let fake = Record {
            sha: "evil".into(),
            ..r.clone()
        };
        let spoofed = format!("{}\n{body}", fake.to_marker());
        assert_eq!(Record::from_body(&spoofed), Some(r.clone()));
        assert!(body.contains(&Record::key_marker(&r.key)));
    }

    #[test]
    fn a_record_in_the_old_marker_format_is_still_read_and_found() {
        let r = Record {
            key: "o/r#1/job/step/prod".into(),
            sha: "abc".into(),
            git_ref: "refs/heads/main".into(),
            run_id: "1".into(),
            environment: None,
            inputs: serde_json::Map::new(),
        };
        let json = serde_json::to_string(&r).unwrap();
        let old = format!("Approve?\n\n<!-- shipgate-gate {json} -->");
        assert_eq!(Record::from_body(&old), Some(r.clone()));
        let markers = Record::key_markers(&r.key);
        assert!(markers.iter().any(|m| old.contains(m)), "{markers:?}");
        assert!(r
            .to_marker()
            .starts_with("<!-- shipgate:gate:o/r_1/job/step/prod {"));
    }
}
