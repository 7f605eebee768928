//! The gate on GitLab Free without a token: manual "approve" jobs record who clicked them
//! (`GITLAB_USER_LOGIN` is the user who starts a manual job), and the gate job counts the
//! distinct eligible approvers in those records against the same policy, windows, freezes
//! (`CI_DEPLOY_FREEZE`) and wait timer as on GitHub.
//!
//! - `--mode gitlab-approve` (in each manual approve job): checks that the user who started
//!   the job may approve (fails harmlessly otherwise, so someone else can run it) and writes
//!   `shipgate-approvals/<job>.json`.
//! - `--mode gitlab-jobs` (in the gate job, which `needs:` the approve jobs): reads the
//!   records of this pipeline and decides.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::decide::{self, Mark, Outcome, Row, TimeRules};
use super::policy::{self, Comment, Group, Policy};
use super::spec::{Mode, RawPolicy, Spec};
use super::time::Clock;
use super::Finish;
use crate::config::schema::Exclusion;
use crate::error::Failure;
use crate::platform::context::var;
use crate::platform::{Platform, Report, RunContext};

/// Where approve jobs write their records (relative to the job's directory).
pub const RECORD_DIR: &str = "shipgate-approvals";

/// What one approve job records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApprovalRecord {
    pub login: String,
    pub time: String,
    pub job: String,
    pub job_url: String,
    pub pipeline: String,
    pub sha: String,
    #[serde(default)]
    pub reason: String,
}

/// The policy over plain usernames (no token: groups cannot be expanded).
fn policy_of(raw: &RawPolicy, initiator: Option<&str>) -> Result<Policy, Failure> {
    let mut groups = Vec::new();
    for (name, entries) in &raw.groups {
        if let Some(team) = entries
            .iter()
            .find(|e| e.contains('/') || e.starts_with("@team:"))
        {
            return Err(Failure::input(
                "approvers",
                format!(
                    "{} is a group: without a token the GitLab gate takes usernames only",
                    crate::error::quote(team)
                ),
            ));
        }
        groups.push(Group::new(
            name,
            entries
                .iter()
                .map(|e| e.trim_start_matches('@').to_string()),
        ));
    }
    let mut excluded = BTreeMap::new();
    for e in &raw.exclude {
        match (e, initiator) {
            (Exclusion::Initiator, Some(login)) => {
                excluded.insert(login.to_lowercase(), "started the pipeline".to_string());
            }
            (Exclusion::Initiator, None) => {
                return Err(Failure::input(
                    "exclude",
                    "excluding the initiator needs SHIPGATE_INITIATOR, which is not set: add a job `gate-initiator: { extends: .shipgate-gate-initiator }`, and when this job has its own `needs:`, list it there too (`needs: [gate-initiator, ...]`): a job with `needs:` gets dotenv variables only from the jobs it lists",
                ))
            }
            // Commit and MR authors need the API; re-runs of manual jobs record the re-runner.
            _ => {}
        }
    }
    raw.resolve(groups, excluded)
}

/// A field of the run context, empty when the runner did not set it.
fn field(p: &Platform, pick: impl Fn(&RunContext) -> &Option<String>) -> String {
    pick(&p.context).clone().unwrap_or_default()
}

/// Runs a GitLab mode.
pub fn run(spec: &Spec, p: &mut Platform, clock: &Clock, cwd: &Path) -> Result<Finish, Failure> {
    p.gitlab.dotenv = Some(PathBuf::from("shipgate-gate.env"));
    p.gitlab.dotenv_prefix = "SHIPGATE_".into();
    p.gitlab.json = Some(PathBuf::from("shipgate-gate.json"));
    let initiator = p.env.get("SHIPGATE_INITIATOR").map(str::to_string);
    let policy = policy_of(&spec.policy, initiator.as_deref())?;
    match spec.mode {
        Mode::GitlabApprove => approve(p, clock, &policy, spec.dry_run),
        Mode::GitlabJobs => count(spec, p, clock, &policy, cwd),
        _ => Err(Failure::input(
            "mode",
            "on GitLab the gate runs as gitlab-approve (manual approve jobs) and gitlab-jobs (the gate job)",
        )),
    }
}

