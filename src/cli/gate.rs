//! `shipgate gate` flags. Every flag is also read from `INPUT_<NAME>` (the GitHub runner's
//! form, hyphens kept) when not given; a flag wins over the variable. The names of
//! trstringer/manual-approval's inputs are kept, so the action is a drop-in.

use clap::Args as ClapArgs;

pub const AFTER_HELP: &str = "Every option is also read from INPUT_<NAME> (e.g. INPUT_MINIMUM-APPROVALS, or INPUT_MINIMUM_APPROVALS on GitLab); a flag wins.

Modes:
  blocking   (default) open or find the request issue and wait for a decision, polling with
             conditional requests (a waiting gate costs almost no rate limit)
  request    open or find the request and exit 0 with approval-status=pending
  evaluate   on an issue_comment event: decide; on approval close the issue and start
             dispatch-workflow with workflow_dispatch (inputs: the request's + gate-issue)
  verify     first step of the dispatched deploy: re-check the approval of gate-issue
  gitlab-approve, gitlab-jobs
             GitLab Free without a token: manual approve jobs record who ran them; the
             gate job counts their records

On GitLab the first four modes need a token with the api scope (secret or GITLAB_TOKEN):
the request is an issue that @-mentions the approvers; approvers may be groups
(group/subgroup, or group:name); the project's deploy freeze periods apply; evaluate runs
in a pipeline started by a comment webhook (TRIGGER_PAYLOAD) and plays dispatch-workflow,
the name of a manual job of the request's pipeline.

Outputs: issue-number, issue-url, approval-status (approved, denied, pending, timed-out,
blocked, dry-run), approvers (JSON: login, time, comment_url, reason), denied-by (JSON),
skipped-rules and skip-reason (when skip-rules switched rules off).

Exit codes:
  0  approved, or pending as intended (request/evaluate), or denied with fail-on-denial: false
  1  API or operational error (never a decision)
  2  bad input or policy (nothing was written)
  3  denied, outside a deployment window, frozen, or the earlier environment not ready
  4  timed out (the request is closed saying so)";

#[derive(Debug, Clone, Default, ClapArgs)]
pub struct Args {
    /// Token for the API (GitHub: issues: write, teams need an App or PAT with org members: read; GitLab: api scope, default GITLAB_TOKEN).
    #[arg(long)]
    pub secret: Option<String>,
    /// Comma list of approvers: users, org teams (`team-slug` in the repository owner's org, or `org/team`).
    #[arg(long)]
    pub approvers: Option<String>,
    /// How many distinct approvers must approve (default: all of them).
    #[arg(long)]
    pub minimum_approvals: Option<String>,
    /// Title of the request issue.
    #[arg(long)]
    pub issue_title: Option<String>,
    /// Text added to the request issue.
    #[arg(long)]
    pub issue_body: Option<String>,
    /// A file whose text is added to the request issue (wins over issue-body).
    #[arg(long)]
    pub issue_body_file_path: Option<String>,
    /// Comma list of labels for the request issue.
    #[arg(long)]
    pub issue_labels: Option<String>,
    /// true: the person who started the workflow cannot approve.
    #[arg(long)]
    pub exclude_workflow_initiator_as_approver: Option<String>,
    /// Comma list of extra approval words (taken literally).
    #[arg(long)]
    pub additional_approved_words: Option<String>,
    /// Comma list of extra denial words (taken literally).
    #[arg(long)]
    pub additional_denied_words: Option<String>,
    /// Owner of the repository where the request issue is opened (with target-repository).
    #[arg(long)]
    pub target_repository_owner: Option<String>,
    /// Repository where the request issue is opened (with target-repository-owner).
    #[arg(long)]
    pub target_repository: Option<String>,
    /// false: a denial exits 0 with approval-status=denied (default true: exit 3).
    #[arg(long)]
    pub fail_on_denial: Option<String>,
    /// Seconds between polls at first (default 10; fractions allowed); the gate backs off to 60s while nothing changes.
    #[arg(long)]
    pub polling_interval_seconds: Option<String>,
    /// true: closing the issue without a decision counts as a denial.
    #[arg(long)]
    pub close_issue_means_denial: Option<String>,
    /// Give up after this long (e.g. 6h, 30m, or seconds): the issue is closed saying so, exit 4.
    #[arg(long)]
    pub timeout: Option<String>,
    /// blocking (default), request, evaluate, verify, or gitlab-jobs.
    #[arg(long)]
    pub mode: Option<String>,
    /// A gate policy: its name under `gates:` in .shipgate.yml, or inline YAML (approvers, approvals, exclude, windows, freezes, after, timeout, veto, wait).
    #[arg(long)]
    pub policy: Option<String>,
    /// Path of .shipgate.yml (default: found from the working directory up).
    #[arg(long)]
    pub config: Option<String>,
    /// The environment being deployed (shown in the request; with a config, its gate is the policy).
    #[arg(long)]
    pub environment: Option<String>,
    /// Who else cannot approve: comma list of initiator, rerun-actor, commit-authors, pr-author.
    #[arg(long)]
    pub exclude: Option<String>,
    /// How denials end the request: any (default), never, a number N (N denials), or group names.
    #[arg(long)]
    pub veto: Option<String>,
    /// Deployment windows, one per line, e.g. `Mon-Thu 09:00-16:00 Europe/London`.
    #[arg(long)]
    pub windows: Option<String>,
    /// Freeze periods, one per line: `2026-12-20..2027-01-04 reason` (days in `timezone`).
    #[arg(long)]
    pub freezes: Option<String>,
    /// Time zone for freezes and windows without one (IANA name, default UTC).
    #[arg(long)]
    pub timezone: Option<String>,
    /// The gate cannot pass until this long after the request (e.g. 30m).
    #[arg(long)]
    pub wait_timer: Option<String>,
    /// An earlier environment that must run the same commit successfully first.
    #[arg(long)]
    pub after_environment: Option<String>,
    /// How long the commit must have run in after-environment (e.g. 2h).
    #[arg(long)]
    pub after_soak: Option<String>,
    /// true (default): lines after the keyword line are the approval's reason; false: the whole comment must be the keyword.
    #[arg(long)]
    pub allow_comment_reasons: Option<String>,
    /// evaluate: what to start on approval — GitHub: a workflow file (e.g. deploy.yml); GitLab: a manual job of the request's pipeline.
    #[arg(long)]
    pub dispatch_workflow: Option<String>,
    /// request: JSON object of inputs the deploy workflow is started with after approval.
    #[arg(long)]
    pub dispatch_inputs: Option<String>,
    /// verify/evaluate: the request issue's number (default: from the event).
    #[arg(long)]
    pub issue_number: Option<String>,
    /// GitLab: folder (or comma list of files) holding the approve jobs' records (gitlab-jobs mode).
    #[arg(long)]
    pub approvals_dir: Option<String>,
    /// GitLab: with a token, where the request goes — issue (default) or merge-request (a note on the pipeline's merge request).
    #[arg(long)]
    pub request_in: Option<String>,
    /// GitHub App ID (or client ID): use its installation tokens, refreshed before their 1-hour expiry, instead of `secret`.
    #[arg(long)]
    pub app_id: Option<String>,
    /// The GitHub App's private key (PEM as downloaded; literal \n escapes accepted).
    #[arg(long)]
    pub app_private_key: Option<String>,
    /// The GitHub App's installation ID (default: looked up on the repository).
    #[arg(long)]
    pub app_installation_id: Option<String>,
    /// Break glass: comma list of rules of the policy to switch off for this run — after, windows, freezes (also GitLab's deploy freezes), wait. Needs skip-reason.
    #[arg(long)]
    pub skip_rules: Option<String>,
    /// Why skip-rules is used (one line, required with it); recorded in the summary, the request and the outputs.
    #[arg(long)]
    pub skip_reason: Option<String>,
    /// Offline preview: print the request that would be opened and how each rule stands; no token, no API.
    #[arg(long)]
    pub dry_run: bool,
}
