//! The inputs of a notify run, read once and checked before anything is sent: which
//! targets, their settings (from inputs and from `notify.targets` in the config), who to
//! mention, and the flags. Every secret is registered with the platform (masked on GitHub,
//! redacted everywhere) the moment it is read.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::cli::notify::Args;
use crate::config::suggest;
use crate::error::{quote, Failure};
use crate::platform::context::var;
use crate::platform::inputs::boolean;
use crate::platform::{Kind, Platform};

use super::context::{DeployInputs, Status};
use super::layout::Person;
use super::secrets::add_url_secret;
use super::template::{self, Source};

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetKind {
    Slack,
    Teams,
    Webhook,
    GithubSummary,
    GithubComment,
    GithubStatus,
    GithubDeployment,
    GitlabNote,
    GitlabStatus,
}

impl TargetKind {
    pub const ALL: [TargetKind; 9] = [
        TargetKind::Slack,
        TargetKind::Teams,
        TargetKind::Webhook,
        TargetKind::GithubSummary,
        TargetKind::GithubComment,
        TargetKind::GithubStatus,
        TargetKind::GithubDeployment,
        TargetKind::GitlabNote,
        TargetKind::GitlabStatus,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TargetKind::Slack => "slack",
            TargetKind::Teams => "teams",
            TargetKind::Webhook => "webhook",
            TargetKind::GithubSummary => "github-summary",
            TargetKind::GithubComment => "github-comment",
            TargetKind::GithubStatus => "github-status",
            TargetKind::GithubDeployment => "github-deployment",
            TargetKind::GitlabNote => "gitlab-note",
            TargetKind::GitlabStatus => "gitlab-status",
        }
    }
}

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TargetKind {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        TargetKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or(())
    }
}

/// One target's settings, from the inputs or from `notify.targets.<name>`.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Slack bot token, GitHub token or GitLab token.
    pub token: Option<String>,
    /// GitLab only: the token is `CI_JOB_TOKEN`.
    pub job_token: bool,
    pub channel: Option<String>,
    /// Slack incoming webhook, Teams Workflows or generic webhook URL.
    pub url: Option<String>,
    /// Slack, GitHub or GitLab API base URL.
    pub api_url: Option<String>,
    /// HMAC key of the generic webhook.
    pub secret: Option<String>,
    /// Slack: the thread parent's ts, when a previous step output it.
    pub ts: Option<String>,
    pub template: Option<Source>,
    /// Statuses that mention people.
    pub mention_on: Vec<Status>,
    /// Commit-status label.
    pub context: Option<String>,
    /// GitHub `owner/name` or GitLab project id.
    pub project: Option<String>,
    pub deployment_id: Option<u64>,
    /// Where `url` came from, for messages: an input name, or `config` (`url_env`).
    pub url_input: String,
    /// Where `api_url` came from: an input or the platform variable.
    pub api_url_input: String,
}

/// A target to notify.
#[derive(Debug, Clone)]
pub struct Target {
    /// The name used in `targets` (a kind, or a name from the config).
    pub name: String,
    pub kind: TargetKind,
    pub settings: Settings,
    /// The input that asked for this target (`targets`, `config`, or the setting that
    /// implies it, such as `slack-token`): what a missing setting is blamed on.
    pub wanted_by: String,
}

/// A named target in `notify.targets` of the config (secrets by variable name).
#[derive(Debug, Clone, PartialEq)]
pub struct TargetConfig {
    pub kind: TargetKind,
    pub channel: Option<String>,
    pub token_env: Option<String>,
    pub url_env: Option<String>,
    pub secret_env: Option<String>,
    pub template: Option<String>,
    pub mention_on: Option<Vec<Status>>,
    pub context: Option<String>,
}

/// The `notify` section of the config.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NotifyConfig {
    /// Where the section came from, for messages.
    pub file: String,
    pub targets: Vec<(String, TargetConfig)>,
    /// Login → ids on the chat services.
    pub identities: Vec<(String, Person)>,
}

/// Everything a run needs, checked.
#[derive(Debug, Clone)]
pub struct Options {
    pub deploy: DeployInputs,
    pub targets: Vec<Target>,
    pub dry_run: bool,
    pub strict: bool,
    /// Logins to mention instead of whoever triggered the run.
    pub mention: Option<Vec<String>>,
    pub identities: Vec<(String, Person)>,
}

