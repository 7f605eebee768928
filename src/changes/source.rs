//! Which files changed: the comparison each event calls for, as paths-filter makes it,
//! with its known gaps closed (merge commits, force pushes, pull requests over 3,000
//! files, GitLab pipelines, shallow clones deepened with the checkout's credentials).

use serde_json::Value;

use crate::error::{quote, Failure};
use crate::forge::github::GitHub;
use crate::git::{self, Change, Git, NULL_SHA};
use crate::platform::context::var;
use crate::platform::{Kind, Platform, RunContext};

/// The deepest `--depth`/`--deepen` git accepts (a C `int`): the bound of `initial-fetch-depth`.
pub const MAX_FETCH_DEPTH: u64 = i32::MAX as u64;

/// What the runner says about the triggering event.
#[derive(Debug, Clone, Default)]
pub struct EventContext {
    /// GitHub event name (`push`, `pull_request`, ...); GitLab pipelines are mapped onto
    /// `push` / `pull_request` / their own source name.
    pub event_name: Option<String>,
    pub payload: Value,
    /// The full ref the run is for (`refs/heads/x`, `refs/tags/v1`).
    pub git_ref: Option<String>,
    pub default_branch: Option<String>,
    /// `owner/name`.
    pub repository: Option<String>,
    pub api_url: String,
}

impl EventContext {
    /// The event as the run context gives it (GitHub event JSON, GitLab pipeline
    /// variables mapped onto GitHub's event names).
    pub fn from_platform(platform: &Platform) -> Result<EventContext, Failure> {
        let ctx = platform.context();
        if platform.kind == Kind::Gitlab {
            return Ok(Self::from_gitlab(&ctx));
        }
        Ok(EventContext {
            event_name: ctx.event_name.clone(),
            payload: ctx.event.clone(),
            git_ref: ctx.git_ref.clone(),
            default_branch: ctx.default_branch.clone(),
            repository: ctx.repository.clone(),
            api_url: ctx
                .api_url
                .clone()
                .unwrap_or_else(|| "https://api.github.com".to_string()),
        })
    }

    fn from_gitlab(ctx: &RunContext) -> EventContext {
        let source = ctx.event_name.as_deref().unwrap_or("push");
        let (event_name, payload) = match source {
            "merge_request_event" => (
                "pull_request",
                serde_json::json!({"pull_request": {"base": {"sha": ctx.mr_diff_base_sha}}}),
            ),
            "push" if ctx.commit_tag.is_none() => {
                ("push", serde_json::json!({"before": ctx.before_sha}))
            }
            other => (other, Value::Null),
        };
        let git_ref = ctx
            .commit_tag
            .as_ref()
            .map(|t| format!("refs/tags/{t}"))
            .or_else(|| {
                ctx.mr_source_branch
                    .as_ref()
                    .or(ctx.commit_branch.as_ref())
                    .or(ctx.ref_name.as_ref())
                    .map(|b| format!("refs/heads/{b}"))
            });
        EventContext {
            event_name: Some(event_name.to_string()),
            payload,
            git_ref,
            default_branch: ctx.default_branch.clone(),
            repository: ctx.repository.clone(),
            api_url: ctx.api_url.clone().unwrap_or_default(),
        }
    }

    fn is_pull_request(&self) -> bool {
        matches!(
            self.event_name.as_deref(),
            Some(
                "pull_request"
                    | "pull_request_review"
                    | "pull_request_review_comment"
                    | "pull_request_target"
            )
        )
    }

    fn str_at(&self, pointer: &str) -> Option<String> {
        match self.payload.pointer(pointer)? {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }
}

/// The comparison settings from the inputs.
#[derive(Debug, Clone, Default)]
pub struct SourceOptions {
    pub base: Option<String>,
    pub git_ref: Option<String>,
    pub compare_to: Option<String>,
    pub fetch_depth: u32,
    pub token: Option<String>,
    pub use_api: bool,
    pub renames: bool,
}

/// The changed files and how they were found.
#[derive(Debug, Clone, Default)]
pub struct Changeset {
    pub files: Vec<Change>,
    /// What was compared, for logs and the summary (`a1b2c3..d4e5f6`, `worktree`, ...).
    pub comparison: String,
    /// The revision the files changed from (the merge-base of a three-dot diff), when it is
    /// a local revision: where the pipeline model's earlier version is read.
    pub base: Option<String>,
}

/// Finds the changed files for this event and these options.
pub fn changed_files(
    git: &Git,
    ctx: &EventContext,
    opts: &SourceOptions,
    platform: &mut Platform,
) -> Result<Changeset, Failure> {
    let mut finder = Finder {
        git,
        ctx,
        opts,
        platform,
        branch: None,
    };
    finder.run()
}

struct Finder<'a> {
    git: &'a Git,
    ctx: &'a EventContext,
    opts: &'a SourceOptions,
    platform: &'a mut Platform,
    /// The checked-out branch, from the first git call.
    branch: Option<String>,
}

