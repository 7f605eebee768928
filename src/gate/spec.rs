//! What a gate run must do (the [`Spec`] that [`super::request`] resolves from the
//! inputs, an inline policy or a named policy in `.shipgate.yml`), and the parsers and
//! bounds of its values.

use std::time::Duration;

use std::collections::BTreeMap;

use super::policy::{Group, Policy, Rule, Veto};
use super::time::{Freeze, Window};
use super::words::{split_list, Words};
use crate::config::schema::Exclusion;
use crate::error::{quote, Failure};

/// How the gate runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Blocking,
    Request,
    Evaluate,
    Verify,
    GitlabJobs,
    GitlabApprove,
}

/// How many approvals the drop-in `minimum-approvals` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MinTotal {
    /// Every (expanded, eligible) approver: manual-approval's default.
    All,
    /// At least this many distinct people.
    AtLeast(u32),
    /// Not given, and no group rules: one approval when the policy names anyone who may
    /// approve, none (no human approval: only the time rules decide) when it names nobody.
    Default,
}

/// The policy before teams are expanded: group name → entries (users, `org/team`, or a
/// bare name that may be a team of the repository owner's organisation).
#[derive(Debug, Clone, PartialEq)]
pub struct RawPolicy {
    pub name: String,
    pub groups: Vec<(String, Vec<String>)>,
    pub all_of: Vec<(String, u32)>,
    pub any_of: Vec<(String, u32)>,
    pub min_total: MinTotal,
    pub veto: Veto,
    pub exclude: Vec<Exclusion>,
}

impl RawPolicy {
    /// The policy over resolved approver groups and exclusions. Bad input (exit 2) when the
    /// approvals it asks for cannot be reached by the approvers left after exclusions.
    pub fn resolve(
        &self,
        groups: Vec<Group>,
        excluded: BTreeMap<String, String>,
    ) -> Result<Policy, Failure> {
        self.build(groups, excluded, true)
    }

    /// The policy as [`RawPolicy::resolve`] makes it (bounds checked), without the check
    /// that enough people are left: a dry run cannot expand teams, so it cannot count them.
    pub fn preview(
        &self,
        groups: Vec<Group>,
        excluded: BTreeMap<String, String>,
    ) -> Result<Policy, Failure> {
        self.build(groups, excluded, false)
    }

    fn build(
        &self,
        groups: Vec<Group>,
        excluded: BTreeMap<String, String>,
        check: bool,
    ) -> Result<Policy, Failure> {
        let rules = |list: &[(String, u32)]| -> Vec<Rule> {
            list.iter()
                .map(|(g, m)| Rule {
                    group: g.clone(),
                    min: *m,
                })
                .collect()
        };
        let mut policy = Policy {
            groups,
            all_of: rules(&self.all_of),
            any_of: rules(&self.any_of),
            min_total: 0,
            veto: self.veto.clone(),
            excluded,
        };
        for (rule, min) in self.all_of.iter().chain(self.any_of.iter()) {
            if *min > MAX_APPROVALS {
                return Err(Failure::input(
                    "policy",
                    format!("the rule for group {} asks for {min} approvals, more than the maximum {MAX_APPROVALS}", quote(rule)),
                ));
            }
        }
        let eligible = u32::try_from(policy.eligible().len()).unwrap_or(u32::MAX);
        policy.min_total = match self.min_total {
            MinTotal::All => eligible,
            MinTotal::AtLeast(n) if n > MAX_APPROVALS => {
                return Err(Failure::input(
                    "minimum-approvals",
                    format!("{n} approvals is more than the maximum {MAX_APPROVALS}"),
                ))
            }
            MinTotal::AtLeast(n) => n,
            // Anyone who may approve means one approval; no approvers, no human approval.
            MinTotal::Default if policy.groups.iter().any(|g| !g.members.is_empty()) => 1,
            MinTotal::Default => 0,
        };
        let all_of: u64 = policy.all_of.iter().map(|r| u64::from(r.min)).sum();
        let cheapest_any = policy.any_of.iter().map(|r| u64::from(r.min)).min();
        let needed = u64::from(policy.min_total).max(all_of + cheapest_any.unwrap_or(0));
        // "Every approver" over nobody is a policy no one can meet, not one that needs no one.
        let all_of_nobody = self.min_total == MinTotal::All && eligible == 0;
        if check && (needed > u64::from(eligible) || all_of_nobody) {
            let needed = needed.max(1);
            return Err(Failure::input(
                "minimum-approvals",
                format!("the policy needs {needed} approval(s) but only {eligible} eligible approver(s) remain after exclusions"),
            ));
        }
        Ok(policy)
    }
}

/// An earlier environment that must run the same commit first.
#[derive(Debug, Clone, PartialEq)]
pub struct After {
    pub environment: String,
    pub soak: Duration,
}