/// The notify request: the config's `notify` section, then every input, checked.
pub fn read(args: &Args, platform: &mut Platform) -> Result<Options, Failure> {
    let config = load_config(args, platform)?;
    resolve(args, platform, config.as_ref())
}

/// The `notify` section of the config: `config` when given, else `.shipgate.yml` in the
/// working directory or a parent, if there is one.
fn load_config(args: &Args, platform: &Platform) -> Result<Option<NotifyConfig>, Failure> {
    let Some(path) = platform.find_config(args.config.as_deref(), Path::new("."))? else {
        return Ok(None);
    };
    let config = crate::config::load(&path)?;
    Ok(Some(section(&config)))
}

/// Reads and checks every input. Secrets are registered first, so nothing printed after
/// (errors included) can show them.
pub fn resolve(
    args: &Args,
    platform: &mut Platform,
    config: Option<&NotifyConfig>,
) -> Result<Options, Failure> {
    let input = |p: &Platform, name: &str, flag: &Option<String>| p.input(name, flag.as_deref());

    // Secrets first.
    let Secrets {
        slack_token,
        slack_webhook,
        teams_url,
        webhook_url,
        webhook_secret,
        github_token,
        gitlab_token,
        job_token,
    } = secrets(args, platform, config);

    if platform.kind == Kind::Gitlab {
        let dotenv = input(platform, "dotenv", &args.dotenv)
            .unwrap_or_else(|| "shipgate-notify.env".to_string());
        platform.gitlab.dotenv = Some(dotenv.into());
        platform.gitlab.dotenv_prefix = "SHIPGATE_".to_string();
    }

    let deploy = deploy_inputs(args, platform);
    let dry_run = boolean("dry-run", input(platform, "dry-run", &args.dry_run))?;
    let strict = boolean("strict", input(platform, "strict", &args.strict))?;
    let mention_on = match input(platform, "mention-on", &args.mention_on) {
        Some(list) => statuses("mention-on", &split(&list))?,
        None => vec![Status::Failure],
    };
    let mention = input(platform, "mention", &args.mention).map(|m| split(&m));
    let load_template = |name: &str, value: Option<String>| -> Result<Option<Source>, Failure> {
        value.map(|v| template::load(name, name, &v)).transpose()
    };
    let comment_template = load_template(
        "comment-template",
        input(platform, "comment-template", &args.comment_template),
    )?;

    let kind = platform.kind;
    let forges = &platform.context.forges;
    let github_api = forges
        .github_api_url
        .clone()
        .unwrap_or_else(|| "https://api.github.com".to_string());
    let base = Settings {
        mention_on,
        ..Settings::default()
    };
    let from_inputs = |k: TargetKind| -> Result<Settings, Failure> {
        let mut s = base.clone();
        match k {
            TargetKind::Slack => {
                s.token = slack_token.clone();
                s.url = slack_webhook.clone();
                s.url_input = "slack-webhook-url".into();
                s.channel = input(platform, "slack-channel", &args.slack_channel);
                s.ts = input(platform, "slack-ts", &args.slack_ts);
                s.api_url = input(platform, "slack-api-url", &args.slack_api_url);
                s.api_url_input = "slack-api-url".into();
                s.template = load_template(
                    "slack-template",
                    input(platform, "slack-template", &args.slack_template),
                )?;
            }
            TargetKind::Teams => {
                s.url = teams_url.clone();
                s.url_input = "teams-webhook-url".into();
                s.template = load_template(
                    "teams-template",
                    input(platform, "teams-template", &args.teams_template),
                )?;
            }
            TargetKind::Webhook => {
                s.url = webhook_url.clone();
                s.url_input = "webhook-url".into();
                s.secret = webhook_secret.clone();
                s.template = load_template(
                    "webhook-template",
                    input(platform, "webhook-template", &args.webhook_template),
                )?;
            }
            TargetKind::GithubSummary
            | TargetKind::GithubComment
            | TargetKind::GithubStatus
            | TargetKind::GithubDeployment => {
                s.token = github_token.clone();
                s.api_url = Some(github_api.clone());
                s.api_url_input = var::GITHUB_API_URL.into();
                s.project = forges.github_repository.clone();
                s.context = input(platform, "status-context", &args.status_context);
                s.template = comment_template.clone();
                if let Some(id) = input(platform, "deployment-id", &args.deployment_id) {
                    s.deployment_id = Some(id.parse().map_err(|_| {
                        Failure::input(
                            "deployment-id",
                            format!("{} is not a deployment id", quote(&id)),
                        )
                    })?);
                }
            }
            TargetKind::GitlabNote | TargetKind::GitlabStatus => {
                s.token = gitlab_token.clone().or_else(|| job_token.clone());
                s.job_token = gitlab_token.is_none() && job_token.is_some();
                s.api_url = forges.gitlab_api_url.clone();
                s.api_url_input = var::GITLAB_API_URL.into();
                s.project = forges.gitlab_project_id.clone();
                s.context = input(platform, "status-context", &args.status_context);
                s.template = comment_template.clone();
            }
        }
        Ok(s)
    };

    let targets_given = input(platform, "targets", &args.targets);
    let wanted: Vec<String> = match &targets_given {
        Some(list) => split(list),
        None => {
            let mut names: Vec<String> = config
                .map(|c| c.targets.iter().map(|(n, _)| n.clone()).collect())
                .unwrap_or_default();
            let given = [
                (
                    TargetKind::Slack,
                    slack_token.is_some() || slack_webhook.is_some(),
                ),
                (TargetKind::Teams, teams_url.is_some()),
                (TargetKind::Webhook, webhook_url.is_some()),
                (TargetKind::GithubSummary, kind == Kind::Github),
            ];
            names.extend(
                given
                    .iter()
                    .filter(|(_, on)| *on)
                    .map(|(k, _)| k.name().to_string()),
            );
            names
        }
    };
    if wanted.is_empty() {
        return Err(Failure::input(
            "targets",
            "no target: give targets, or the settings of one (slack-token and slack-channel, slack-webhook-url, teams-webhook-url, webhook-url)",
        ));
    }
    let mut targets: Vec<Target> = Vec::new();
    for name in wanted {
        if targets.iter().any(|t| t.name == name) {
            continue;
        }
        let configured = config.and_then(|c| c.targets.iter().find(|(n, _)| *n == name));
        let wanted_by = match (&targets_given, configured, name.parse::<TargetKind>()) {
            (Some(_), _, _) => "targets",
            (None, Some(_), _) => "config",
            (None, None, Ok(TargetKind::Slack)) if slack_token.is_some() => "slack-token",
            (None, None, Ok(TargetKind::Slack)) => "slack-webhook-url",
            (None, None, Ok(TargetKind::Teams)) => "teams-webhook-url",
            (None, None, Ok(TargetKind::Webhook)) => "webhook-url",
            (None, None, _) => "targets",
        }
        .to_string();
        let target = match (configured, name.parse::<TargetKind>()) {
            (Some((_, def)), _) => {
                let cfg = config.map(|c| c.file.as_str()).unwrap_or("config");
                Target {
                    wanted_by,
                    ..from_config(&name, def, cfg, platform, &from_inputs)?
                }
            }
            (None, Ok(k)) => Target {
                name: name.clone(),
                kind: k,
                settings: from_inputs(k)?,
                wanted_by,
            },
            (None, Err(())) => return Err(unknown_target(&name, config)),
        };
        check_target(&target, platform)?;
        targets.push(target);
    }

    Ok(Options {
        deploy,
        targets,
        dry_run: dry_run.unwrap_or(false),
        strict: strict.unwrap_or(false),
        mention,
        identities: config.map(|c| c.identities.clone()).unwrap_or_default(),
    })
}