impl Finder<'_> {
    fn run(&mut self) -> Result<Changeset, Failure> {
        let opts = self.opts;
        let ctx = self.ctx;
        let (is_repo, branch) = self.git.probe();
        self.branch = branch;
        if !is_repo {
            if ctx.is_pull_request() && opts.token.is_some() {
                self.platform.info(
                    "No git repository here: asking the GitHub API for the pull request's files",
                );
                return self.api_files().map(|(c, _)| c);
            }
            return Err(Failure::input(
                "working-directory",
                format!(
                    "{} is not inside a git repository (check out the repository first, e.g. with actions/checkout)",
                    quote(&self.git.dir().display().to_string())
                ),
            ));
        }
        if opts.base.as_deref() == Some("HEAD") {
            if opts.git_ref.is_some() {
                self.platform
                    .warning("'ref' input parameter is ignored when 'base' is set to HEAD");
            }
            let files = self.git.diff_worktree(opts.renames)?;
            return Ok(Changeset {
                files,
                comparison: "HEAD (uncommitted changes)".into(),
                base: Some("HEAD".into()),
            });
        }
        if let Some(target) = &opts.compare_to {
            let head = self.head_rev(opts.git_ref.as_deref().unwrap_or("HEAD"), "ref")?;
            let base = self.resolve_or_fetch(target, "compare-to")?;
            return self.since_merge_base(&base, &head);
        }
        if ctx.is_pull_request() {
            return self.pull_request();
        }
        if ctx.event_name.as_deref() == Some("merge_group") {
            let base = opts
                .base
                .clone()
                .or_else(|| ctx.str_at("/merge_group/base_sha"));
            let head = opts
                .git_ref
                .clone()
                .or_else(|| ctx.str_at("/merge_group/head_sha"));
            if let (Some(base), Some(head)) = (base, head) {
                let base = self.resolve_or_fetch(&base, "base")?;
                let head = self.head_rev(&head, "ref")?;
                return self.two_dot(&base, &head);
            }
        }
        self.generic()
    }

    /// pull_request* events: the REST list when asked for, else git (three-dot, or the
    /// cheap two-dot when HEAD is GitHub's merge commit on top of the base).
    fn pull_request(&mut self) -> Result<Changeset, Failure> {
        let opts = self.opts;
        let ctx = self.ctx;
        if opts.git_ref.is_some() {
            self.platform.warning("'ref' input parameter is ignored when the action is triggered by a pull request event");
        }
        if opts.use_api && opts.token.is_some() {
            let (changeset, truncated) = self.api_files()?;
            if !truncated {
                return Ok(changeset);
            }
            self.platform.warning(
                "The pull request has 3,000 files or more, the most the GitHub API lists: using git for the complete list",
            );
        }
        if ctx.event_name.as_deref() == Some("pull_request_target") && opts.base.is_none() {
            if opts.token.is_some() {
                return self.api_files().map(|(c, _)| c);
            }
            return Err(Failure::input(
                "token",
                "'token' input parameter is required if action is triggered by 'pull_request_target' event",
            ));
        }
        let base_name = opts
            .base
            .clone()
            .or_else(|| ctx.str_at("/pull_request/base/sha"))
            .or_else(|| ctx.default_branch.clone())
            .ok_or_else(|| {
                Failure::input(
                    "base",
                    "no base to compare with: the event has no pull_request.base.sha; set 'base'",
                )
            })?;
        let base = match self.resolve_or_fetch(&base_name, "base") {
            Ok(b) => b,
            Err(err) if opts.token.is_some() && !self.git.has_origin() => {
                self.platform
                    .warning(&format!("{err}; asking the GitHub API instead"));
                return self.api_files().map(|(c, _)| c);
            }
            Err(err) => return Err(err),
        };
        let base_sha = self.git.commit_sha(&base).unwrap_or_default();
        let first_parent = self.git.commit_sha("HEAD^1");
        if first_parent.as_deref() == Some(base_sha.as_str()) {
            return self.two_dot(&base, "HEAD");
        }
        self.since_merge_base(&base, "HEAD")
    }

    /// push, tags, schedule, workflow_dispatch and the rest (paths-filter's git path).
    fn generic(&mut self) -> Result<Changeset, Failure> {
        let opts = self.opts;
        let ctx = self.ctx;
        let current = self.branch.clone().or_else(|| self.git.detached_ref());
        let head_name = opts
            .git_ref
            .clone()
            .or_else(|| ctx.git_ref.clone())
            .or_else(|| current.clone())
            .map(|r| git::short_name(&r).to_string())
            .ok_or_else(|| {
                Failure::input(
                    "ref",
                    "This action requires 'head' input to be configured, 'ref' to be set in the event payload or branch/tag checked out in current git repository",
                )
            })?;
        let default_branch = ctx
            .default_branch
            .clone()
            .or_else(|| self.origin_default_branch());
        let base_name = opts
            .base
            .clone()
            .or_else(|| default_branch.clone())
            .map(|b| git::short_name(&b).to_string())
            .ok_or_else(|| {
                Failure::input(
                    "base",
                    "This action requires 'base' input to be configured or 'repository.default_branch' to be set in the event payload",
                )
            })?;
        let head_is_checked_out =
            current.as_deref().map(git::short_name) == Some(head_name.as_str());
        let head = if head_is_checked_out {
            "HEAD".to_string()
        } else {
            self.head_rev(&head_name, "ref")?
        };

        if git::is_sha(&base_name) || base_name == head_name {
            let before = if git::is_sha(&base_name) {
                Some(base_name.clone())
            } else {
                ctx.str_at("/before")
            };
            let Some(before) = before else {
                self.platform.warning("'before' field is missing in event payload - changes will be detected from last commit");
                if !head_is_checked_out {
                    self.platform.warning(&format!(
                        "Ref {head_name} is not checked out - results might be incorrect!"
                    ));
                }
                let files = self.git.last_commit(opts.renames)?;
                return Ok(Changeset {
                    files,
                    comparison: "last commit".into(),
                    base: Some("HEAD^1".into()),
                });
            };
            if before == NULL_SHA {
                return self.first_push(&head, &head_name, &base_name, default_branch.as_deref());
            }
            // The common case first: both commits are here (one git call).
            if let Ok(files) = self.git.diff(&before, &head, false, opts.renames) {
                let comparison = format!("{}..{}", short(&before), short(&head));
                return Ok(Changeset {
                    files,
                    comparison,
                    base: Some(before),
                });
            }
            let _ = self.fetch_commit(&before);
            if self.git.commit_sha(&before).is_none() {
                if git::is_sha(&base_name) && opts.base.is_some() {
                    return Err(Failure::input(
                        "base",
                        format!(
                            "unknown commit {}: not in this repository or its origin",
                            quote(&before)
                        ),
                    ));
                }
                self.platform.warning(&format!(
                    "The previous commit {before} cannot be found (a force push?): comparing with the default branch instead"
                ));
                return self.first_push(&head, &head_name, &base_name, default_branch.as_deref());
            }
            return self.two_dot(&before, &head);
        }

        self.platform.info(&format!(
            "Changes will be detected between {base_name} and {head_name}"
        ));
        let base = self.resolve_or_fetch(&base_name, "base")?;
        self.since_merge_base(&base, &head)
    }

    /// The first push of a branch: against the default branch, or everything as added.
    fn first_push(
        &mut self,
        head: &str,
        head_name: &str,
        base_name: &str,
        default_branch: Option<&str>,
    ) -> Result<Changeset, Failure> {
        match default_branch {
            Some(default) if base_name != default && head_name != default => {
                self.platform.info(&format!(
                    "First push of a branch detected - changes will be detected against the default branch {default}"
                ));
                let base = self.resolve_or_fetch(default, "base")?;
                self.since_merge_base(&base, head)
            }
            _ => {
                self.platform
                    .info("Initial push detected - all files will be listed as added");
                let files = self.git.all_files_added()?;
                Ok(Changeset {
                    files,
                    comparison: "initial push (all files)".into(),
                    base: None,
                })
            }
        }
    }

    fn two_dot(&mut self, base: &str, head: &str) -> Result<Changeset, Failure> {
        let files = self.git.diff(base, head, false, self.opts.renames)?;
        Ok(Changeset {
            files,
            comparison: format!("{}..{}", short(base), short(head)),
            base: Some(base.to_string()),
        })
    }

    /// Three-dot diff from the merge-base, deepening a shallow clone until one is found;
    /// two-dot when the histories share nothing.
    fn since_merge_base(&mut self, base: &str, head: &str) -> Result<Changeset, Failure> {
        let Some(merge_base) = self.find_merge_base(base, head)? else {
            self.platform.warning(&format!(
                "No merge base found between {base} and {head} - comparing their trees directly"
            ));
            return self.two_dot(base, head);
        };
        let files = self.git.diff(base, head, true, self.opts.renames)?;
        Ok(Changeset {
            files,
            comparison: format!("{}...{}", short(base), short(head)),
            base: Some(merge_base),
        })
    }

    /// The merge-base of `base` and `head`. `Ok(None)` only when the histories are complete
    /// and share nothing; a shallow clone that cannot be deepened far enough is exit 1 (a
    /// tree diff there would report the base branch's own changes as this change's).
    fn find_merge_base(&mut self, base: &str, head: &str) -> Result<Option<String>, Failure> {
        if let Some(mb) = self.git.merge_base(base, head) {
            return Ok(Some(mb));
        }
        if !self.git.is_shallow() {
            return Ok(None);
        }
        let cannot = |why: String| {
            Failure::Operational(anyhow::anyhow!(
                "no merge base of {} and {} in this shallow clone, and {why}: check out more history (actions/checkout with `fetch-depth: 0`, GitLab `GIT_DEPTH: 0`, or `git fetch --unshallow`)",
                short(base),
                short(head)
            ))
        };
        if !self.git.has_origin() {
            return Err(cannot("there is no origin to fetch more from".into()));
        }
        let refspecs = [self.fetch_spec(base), self.fetch_spec(head)];
        let specs: Vec<&str> = refspecs.iter().flatten().map(String::as_str).collect();
        let mut depth = u64::from(self.opts.fetch_depth.max(1));
        self.platform
            .group("Deepening the shallow clone to find a merge base");
        let result = loop {
            let before = self.git.commit_count();
            let deepen = format!("--deepen={depth}");
            if let Err(e) = self.git.fetch(&[&deepen], &specs) {
                break Err(cannot(format!("fetching more from origin failed ({e:#})")));
            }
            if let Some(mb) = self.git.merge_base(base, head) {
                break Ok(Some(mb));
            }
            let after = self.git.commit_count();
            self.platform.info(&format!(
                "fetched {} more commit(s) (depth {depth})",
                after.saturating_sub(before)
            ));
            if after <= before || !self.git.is_shallow() {
                // No more history this way: one full fetch, then decide.
                let _ = self.git.fetch(&["--unshallow"], &specs);
                break match self.git.merge_base(base, head) {
                    Some(mb) => Ok(Some(mb)),
                    None if self.git.is_shallow() => Err(cannot(
                        "fetching the whole history from origin did not help".into(),
                    )),
                    None => Ok(None),
                };
            }
            depth = depth.saturating_mul(2).min(MAX_FETCH_DEPTH);
        };
        self.platform
            .end_group("Deepening the shallow clone to find a merge base");
        result
    }

    /// A refspec that fetches what `rev` names (a SHA as is, a branch into origin/*).
    fn fetch_spec(&self, rev: &str) -> Option<String> {
        if rev == "HEAD" {
            return self.git.commit_sha("HEAD");
        }
        if let Some(branch) = rev.strip_prefix("refs/remotes/origin/") {
            return Some(format!("+refs/heads/{branch}:refs/remotes/origin/{branch}"));
        }
        if rev.starts_with("refs/") {
            return Some(format!("+{rev}:{rev}"));
        }
        Some(rev.to_string())
    }

    fn fetch_commit(&mut self, sha: &str) -> anyhow::Result<()> {
        if !self.git.has_origin() {
            return Ok(());
        }
        let depth = format!("--depth={}", self.opts.fetch_depth.max(1));
        self.git.fetch(&[&depth], &[sha])
    }

    fn head_rev(&mut self, name: &str, input: &str) -> Result<String, Failure> {
        if name == "HEAD" {
            return Ok(name.to_string());
        }
        self.resolve_or_fetch(name, input)
    }

    /// Resolves a branch, tag or SHA, fetching it from origin when it is not here.
    fn resolve_or_fetch(&mut self, name: &str, input: &str) -> Result<String, Failure> {
        if let Some(rev) = self.git.resolve(name) {
            return Ok(rev);
        }
        if !self.git.has_origin() {
            return Err(Failure::input(
                input,
                format!("unknown ref {}: not a branch, tag or commit in this repository (and there is no origin to fetch from)", quote(name)),
            ));
        }
        let depth = format!("--depth={}", self.opts.fetch_depth.max(1));
        let attempts: Vec<String> = if git::is_sha(name) {
            vec![name.to_string()]
        } else {
            vec![
                format!("+refs/heads/{name}:refs/remotes/origin/{name}"),
                format!("+refs/tags/{name}:refs/tags/{name}"),
            ]
        };
        let mut last_error = None;
        for spec in &attempts {
            match self.git.fetch(&[&depth], &[spec]) {
                Ok(()) => {
                    if let Some(rev) = self.git.resolve(name) {
                        return Ok(rev);
                    }
                }
                Err(e) => last_error = Some(e),
            }
        }
        match last_error {
            Some(e) if !is_missing_ref(&e) => Err(Failure::Operational(
                e.context(format!("cannot fetch {} from origin", quote(name))),
            )),
            _ => Err(Failure::input(
                input,
                format!(
                    "unknown ref {}: not a branch, tag or commit SHA here or on origin",
                    quote(name)
                ),
            )),
        }
    }

    fn origin_default_branch(&self) -> Option<String> {
        let out = self
            .git
            .run(&["symbolic-ref", "--quiet", "refs/remotes/origin/HEAD"])
            .ok()?;
        let full = String::from_utf8_lossy(&out).trim().to_string();
        full.strip_prefix("refs/remotes/origin/")
            .map(str::to_string)
    }

    fn api_files(&mut self) -> Result<(Changeset, bool), Failure> {
        let ctx = self.ctx;
        let token = self.opts.token.clone().unwrap_or_default();
        let number = ctx
            .str_at("/pull_request/number")
            .or_else(|| ctx.str_at("/number"))
            .and_then(|n| n.parse::<u64>().ok())
            .ok_or_else(|| {
                Failure::input(var::EVENT_PATH, "the event has no pull_request.number")
            })?;
        let repo = ctx
            .repository
            .clone()
            .or_else(|| ctx.str_at("/repository/full_name"))
            .ok_or_else(|| {
                Failure::input(
                    var::GITHUB_REPOSITORY,
                    "the repository (owner/name) is not known",
                )
            })?;
        self.platform.group(&format!(
            "Fetching list of changed files for PR#{number} from Github API"
        ));
        let result =
            GitHub::new(&ctx.api_url, &token).pull_request_files(&repo, number, self.opts.renames);
        self.platform.end_group("api");
        let (files, truncated) = result.map_err(Failure::Operational)?;
        self.platform
            .info(&format!("Received {} files", files.len()));
        Ok((
            Changeset {
                files,
                comparison: format!("pull request #{number} (API)"),
                base: ctx
                    .str_at("/pull_request/base/sha")
                    .filter(|sha| self.git.commit_sha(sha).is_some()),
            },
            truncated,
        ))
    }
}

fn is_missing_ref(err: &anyhow::Error) -> bool {
    let text = format!("{err:#}");
    text.contains("couldn't find remote ref")
        || text.contains("not our ref")
        || text.contains("no such remote ref")
        || text.contains("unadvertised object")
        || text.contains("remote error: upload-pack")
}

fn short(rev: &str) -> String {
    let name = rev.strip_prefix("refs/remotes/").unwrap_or(rev);
    let name = git::short_name(name);
    if git::is_sha(name) {
        return name[..12].to_string();
    }
    name.to_string()
}