/// `gitlab-approve`: record the user who started this manual job, if they may approve.
fn approve(
    p: &mut Platform,
    clock: &Clock,
    policy: &Policy,
    dry_run: bool,
) -> Result<Finish, Failure> {
    let login = field(p, |c| &c.actor);
    if login.is_empty() {
        return Err(Failure::input(
            var::GITLAB_USER_LOGIN,
            "not set: run this in a GitLab manual job",
        ));
    }
    let key = login.to_lowercase();
    let why_not = if let Some(why) = policy.excluded.get(&key) {
        Some(format!("excluded: {why}"))
    } else if policy::is_bot_login(&key) || key.starts_with("project_") || key.starts_with("group_")
    {
        Some("bots never count".into())
    } else if !policy.eligible().contains(&key) {
        Some("not an approver of this gate".into())
    } else {
        None
    };
    let mut report = Report::default();
    if let Some(why) = why_not {
        report.set("approval-status", "refused");
        report.summary = Some(format!(
            "@{login} cannot approve: {why}. Someone who may approve must run this job again."
        ));
        return Ok(Finish {
            report,
            failure: Some(Failure::Decision(format!("@{login} cannot approve: {why}"))),
        });
    }
    let record = ApprovalRecord {
        login: login.clone(),
        time: clock.now().to_string(),
        job: field(p, |c| &c.job),
        job_url: field(p, |c| &c.job_url),
        pipeline: field(p, |c| &c.run_id),
        sha: field(p, |c| &c.sha),
        reason: p.env.get("APPROVAL_REASON").unwrap_or_default().to_string(),
    };
    let name: String = record
        .job
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    // Job names that differ only in characters a file name cannot keep (`approve lead`,
    // `approve_lead`) must not share a record: a changed name gets a hash of the original.
    let file = if name == record.job && !name.is_empty() {
        name
    } else {
        let base = if name.is_empty() { "approve" } else { &name };
        format!("{base}-{:016x}", fnv1a(record.job.as_bytes()))
    };
    let path = PathBuf::from(RECORD_DIR).join(format!("{file}.json"));
    if dry_run {
        report.set("approval-status", "dry-run");
        report.summary = Some(format!(
            "Dry run: @{login} may approve; {} would be written ({}).",
            path.display(),
            record.job
        ));
        return Ok(Finish {
            report,
            failure: None,
        });
    }
    let json = serde_json::to_vec_pretty(&record).map_err(|e| Failure::Operational(e.into()))?;
    report.files.push((path, json));
    report.set("approval-status", "recorded");
    report.set("approver", &login);
    report.summary = Some(format!("Approval recorded for @{login} ({}).", record.job));
    Ok(Finish {
        report,
        failure: None,
    })
}

/// FNV-1a, 64 bits: a stable short name for a job name (not a security hash).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Reads every record in `dir` (or the listed files).
fn read_records(location: &str, cwd: &Path) -> Result<Vec<(PathBuf, ApprovalRecord)>, Failure> {
    let mut files = Vec::new();
    for item in location.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let path = cwd.join(item);
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&path)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            entries.sort();
            files.extend(entries);
        } else if path.is_file() {
            files.push(path);
        }
    }
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f)?;
        let record: ApprovalRecord = serde_json::from_str(&text).map_err(|e| {
            Failure::input(
                "approvals-dir",
                format!("{} is not an approval record: {e}", f.display()),
            )
        })?;
        out.push((f, record));
    }
    Ok(out)
}