/// The secrets among the inputs (and the runner's tokens), each registered with the
/// platform the moment it is read, with the config's own.
struct Secrets {
    slack_token: Option<String>,
    slack_webhook: Option<String>,
    teams_url: Option<String>,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
    github_token: Option<String>,
    gitlab_token: Option<String>,
    job_token: Option<String>,
}

/// Reads the [`Secrets`] and registers each one.
fn secrets(args: &Args, platform: &mut Platform, config: Option<&NotifyConfig>) -> Secrets {
    let input = |p: &Platform, name: &str, flag: &Option<String>| p.input(name, flag.as_deref());
    let slack_token = input(platform, "slack-token", &args.slack_token);
    let slack_webhook = input(platform, "slack-webhook-url", &args.slack_webhook_url);
    let teams_url = input(platform, "teams-webhook-url", &args.teams_webhook_url);
    let webhook_url = input(platform, "webhook-url", &args.webhook_url);
    let webhook_secret = input(platform, "webhook-secret", &args.webhook_secret);
    // The one token story of every verb (forge/auth.rs): the input, else the runner's token.
    let github_token_input = input(platform, "github-token", &args.github_token);
    let github_token = crate::forge::auth::github_token(github_token_input.as_deref(), platform);
    let gitlab_token_input = input(platform, "gitlab-token", &args.gitlab_token);
    let (gitlab_token, job_token) =
        match crate::forge::auth::gitlab(gitlab_token_input.as_deref(), true, platform) {
            Some(crate::forge::gitlab::Auth::Token(t)) => (Some(t), None),
            Some(crate::forge::gitlab::Auth::Job(t)) => (None, Some(t)),
            None => (None, None),
        };
    // A job token present beside a GitLab token is not used, but is masked all the same.
    if let Some(job) = platform.context.job_token.get().map(str::to_string) {
        platform.add_secret(&job);
    }
    for secret in [&slack_token, &webhook_secret].into_iter().flatten() {
        platform.add_secret(secret);
    }
    for url in [&slack_webhook, &teams_url, &webhook_url]
        .into_iter()
        .flatten()
    {
        add_url_secret(platform, url);
    }
    if let Some(cfg) = config {
        register_config_secrets(cfg, platform);
    }

    Secrets {
        slack_token,
        slack_webhook,
        teams_url,
        webhook_url,
        webhook_secret,
        github_token,
        gitlab_token,
        job_token,
    }
}