/// Everything a run needs, checked.
#[derive(Debug, Clone)]
pub struct Spec {
    pub mode: Mode,
    /// Where the policy came from: its name under `gates:`, or `None` for an inline policy
    /// or the drop-in `approvers` input (see [`Spec::policy_label`]).
    pub named_policy: Option<String>,
    pub inline_policy: bool,
    pub secret: Option<String>,
    pub policy: RawPolicy,
    pub words: Words,
    pub approve_words: String,
    pub deny_words: String,
    pub issue_title: Option<String>,
    pub issue_body: String,
    pub labels: Vec<String>,
    pub target_repo: Option<String>,
    pub fail_on_denial: bool,
    pub close_means_denial: bool,
    pub poll: Duration,
    pub timeout: Option<Duration>,
    pub windows: Vec<Window>,
    pub freezes: Vec<Freeze>,
    pub wait: Option<Duration>,
    pub after: Option<After>,
    pub environment: Option<String>,
    pub dispatch_workflow: Option<String>,
    pub dispatch_inputs: serde_json::Map<String, serde_json::Value>,
    pub issue_number: Option<u64>,
    pub approvals_dir: Option<String>,
    pub dry_run: bool,
    /// Rules switched off for this run by `skip-rules` (`after`, `windows`, `freezes`,
    /// `wait`), with the required reason.
    pub skipped: Vec<String>,
    pub skip_reason: Option<String>,
    /// GitLab: the request is a note on the merge request, not an issue.
    pub request_in_merge_request: bool,
    /// GitHub App credentials: ID, private key, installation ID.
    pub app: Option<(String, String, Option<String>)>,
}

impl Spec {
    /// The deciding policy for people: `` `prod-approval` `` (a gate of `.shipgate.yml`),
    /// `inline policy`, or `approvers input`.
    pub fn policy_label(&self) -> String {
        match &self.named_policy {
            Some(name) => format!("`{name}`"),
            None if self.inline_policy => "inline policy".into(),
            None => "approvers input".into(),
        }
    }

    /// True when `skip-rules` switched `rule` off.
    pub fn skips(&self, rule: &str) -> bool {
        self.skipped.iter().any(|r| r == rule)
    }

    /// `Rules skipped for this run (skip-rules): after — reason: …`, when any were.
    pub fn skip_line(&self) -> Option<String> {
        (!self.skipped.is_empty()).then(|| {
            format!(
                "Rules skipped for this run (skip-rules): {} — reason: {}",
                self.skipped.join(", "),
                self.skip_reason.as_deref().unwrap_or_default()
            )
        })
    }

    /// Records skipped rules: the `skipped-rules` and `skip-reason` outputs and the first
    /// line of the summary.
    pub fn report_skips(&self, report: &mut crate::platform::Report, lines: &mut Vec<String>) {
        if let Some(line) = self.skip_line() {
            report.set("skipped-rules", self.skipped.join(","));
            report.set("skip-reason", self.skip_reason.clone().unwrap_or_default());
            lines.insert(0, format!("⚠️ {line}"));
        }
    }

    /// The job summary's title: the deciding policy, then the environment.
    pub fn summary_title(&self) -> String {
        let env = self
            .environment
            .as_deref()
            .map(|e| format!(" for `{e}`"))
            .unwrap_or_default();
        match &self.named_policy {
            Some(name) => format!("Gate `{name}`{env}"),
            None => format!("Gate{env} ({})", self.policy_label()),
        }
    }
}

/// The shortest and longest first pause between polls: shorter would hammer the API,
/// longer is a typo (the gate backs off to a minute on its own).
pub const MIN_POLL: Duration = Duration::from_millis(10);
pub const MAX_POLL: Duration = Duration::from_secs(3600);

/// The longest `issue-body` (or file): GitHub refuses bodies over 65,536 characters, and
/// the gate's own text and record need room.
pub const MAX_ISSUE_BODY: usize = 60_000;
/// The longest `dispatch-inputs` JSON (it is kept in the request's body).
pub const MAX_DISPATCH_INPUTS: usize = 2_000;
/// The longest `issue-title` (GitLab's limit; GitHub's is 256).
pub const MAX_TITLE: usize = 255;

/// The most approvals (or denials, for a veto quorum) a policy may ask for. No real review
/// needs more; the bound keeps the matching of approvers to rules small.
pub const MAX_APPROVALS: u32 = 1000;

/// Parses `polling-interval-seconds`: seconds (fractions allowed), from [`MIN_POLL`] to
/// [`MAX_POLL`].
pub fn parse_poll(text: &str) -> Result<Duration, String> {
    let bad = || {
        format!(
            "{} is not a number of seconds greater than 0 (from {} up to the maximum {}, 1h)",
            quote(text),
            MIN_POLL.as_secs_f64(),
            MAX_POLL.as_secs()
        )
    };
    match text.trim().parse::<f64>() {
        Ok(s) if s.is_finite() && s >= MIN_POLL.as_secs_f64() && s <= MAX_POLL.as_secs_f64() => {
            Duration::try_from_secs_f64(s).map_err(|_| bad())
        }
        _ => Err(bad()),
    }
}

/// Parses a count of approvals: a whole number from 0 to [`MAX_APPROVALS`].
pub fn parse_count(text: &str) -> Result<u32, String> {
    crate::platform::inputs::parse_integer(text, 0, u64::from(MAX_APPROVALS)).map(|n| n as u32)
}

/// Parses `veto`: `any`, `never`/`none`, a number, or a comma list of group names.
pub fn parse_veto(text: &str) -> Result<Veto, String> {
    let t = text.trim();
    match t.to_ascii_lowercase().as_str() {
        "" | "any" => Ok(Veto::Any),
        "never" | "none" | "false" => Ok(Veto::Never),
        _ if t.chars().all(|c| c.is_ascii_digit()) => match parse_count(t)? {
            0 => Err("a veto quorum must be at least 1".into()),
            n => Ok(Veto::Quorum(n)),
        },
        _ => Ok(Veto::Groups(split_list(t))),
    }
}
