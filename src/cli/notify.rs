//! `shipgate notify` flags. Every flag is also read from `INPUT_<NAME>` (the GitHub
//! runner's form, hyphens kept) when not given; a flag wins over the variable.

use clap::Args as ClapArgs;

pub const AFTER_HELP: &str = "Every option is also read from INPUT_<NAME> (e.g. INPUT_SLACK-CHANNEL, or INPUT_SLACK_CHANNEL on GitLab); a flag wins.

Targets (comma list; default: every target whose settings are given, every target named in
.shipgate.yml, and github-summary on GitHub):
  slack              Slack Web API (slack-token + slack-channel; threads with thread-key)
                     or an incoming webhook (slack-webhook-url)
  teams              Microsoft Teams Workflows webhook (Adaptive Card)
  webhook            any JSON endpoint (webhook-url; HMAC-SHA256 signature with webhook-secret)
  github-summary     the job summary
  github-comment     a sticky pull-request comment, found again by a hidden marker
  github-status      a commit status
  github-deployment  a deployment status (the deployment is found or created)
  gitlab-note        a sticky merge-request note
  gitlab-status      a commit status
  <name>             a target defined under notify.targets in .shipgate.yml

Templates (minijinja) see deploy.*, ci.*, change.*, mentions, mention_text and target.*.
JSON templates insert every value as JSON, quotes included: write {{ deploy.title }},
not \"{{ deploy.title }}\". Undefined names are errors.

Outputs: results (JSON), ok, thread-key, slack-ts, slack-channel, github-comment-id,
github-comment-url, github-deployment-id, gitlab-note-id.

Exit codes:
  0  sent, or a target failed and only a warning was printed (the default)
  1  a target failed and strict is true
  2  bad input, configuration or template (nothing was sent)";

#[derive(Debug, Clone, Default, ClapArgs)]
pub struct Args {
    /// Where to send: a comma list of target kinds (slack, teams, webhook, github-summary, github-comment, github-status, github-deployment, gitlab-note, gitlab-status) or names from .shipgate.yml.
    #[arg(long)]
    pub targets: Option<String>,
    /// The deployment's state: success, failure, cancelled, started, waiting or skipped (GitHub's job.status works).
    #[arg(long)]
    pub status: Option<String>,
    /// The environment deployed to (default on GitLab: CI_ENVIRONMENT_NAME).
    #[arg(long)]
    pub environment: Option<String>,
    /// The environment's URL (default on GitLab: CI_ENVIRONMENT_URL).
    #[arg(long)]
    pub environment_url: Option<String>,
    /// The version deployed (a tag, a build number).
    #[arg(long)]
    pub version: Option<String>,
    /// Components deployed: a JSON array (e.g. detect-changes' `changes` or plan's `components` output) or a comma list.
    #[arg(long)]
    pub components: Option<String>,
    /// Who approved: the gate's approvers output as it is (JSON objects with a login), a JSON array of logins, or a comma list.
    #[arg(long)]
    pub approvers: Option<String>,
    /// Free text shown in the message.
    #[arg(long)]
    pub message: Option<String>,
    /// When the deployment started (RFC 3339 or Unix seconds), for the duration.
    #[arg(long)]
    pub started_at: Option<String>,
    /// One message per key: the first call posts, later calls (other jobs, other workflows) update it and reply in its thread.
    #[arg(long)]
    pub thread_key: Option<String>,
    /// Logins to mention when the status is in mention-on (default: who triggered the run).
    #[arg(long)]
    pub mention: Option<String>,
    /// Comma list of statuses that mention people (default: failure).
    #[arg(long)]
    pub mention_on: Option<String>,
    /// The commit to report on (default: the run's commit; on pull requests the head commit).
    #[arg(long)]
    pub sha: Option<String>,
    /// The pull request (GitHub) or merge request IID (GitLab) to comment on (default: the run's).
    #[arg(long)]
    pub pr_number: Option<String>,
    /// Render every payload (secrets redacted) to stdout and the job summary; send nothing.
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub dry_run: Option<String>,
    /// Exit 1 when a target fails (default: warn and exit 0).
    #[arg(long, num_args = 0..=1, default_missing_value = "true")]
    pub strict: Option<String>,
    /// The pipeline model with notify.targets and notify.identities (default: .shipgate.yml if present).
    #[arg(long)]
    pub config: Option<String>,
    /// Slack bot token (chat:write; channels:history to find a thread again by its key).
    #[arg(long)]
    pub slack_token: Option<String>,
    /// Slack channel ID (an ID, not a name, to find threads again).
    #[arg(long)]
    pub slack_channel: Option<String>,
    /// Slack incoming-webhook URL (no updates or thread recovery; use a bot token for those).
    #[arg(long)]
    pub slack_webhook_url: Option<String>,
    /// The thread's parent message (the slack-ts output of an earlier call): skips the search.
    #[arg(long)]
    pub slack_ts: Option<String>,
    /// A minijinja JSON template (inline or a file) for the Slack message.
    #[arg(long)]
    pub slack_template: Option<String>,
    /// Slack Web API base URL.
    #[arg(long)]
    pub slack_api_url: Option<String>,
    /// Microsoft Teams Workflows webhook URL.
    #[arg(long)]
    pub teams_webhook_url: Option<String>,
    /// A minijinja JSON template (inline or a file) for the Adaptive Card (the content, or the whole envelope).
    #[arg(long)]
    pub teams_template: Option<String>,
    /// A URL that receives the notification as JSON.
    #[arg(long)]
    pub webhook_url: Option<String>,
    /// Signs webhook bodies: header X-Shipgate-Signature-256: sha256=<HMAC-SHA256 hex>.
    #[arg(long)]
    pub webhook_secret: Option<String>,
    /// A minijinja JSON template (inline or a file) for the webhook body.
    #[arg(long)]
    pub webhook_template: Option<String>,
    /// GitHub token (pull-requests: write for comments, statuses: write, deployments: write).
    #[arg(long)]
    pub github_token: Option<String>,
    /// Label of the commit status (default: shipgate/<environment> or shipgate/notify).
    #[arg(long)]
    pub status_context: Option<String>,
    /// The GitHub deployment to add a status to (default: the newest for the commit and environment, else a new one).
    #[arg(long)]
    pub deployment_id: Option<String>,
    /// A minijinja Markdown template (inline or a file) for comments, notes and the job summary.
    #[arg(long)]
    pub comment_template: Option<String>,
    /// GitLab: path of the dotenv report with the outputs (default shipgate-notify.env).
    #[arg(long)]
    pub dotenv: Option<String>,
    /// GitLab: access token with the api scope (default: GITLAB_TOKEN, else CI_JOB_TOKEN, which cannot write notes).
    #[arg(long)]
    pub gitlab_token: Option<String>,
}