/// What the deployment is: status, environment, version and the rest, as given.
fn deploy_inputs(args: &Args, platform: &Platform) -> DeployInputs {
    let input = |p: &Platform, name: &str, flag: &Option<String>| p.input(name, flag.as_deref());
    DeployInputs {
        status: input(platform, "status", &args.status),
        environment: input(platform, "environment", &args.environment),
        environment_url: input(platform, "environment-url", &args.environment_url),
        version: input(platform, "version", &args.version),
        components: input(platform, "components", &args.components),
        approvers: input(platform, "approvers", &args.approvers),
        message: input(platform, "message", &args.message),
        started_at: input(platform, "started-at", &args.started_at),
        thread_key: input(platform, "thread-key", &args.thread_key),
        sha: input(platform, "sha", &args.sha),
        pr_number: input(platform, "pr-number", &args.pr_number),
    }
}

/// `targets` names a target that is neither a kind nor in the config: the known names,
/// and the nearest as a hint.
fn unknown_target(name: &str, config: Option<&NotifyConfig>) -> Failure {
    let mut known: Vec<String> = TargetKind::ALL
        .iter()
        .map(|k| k.name().to_string())
        .collect();
    if let Some(c) = config {
        known.extend(c.targets.iter().map(|(n, _)| n.clone()));
    }
    let hint = suggest(name, known.iter().map(String::as_str))
        .map(|s| format!("; did you mean {}?", quote(s)))
        .unwrap_or_default();
    // Kinds as they are; names from the config are user text.
    let listed: Vec<String> = known
        .iter()
        .map(|k| match k.parse::<TargetKind>() {
            Ok(_) => k.clone(),
            Err(()) => quote(k),
        })
        .collect();
    Failure::input(
        "targets",
        format!(
            "unknown target {} (expected one of: {}){hint}",
            quote(name),
            crate::error::one_line(&listed.join(", "))
        ),
    )
}

