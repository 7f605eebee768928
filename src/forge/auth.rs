//! One token story for every verb.
//!
//! GitHub: a GitHub App when `app-id` and `app-private-key` are given (its installation
//! tokens are refreshed before they expire; the action documents it as used "instead of
//! secret"), else the explicit secret input, else `GITHUB_TOKEN`. GitLab: the explicit
//! secret, else `GITLAB_TOKEN`, else `CI_JOB_TOKEN` where the endpoint takes it.
//!
//! Every token is registered with [`Platform::add_secret`] the moment it is known (masked in
//! the log, redacted from every message); App keys part by part, minted installation
//! tokens as they are minted ([`TokenSource::take_minted`]). Runner variables are read
//! through [`Platform`] only.

use std::sync::Arc;

use super::github::app::{self, App, AppTokens, TokenSource};
use super::gitlab::Auth;
use crate::clock::Clock;
use crate::error::Failure;
use crate::platform::Platform;

/// A GitHub App's inputs: `app-id`, `app-private-key`, `app-installation-id`.
#[derive(Debug, Clone, Copy)]
pub struct AppInputs<'a> {
    pub id: &'a str,
    pub key: &'a str,
    pub installation: Option<&'a str>,
}

/// The secret input, else `GITHUB_TOKEN`; registered as a secret. `None` when neither is
/// set (the verb says what it needs).
pub fn github_token(secret: Option<&str>, p: &mut Platform) -> Option<String> {
    let token = secret
        .map(str::to_string)
        .or_else(|| p.context.github_token.get().map(str::to_string))?;
    p.add_secret(&token);
    Some(token)
}

/// The GitHub token source for a verb: the App when given (its installation token scoped to
/// `repos`, the first of which is where it is installed; minted once here so a wrong App
/// ID, key or installation fails before anything is written), else [`github_token`].
pub async fn github(
    secret: Option<&str>,
    app: Option<AppInputs<'_>>,
    repos: &[&str],
    api_url: &str,
    p: &mut Platform,
    clock: &Clock,
) -> Result<Option<TokenSource>, Failure> {
    let Some(inputs) = app else {
        return Ok(github_token(secret, p).map(TokenSource::Fixed));
    };
    for part in app::secret_parts(inputs.key) {
        p.add_secret(&part);
    }
    let repo = repos.first().copied().unwrap_or_default();
    // The token reaches only the repositories named, in the installation's owner.
    let owner = repo.split('/').next().unwrap_or_default();
    let mut names: Vec<String> = repos
        .iter()
        .filter_map(|r| r.split_once('/'))
        .filter(|(o, _)| o.eq_ignore_ascii_case(owner))
        .map(|(_, n)| n.to_string())
        .collect();
    names.dedup();
    let app = App::from_inputs(inputs.id, inputs.key, inputs.installation)?.repositories(names);
    let tokens = AppTokens::new(app, api_url, repo, *clock).map_err(Failure::Operational)?;
    let source = TokenSource::App(Arc::new(tokens));
    source
        .token()
        .await
        .map_err(|e| Failure::Operational(e.context("minting a GitHub App installation token")))?;
    for t in source.take_minted() {
        p.add_secret(&t);
    }
    Ok(Some(source))
}

/// The GitLab credentials: the secret input, else `GITLAB_TOKEN` (empty counts as unset),
/// else — when `job_token_ok`, for endpoints that take it — `CI_JOB_TOKEN`. Registered as a
/// secret.
pub fn gitlab(secret: Option<&str>, job_token_ok: bool, p: &mut Platform) -> Option<Auth> {
    let token = secret
        .map(str::to_string)
        .or_else(|| p.context.gitlab_token.get().map(str::to_string))
        .filter(|t| !t.is_empty());
    let auth = match token {
        Some(t) => Auth::Token(t),
        None if job_token_ok => Auth::Job(
            p.context
                .job_token
                .get()
                .filter(|t| !t.is_empty())?
                .to_string(),
        ),
        None => return None,
    };
    match &auth {
        Auth::Token(t) | Auth::Job(t) => p.add_secret(t),
    }
    Some(auth)
}