/// `gitlab-jobs`: count the approve jobs' records of this pipeline and decide.
fn count(
    spec: &Spec,
    p: &mut Platform,
    clock: &Clock,
    policy: &Policy,
    cwd: &Path,
) -> Result<Finish, Failure> {
    let dir = spec
        .approvals_dir
        .clone()
        .unwrap_or_else(|| RECORD_DIR.to_string());
    let records = read_records(&dir, cwd)?;
    let pipeline = field(p, |c| &c.run_id);
    let sha = field(p, |c| &c.sha);
    let mut comments = Vec::new();
    let mut lines = Vec::new();
    for (i, (path, r)) in records.iter().enumerate() {
        if (!pipeline.is_empty() && r.pipeline != pipeline) || (!sha.is_empty() && r.sha != sha) {
            lines.push(format!(
                "Ignored {}: recorded for pipeline {} / commit {}",
                path.display(),
                r.pipeline,
                r.sha
            ));
            continue;
        }
        let Ok(time) = r.time.parse::<Timestamp>() else {
            lines.push(format!("Ignored {}: bad time '{}'", path.display(), r.time));
            continue;
        };
        let body = if r.reason.is_empty() {
            "approve".to_string()
        } else {
            format!("approve\n{}", r.reason)
        };
        comments.push(Comment {
            id: i as u64,
            author: r.login.clone(),
            body,
            created_at: time,
            updated_at: time,
            url: r.job_url.clone(),
            bot: false,
        });
    }
    let requested = p
        .context
        .run_created_at
        .as_deref()
        .and_then(|t| t.parse::<Timestamp>().ok());
    let words = super::words::Words::new(&[], &[], true);
    let eval = policy::evaluate(
        policy,
        &words,
        &comments,
        requested.unwrap_or(Timestamp::MIN),
    );
    let freeze = (p.context.deploy_freeze && !spec.skips("freezes")).then(|| {
        format!(
            "{}: a GitLab deploy freeze period was active when the pipeline was created",
            var::DEPLOY_FREEZE
        )
    });
    let rules = TimeRules {
        windows: &spec.windows,
        freezes: &spec.freezes,
        platform_freeze: freeze,
        wait: spec.wait,
        requested,
        after: None,
    };
    let now = clock.now();
    let mut rows = decide::time_rows(&rules, now);
    let mut outcome = decide::decide(Some(&eval), &rows);
    if let Outcome::Pending(until) = outcome {
        // The approve jobs have all run: missing approvals or a running timer cannot be
        // waited for here (use `when: delayed` for timers).
        let detail = match until {
            Some(t) => format!("a timer runs until {t}; retry this job then"),
            None => "the approve jobs' approvers do not satisfy the policy".into(),
        };
        rows.push(Row {
            mark: Mark::Failed,
            rule: "approved".into(),
            detail,
        });
        outcome = Outcome::Blocked;
    }
    let mut report = Report::default();
    report.set("approval-status", outcome.status());
    report.set(
        "approvers",
        serde_json::to_string(&eval.approvals).unwrap_or_else(|_| "[]".into()),
    );
    spec.report_skips(&mut report, &mut lines);
    let headline = match outcome {
        Outcome::Approved => "✅ approved",
        Outcome::Denied => "❌ denied",
        _ => "🚫 blocked",
    };
    report.summary = Some(decide::summary(
        &spec.summary_title(),
        headline,
        &lines,
        Some(&eval),
        &rows,
        outcome != Outcome::Approved,
    ));
    report.json = Some(serde_json::json!({
        "approval-status": outcome.status(),
        "approvers": eval.approvals,
        "skipped-rules": spec.skipped,
        "skip-reason": spec.skip_reason,
        "rules": rows.iter().map(|r| serde_json::json!({"rule": r.rule, "held": r.mark == Mark::Held, "why": r.detail})).collect::<Vec<_>>(),
    }));
    let failure = match outcome {
        Outcome::Approved => None,
        _ => Some(Failure::Decision(format!(
            "blocked: {}",
            decide::failed_reasons(&rows)
        ))),
    };
    Ok(Finish { report, failure })
}