/// A configured target: the config's settings, with the inputs filling what it leaves out.
fn from_config(
    name: &str,
    def: &TargetConfig,
    file: &str,
    platform: &Platform,
    from_inputs: &dyn Fn(TargetKind) -> Result<Settings, Failure>,
) -> Result<Target, Failure> {
    let at = |key: &str| format!("{file}: notify.targets.{name}.{key}");
    let kind = def.kind;
    let mut s = from_inputs(kind)?;
    let secret = |key: &str, var: &Option<String>| -> Result<Option<String>, Failure> {
        match var {
            Some(v) => platform
                .env
                .get(v)
                .map(|x| Some(x.to_string()))
                .ok_or_else(|| {
                    Failure::input(
                        "config",
                        format!("{}: the variable {v} is not set (or empty)", at(key)),
                    )
                }),
            None => Ok(None),
        }
    };
    if let Some(t) = secret("token-env", &def.token_env)? {
        s.token = Some(t);
        s.job_token = false;
    }
    if let Some(u) = secret("url-env", &def.url_env)? {
        s.url = Some(u);
        s.url_input = "config".into();
        if kind == TargetKind::Slack && def.token_env.is_none() {
            // A configured webhook URL means this target is the webhook, not the inputs' bot.
            s.token = None;
        }
    }
    if let Some(k) = secret("secret-env", &def.secret_env)? {
        s.secret = Some(k);
    }
    if let Some(c) = &def.channel {
        s.channel = Some(c.clone());
        s.ts = None;
    }
    if let Some(c) = &def.context {
        s.context = Some(c.clone());
    }
    if let Some(t) = &def.template {
        s.template = Some(template::load("config", &at("template"), t)?);
    }
    if let Some(list) = &def.mention_on {
        s.mention_on = list.clone();
    }
    Ok(Target {
        name: name.to_string(),
        kind,
        settings: s,
        wanted_by: "config".to_string(),
    })
}

/// What each kind needs; missing settings are input errors (nothing is sent).
fn check_target(t: &Target, platform: &Platform) -> Result<(), Failure> {
    let s = &t.settings;
    let need = |what: &str| {
        Failure::input(
            t.wanted_by.clone(),
            format!("target {} ({}) needs {what}", quote(&t.name), t.kind),
        )
    };
    if let Some(url) = &s.url {
        check_url(t, &s.url_input, url)?;
    }
    if let Some(url) = &s.api_url {
        check_url(t, &s.api_url_input, url)?;
    }
    match t.kind {
        TargetKind::Slack => match (&s.token, &s.channel, &s.url) {
            (Some(_), Some(_), _) | (None, _, Some(_)) => Ok(()),
            (Some(_), None, _) => Err(need("slack-channel (a channel ID such as C0123456789)")),
            (None, _, None) => Err(need("slack-token and slack-channel, or slack-webhook-url")),
        },
        TargetKind::Teams if s.url.is_none() => Err(need("teams-webhook-url")),
        TargetKind::Webhook if s.url.is_none() => Err(need("webhook-url")),
        TargetKind::GithubComment | TargetKind::GithubStatus | TargetKind::GithubDeployment => {
            if s.token.is_none() {
                return Err(need("github-token (or GITHUB_TOKEN)"));
            }
            if s.project.is_none() {
                return Err(need(var::GITHUB_REPOSITORY));
            }
            Ok(())
        }
        TargetKind::GitlabNote | TargetKind::GitlabStatus => {
            if s.token.is_none() {
                return Err(need("gitlab-token (or GITLAB_TOKEN / CI_JOB_TOKEN)"));
            }
            if s.api_url.is_none() || s.project.is_none() {
                return Err(need(&format!(
                    "{} and {} (set in GitLab jobs)",
                    var::GITLAB_API_URL,
                    var::GITLAB_PROJECT_ID
                )));
            }
            Ok(())
        }
        TargetKind::GithubSummary if platform.kind == Kind::Gitlab => {
            Err(need("GitHub Actions (on GitLab use gitlab-note)"))
        }
        _ => Ok(()),
    }
}

/// An http(s) URL with a host, blamed on the input it came from. The message never repeats
/// the URL or any part of it (it may be a secret).
fn check_url(t: &Target, input: &str, url: &str) -> Result<(), Failure> {
    let problem = match reqwest::Url::parse(url) {
        Ok(u) if !matches!(u.scheme(), "https" | "http") => "is not an http(s) URL",
        Ok(u) if u.host_str().is_none_or(str::is_empty) => "has no host",
        Ok(_) => return Ok(()),
        Err(_) => "is not a URL",
    };
    let input = if input.is_empty() { "config" } else { input };
    let what = if input == "config" {
        format!(
            "the URL of target {} (its url_env variable) {problem}",
            quote(&t.name)
        )
    } else {
        format!("{problem} (target {}, value not shown)", quote(&t.name))
    };
    Err(Failure::input(input, crate::error::one_line(&what)))
}

/// The `notify` section of a loaded config file.
pub fn section(config: &crate::config::Config) -> NotifyConfig {
    use crate::config::schema::{NotifyKind, NotifyStatus};
    let kind = |k: NotifyKind| match k {
        NotifyKind::Slack => TargetKind::Slack,
        NotifyKind::Teams => TargetKind::Teams,
        NotifyKind::Webhook => TargetKind::Webhook,
        NotifyKind::GithubSummary => TargetKind::GithubSummary,
        NotifyKind::GithubComment => TargetKind::GithubComment,
        NotifyKind::GithubStatus => TargetKind::GithubStatus,
        NotifyKind::GithubDeployment => TargetKind::GithubDeployment,
        NotifyKind::GitlabNote => TargetKind::GitlabNote,
        NotifyKind::GitlabStatus => TargetKind::GitlabStatus,
    };
    let status = |s: &NotifyStatus| match s {
        NotifyStatus::Success => Status::Success,
        NotifyStatus::Failure => Status::Failure,
        NotifyStatus::Cancelled => Status::Cancelled,
        NotifyStatus::Started => Status::Started,
        NotifyStatus::Waiting => Status::Waiting,
        NotifyStatus::Skipped => Status::Skipped,
    };
    let def = config.notify();
    NotifyConfig {
        file: config.file.clone(),
        targets: def
            .targets
            .0
            .iter()
            .map(|(name, t)| {
                let target = TargetConfig {
                    kind: kind(t.kind),
                    channel: t.channel.clone(),
                    token_env: t.token_env.as_ref().map(|v| v.0.clone()),
                    url_env: t.url_env.as_ref().map(|v| v.0.clone()),
                    secret_env: t.secret_env.as_ref().map(|v| v.0.clone()),
                    template: t.template.clone(),
                    mention_on: t
                        .mention_on
                        .as_ref()
                        .map(|l| l.iter().map(status).collect()),
                    context: t.context.clone(),
                };
                (name.clone(), target)
            })
            .collect(),
        identities: def
            .identities
            .0
            .iter()
            .map(|(login, i)| {
                let person = Person {
                    login: login.clone(),
                    slack: i.slack.clone(),
                    teams: i.teams.clone(),
                    name: i.name.clone(),
                };
                (login.clone(), person)
            })
            .collect(),
    }
}

fn register_config_secrets(cfg: &NotifyConfig, platform: &mut Platform) {
    for (_, t) in &cfg.targets {
        for var in [&t.token_env, &t.secret_env].into_iter().flatten() {
            if let Some(v) = platform.env.get(var).map(str::to_string) {
                platform.add_secret(&v);
            }
        }
        if let Some(v) = t
            .url_env
            .as_ref()
            .and_then(|var| platform.env.get(var))
            .map(str::to_string)
        {
            add_url_secret(platform, &v);
        }
    }
}

/// Splits a list input on commas, newlines and spaces.
fn split(text: &str) -> Vec<String> {
    text.split([',', '\n', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn statuses(input: &str, words: &[String]) -> Result<Vec<Status>, Failure> {
    words
        .iter()
        .map(|w| w.parse::<Status>().map_err(|e| Failure::input(input, e)))
        .collect()
}

/// The person for `login` from the identity map (just the login when unmapped).
pub fn person(identities: &[(String, Person)], login: &str) -> Person {
    identities
        .iter()
        .find(|(l, _)| l.eq_ignore_ascii_case(login))
        .map(|(l, p)| Person {
            login: l.clone(),
            ..p.clone()
        })
        .unwrap_or_else(|| Person {
            login: login.to_string(),
            ..Person::default()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_kinds_round_trip() {
        for k in TargetKind::ALL {
            assert_eq!(k.name().parse::<TargetKind>(), Ok(k));
        }
        assert!("slak".parse::<TargetKind>().is_err());
    }

    #[test]
    fn lists_split_on_commas_newlines_and_spaces() {
        assert_eq!(
            split("slack, teams\nwebhook  x"),
            ["slack", "teams", "webhook", "x"]
        );
    }

    #[test]
    fn identities_match_logins_case_insensitively() {
        let ids = vec![(
            "OctoCat".to_string(),
            Person {
                slack: Some("U1".into()),
                ..Person::default()
            },
        )];
        assert_eq!(person(&ids, "octocat").slack.as_deref(), Some("U1"));
        assert_eq!(person(&ids, "other").slack, None);
    }
}
