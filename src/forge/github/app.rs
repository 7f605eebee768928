//! GitHub App installation tokens. An App signs a short JWT with its private key (RS256),
//! finds its installation on the repository and exchanges the JWT for an installation
//! token, which lives one hour and cannot be extended. [`TokenSource`] hands out either a
//! fixed token or a cached installation token that is minted again five minutes before it
//! expires, so a gate that waits for hours keeps a working token.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use jiff::Timestamp;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use ring::rand::SystemRandom;
use ring::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use serde::Deserialize;

use crate::clock::Clock;
use crate::error::Failure;
use crate::http::{self, RetryPolicy};

/// The input holding the App's private key: errors name it, never its value.
pub const KEY_INPUT: &str = "app-private-key";
/// The input holding the App ID (or client ID).
pub const ID_INPUT: &str = "app-id";
/// The input holding an installation ID (skips the installation lookup).
pub const INSTALLATION_INPUT: &str = "app-installation-id";
/// A cached installation token is replaced when less than this remains before it expires.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);
/// JWT lifetime in seconds (GitHub accepts 10 minutes at most).
const JWT_LIFETIME: i64 = 9 * 60;
/// `iat` is set this many seconds back, as GitHub advises against clock drift.
const JWT_BACKDATE: i64 = 60;

/// A GitHub App's RSA private key.
pub struct AppKey(RsaKeyPair);

impl fmt::Debug for AppKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AppKey(***)")
    }
}

impl AppKey {
    /// Parses the key as GitHub hands it out (PEM `BEGIN RSA PRIVATE KEY`, PKCS#1) or as
    /// PKCS#8 (`BEGIN PRIVATE KEY`). Literal `\n` escapes, CRLF, surrounding whitespace or
    /// quotes, and a base64-encoded PEM file are accepted too. Errors name
    /// [`KEY_INPUT`] and never quote the key.
    pub fn parse(text: &str) -> Result<AppKey, Failure> {
        Self::parse_at(&unescape(text), 0)
    }

    fn parse_at(text: &str, depth: u8) -> Result<AppKey, Failure> {
        let Some((label, body)) = pem_block(text)? else {
            // Not PEM: a base64-encoded PEM file (a common way to store it in a variable),
            // or the base64 DER itself.
            let decoded = base64_decode(text).ok_or_else(|| {
                bad_key("not a PEM private key: expected the .pem file from the App's settings page (-----BEGIN RSA PRIVATE KEY----- ...)")
            })?;
            return match std::str::from_utf8(&decoded) {
                Ok(inner) if depth == 0 && inner.contains("-----BEGIN") => {
                    Self::parse_at(&unescape(inner), 1)
                }
                _ => RsaKeyPair::from_der(&decoded)
                    .or_else(|_| RsaKeyPair::from_pkcs8(&decoded))
                    .map(AppKey)
                    .map_err(|e| bad_key(format!("not a usable RSA private key ({e})"))),
            };
        };
        if body.contains(':') {
            return Err(bad_key(
                "the PEM block has headers (an encrypted key?); GitHub App keys are plain PEM",
            ));
        }
        let der = base64_decode(body)
            .ok_or_else(|| bad_key("the PEM block is not valid base64 (was the key cut off?)"))?;
        let parsed = match label.as_str() {
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
            "ENCRYPTED PRIVATE KEY" => {
                return Err(bad_key(
                    "the key is encrypted; GitHub App keys are plain PEM",
                ))
            }
            "OPENSSH PRIVATE KEY" => return Err(bad_key(
                "an OpenSSH key, not a GitHub App key (the .pem file from the App's settings page)",
            )),
            other => {
                let shown: String = other.chars().take(40).collect();
                return Err(bad_key(format!(
                    "a PEM '{shown}' block, not an RSA private key"
                )));
            }
        };
        parsed
            .map(AppKey)
            .map_err(|e| bad_key(format!("not a usable RSA private key ({e})")))
    }

    /// The App JWT for `app_id` at `now`: RS256, `iat` a minute back, `exp` nine minutes
    /// ahead, `iss` the App ID or client ID. Costs one RSA signature.
    pub fn jwt(&self, app_id: &str, now: Timestamp) -> anyhow::Result<String> {
        let now = now.as_second();
        let header = base64url(br#"{"alg":"RS256","typ":"JWT"}"#);
        let claims = serde_json::json!({
            "iat": now - JWT_BACKDATE,
            "exp": now + JWT_LIFETIME,
            "iss": app_id,
        });
        let signing_input = format!("{header}.{}", base64url(claims.to_string().as_bytes()));
        let mut signature = vec![0; self.0.public().modulus_len()];
        self.0
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut signature,
            )
            .map_err(|_| anyhow!("cannot sign the GitHub App JWT"))?;
        Ok(format!("{signing_input}.{}", base64url(&signature)))
    }
}

/// The pieces of a key input to register as secrets: the value as given and each line of
/// its PEM body (runners mask line by line). The `BEGIN`/`END` lines are not secret.
/// A value of several lines is left out whole: `::add-mask::` takes one line, so the rest
/// of it would be printed in the clear.
pub fn secret_parts(text: &str) -> Vec<String> {
    let whole = text.trim();
    let mut parts: Vec<String> = (!whole.contains(['\n', '\r']))
        .then(|| whole.to_string())
        .into_iter()
        .collect();
    parts.extend(
        unescape(text)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("-----"))
            .map(str::to_string),
    );
    parts
}

fn bad_key(message: impl Into<String>) -> Failure {
    Failure::input(KEY_INPUT, message)
}

/// Undoes what pasting a key into a secret or variable often does: surrounding whitespace
/// and quotes, literal `\n` escapes, CRLF.
fn unescape(text: &str) -> String {
    let t = text.trim();
    let t = t
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(t);
    t.replace("\\r", "")
        .replace("\\n", "\n")
        .replace('\r', "")
        .trim()
        .to_string()
}

/// The label and body of the first PEM block, or `None` when there is no `BEGIN` line.
fn pem_block(text: &str) -> Result<Option<(String, &str)>, Failure> {
    const BEGIN: &str = "-----BEGIN ";
    let Some(at) = text.find(BEGIN) else {
        return Ok(None);
    };
    let rest = &text[at + BEGIN.len()..];
    let label_end = rest
        .find("-----")
        .ok_or_else(|| bad_key("the PEM BEGIN line is cut off"))?;
    let label = rest[..label_end].trim().to_string();
    let body = &rest[label_end + 5..];
    let end = body
        .find("-----END ")
        .ok_or_else(|| bad_key("the PEM block has no END line (was the key cut off?)"))?;
    Ok(Some((label, &body[..end])))
}

/// Base64url without padding (RFC 7515 §2).
pub fn base64url(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Decodes standard or URL-safe base64 (as keys pasted into secrets come), ignoring
/// whitespace and with or without `=` padding; `None` when it is not base64.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    use base64::{alphabet, Engine as _};
    const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(false);
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let decoded = if compact.contains(['-', '_']) {
        GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT).decode(&compact)
    } else {
        GeneralPurpose::new(&alphabet::STANDARD, LENIENT).decode(&compact)
    };
    decoded.ok().filter(|bytes| !bytes.is_empty())
}

/// A GitHub App: its ID (or client ID), its key and, when given, its installation.
#[derive(Debug)]
pub struct App {
    id: String,
    key: AppKey,
    installation: Option<u64>,
    repositories: Vec<String>,
}

impl App {
    /// An App from its ID (or client ID) and key.
    pub fn new(id: &str, key: AppKey) -> Self {
        App {
            id: id.trim().to_string(),
            key,
            installation: None,
            repositories: Vec::new(),
        }
    }

    /// An App from the inputs `app-id`, `app-private-key` and `app-installation-id`
    /// (optional; without it the installation is looked up on the repository).
    pub fn from_inputs(id: &str, key: &str, installation: Option<&str>) -> Result<App, Failure> {
        let id = id.trim();
        if id.is_empty() || id.contains(char::is_whitespace) {
            return Err(Failure::input(
                ID_INPUT,
                "expected the App ID (a number) or its client ID",
            ));
        }
        let installation = installation
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    Failure::input(
                        INSTALLATION_INPUT,
                        format!("'{v}' is not an installation ID (a number)"),
                    )
                })
            })
            .transpose()?;
        let app = App::new(id, AppKey::parse(key)?);
        Ok(match installation {
            Some(i) => app.installation(i),
            None => app,
        })
    }

    /// Uses this installation instead of looking it up on the repository.
    pub fn installation(mut self, id: u64) -> Self {
        self.installation = Some(id);
        self
    }

    /// Limits minted tokens to these repositories of the installation (names without the
    /// owner). Empty (the default): every repository the installation can reach.
    pub fn repositories(mut self, names: Vec<String>) -> Self {
        self.repositories = names;
        self
    }

    /// The App JWT at `now` (see [`AppKey::jwt`]).
    pub fn jwt(&self, now: Timestamp) -> anyhow::Result<String> {
        self.key.jwt(&self.id, now)
    }
}

/// An installation token and when it expires.
#[derive(Clone)]
pub struct InstallationToken {
    pub token: String,
    pub expires_at: Timestamp,
}

impl fmt::Debug for InstallationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InstallationToken")
            .field("token", &"***")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl InstallationToken {
    /// True while more than [`REFRESH_MARGIN`] remains before expiry at `now`.
    pub fn fresh_at(&self, now: Timestamp) -> bool {
        let margin = jiff::SignedDuration::try_from(REFRESH_MARGIN).unwrap_or_default();
        now.saturating_add(margin)
            .is_ok_and(|later| later < self.expires_at)
    }
}

/// Installation tokens of one App for one repository: minted on demand, cached, and minted
/// again when less than [`REFRESH_MARGIN`] remains. Each call goes through the shared retry
/// policy.
pub struct AppTokens {
    app: App,
    api_url: String,
    repo: String,
    clock: Clock,
    policy: RetryPolicy,
    client: reqwest::Client,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    installation: Option<u64>,
    current: Option<InstallationToken>,
    /// Minted tokens not yet handed to [`AppTokens::take_minted`].
    unmasked: Vec<String>,
}

impl AppTokens {
    /// Tokens of `app` for `repo` (`owner/name`) from the API at `api_url`; expiry is judged
    /// by `clock`.
    pub fn new(app: App, api_url: &str, repo: &str, clock: Clock) -> anyhow::Result<Self> {
        Ok(AppTokens {
            app,
            api_url: api_url.trim_end_matches('/').to_string(),
            repo: repo.to_string(),
            clock,
            policy: RetryPolicy {
                clock,
                ..RetryPolicy::default()
            },
            client: http::client()?,
            state: Mutex::new(State::default()),
        })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached token while it is fresh, else a newly minted one (2 requests the first
    /// time without an installation ID, 1 afterwards).
    pub async fn token(&self) -> anyhow::Result<String> {
        let now = self.clock.now();
        let cached = {
            let state = self.state();
            state
                .current
                .as_ref()
                .filter(|t| t.fresh_at(now))
                .map(|t| t.token.clone())
        };
        match cached {
            Some(token) => Ok(token),
            None => Ok(self.mint().await?.token),
        }
    }

    /// Mints a new installation token now and caches it.
    pub async fn mint(&self) -> anyhow::Result<InstallationToken> {
        let jwt = self.app.jwt(self.clock.now())?;
        let known = self.app.installation.or(self.state().installation);
        let id = match known {
            Some(id) => id,
            None => {
                let id = self.find_installation(&jwt).await?;
                self.state().installation = Some(id);
                id
            }
        };
        let minted = self.exchange(id, &jwt).await?;
        let mut state = self.state();
        state.current = Some(minted.clone());
        state.unmasked.push(minted.token.clone());
        Ok(minted)
    }

    /// The tokens minted since the last call, to register as secrets (masking, redaction).
    pub fn take_minted(&self) -> Vec<String> {
        std::mem::take(&mut self.state().unmasked)
    }

    fn request(&self, method: Method, url: &str, jwt: &str) -> RequestBuilder {
        super::client::request(&self.client, method, url, jwt)
    }

    async fn find_installation(&self, jwt: &str) -> anyhow::Result<u64> {
        #[derive(Deserialize)]
        struct Installation {
            id: u64,
        }
        let url = format!("{}/repos/{}/installation", self.api_url, self.repo);
        let what = format!("finding the GitHub App's installation on {}", self.repo);
        let resp = http::send(&self.policy, || self.request(Method::GET, &url, jwt))
            .await
            .with_context(|| what.clone())?;
        if resp.status() == StatusCode::NOT_FOUND {
            bail!(
                "GitHub App {} is not installed on {} (install it there, or set {INSTALLATION_INPUT})",
                self.app.id,
                self.repo
            );
        }
        let found: Installation = check(resp, &what)
            .await?
            .json()
            .await
            .map_err(|e| anyhow!("unexpected answer from the GitHub API {what}: {e}"))?;
        Ok(found.id)
    }

    async fn exchange(&self, installation: u64, jwt: &str) -> anyhow::Result<InstallationToken> {
        #[derive(Deserialize)]
        struct Minted {
            token: String,
            expires_at: String,
        }
        let url = format!(
            "{}/app/installations/{installation}/access_tokens",
            self.api_url
        );
        let what = format!("creating an installation token (installation {installation})");
        let body = (!self.app.repositories.is_empty())
            .then(|| serde_json::json!({ "repositories": self.app.repositories }));
        let resp = http::send(&self.policy, || {
            let req = self.request(Method::POST, &url, jwt);
            match &body {
                Some(b) => req.json(b),
                None => req,
            }
        })
        .await
        .with_context(|| what.clone())?;
        let minted: Minted = check(resp, &what)
            .await?
            .json()
            .await
            .map_err(|e| anyhow!("unexpected answer from the GitHub API {what}: {e}"))?;
        let expires_at = minted
            .expires_at
            .parse::<Timestamp>()
            .map_err(|e| anyhow!("unexpected expires_at '{}' {what}: {e}", minted.expires_at))?;
        Ok(InstallationToken {
            token: minted.token,
            expires_at,
        })
    }
}

/// What a failed App call probably means.
fn hint(status: StatusCode, _body: &str) -> Option<&'static str> {
    match status.as_u16() {
        401 => Some("GitHub rejected the App JWT: check that app-id and app-private-key belong to the same App, and the runner's clock"),
        403 | 404 => Some("check app-installation-id and that the installation is not suspended"),
        422 => Some("a repository asked for is not part of the installation"),
        _ => None,
    }
}

async fn check(resp: Response, what: &str) -> anyhow::Result<Response> {
    super::client::check(resp, what, hint).await
}

/// Where a client's token comes from: a fixed token (`GITHUB_TOKEN`, a PAT) or a GitHub App
/// whose installation tokens are refreshed before they expire. Cheap to clone.
#[derive(Clone)]
pub enum TokenSource {
    Fixed(String),
    App(Arc<AppTokens>),
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Fixed(_) => f.write_str("Fixed(***)"),
            TokenSource::App(t) => f
                .debug_struct("App")
                .field("id", &t.app.id)
                .field("repo", &t.repo)
                .finish(),
        }
    }
}

impl TokenSource {
    /// The token for the next request: the fixed one, or a fresh installation token
    /// (minted only when the cached one has less than [`REFRESH_MARGIN`] left).
    pub async fn token(&self) -> anyhow::Result<String> {
        match self {
            TokenSource::Fixed(token) => Ok(token.clone()),
            TokenSource::App(tokens) => tokens.token().await,
        }
    }

    /// The installation tokens minted since the last call (none for a fixed token); pass
    /// each to `Platform::add_secret` before printing anything else.
    pub fn take_minted(&self) -> Vec<String> {
        match self {
            TokenSource::Fixed(_) => Vec::new(),
            TokenSource::App(tokens) => tokens.take_minted(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
    use wiremock::matchers::{body_json, header, header_regex, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    const PKCS1: &str =
        include_str!("../../../tests/fixtures/github-app/test-only-app-key.pkcs1.pem");
    const PKCS8: &str =
        include_str!("../../../tests/fixtures/github-app/test-only-app-key.pkcs8.pem");

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn public_key(key: &AppKey) -> Vec<u8> {
        key.0.public().as_ref().to_vec()
    }

    fn decode_json(part: &str) -> serde_json::Value {
        serde_json::from_slice(&base64_decode(part).unwrap()).unwrap()
    }

    #[test]
    fn jwt_verifies_with_the_public_key_and_carries_the_claims() {
        let key = AppKey::parse(PKCS1).unwrap();
        let now = ts("2026-05-04T10:00:00Z");
        let jwt = key.jwt("123456", now).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert!(
            !jwt.contains('=') && !jwt.contains('+') && !jwt.contains('/'),
            "base64url without padding"
        );
        let signature = base64_decode(parts[2]).unwrap();
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_key(&key))
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature)
            .expect("the signature verifies with the App's public key");
        assert_eq!(
            decode_json(parts[0]),
            serde_json::json!({"alg": "RS256", "typ": "JWT"})
        );
        let claims = decode_json(parts[1]);
        let at = now.as_second();
        assert_eq!(claims["iat"], at - 60);
        assert_eq!(claims["exp"], at + 9 * 60);
        assert_eq!(claims["iss"], "123456");
    }

    #[test]
    fn a_tampered_jwt_does_not_verify() {
        let key = AppKey::parse(PKCS1).unwrap();
        let jwt = key.jwt("1", ts("2026-05-04T10:00:00Z")).unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        let forged = base64url(br#"{"iat":0,"exp":9999999999,"iss":"1"}"#);
        let signature = base64_decode(parts[2]).unwrap();
        assert!(
            UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public_key(&key))
                .verify(format!("{}.{forged}", parts[0]).as_bytes(), &signature)
                .is_err()
        );
    }

    #[test]
    fn pkcs1_pkcs8_escaped_and_base64_keys_are_the_same_key() {
        let expected = public_key(&AppKey::parse(PKCS1).unwrap());
        let escaped = format!("  \"{}\"\n", PKCS1.trim().replace('\n', "\\n"));
        let crlf = PKCS1.replace('\n', "\r\n");
        let one_line = PKCS8.replace('\n', " ");
        let encoded = base64url(PKCS1.as_bytes());
        for (name, text) in [
            ("pkcs8", PKCS8),
            ("escaped", escaped.as_str()),
            ("crlf", crlf.as_str()),
            ("one line", one_line.as_str()),
            ("base64 of the file", encoded.as_str()),
        ] {
            let key = AppKey::parse(text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(public_key(&key), expected, "{name}");
        }
    }

    #[test]
    fn a_bad_key_names_the_input_and_never_shows_the_key() {
        let body: String = PKCS1.lines().nth(3).unwrap().to_string();
        let cut = PKCS1.lines().take(5).collect::<Vec<_>>().join("\n");
        let corrupt = PKCS1.replacen(&body[..8], "AAAAAAAA", 1);
        let cases = [
            ("garbage", "not a key at all!".to_string()),
            ("cut off", cut),
            ("corrupt", corrupt),
            ("public", PKCS1.replace("RSA PRIVATE KEY", "PUBLIC KEY")),
            (
                "encrypted",
                PKCS8.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY"),
            ),
        ];
        for (name, text) in cases {
            let err = AppKey::parse(&text).expect_err(name);
            assert_eq!(err.exit_code(), 2, "{name}");
            let shown = err.to_string();
            assert!(
                shown.starts_with("input 'app-private-key': "),
                "{name}: {shown}"
            );
            assert!(
                !shown.contains(&body[8..40]),
                "{name} leaks the key: {shown}"
            );
        }
    }

    #[test]
    fn every_line_of_the_key_is_a_secret() {
        let escaped = PKCS1.trim().replace('\n', "\\n");
        let parts = secret_parts(&escaped);
        assert_eq!(parts[0], escaped);
        let body: Vec<&str> = PKCS1.lines().filter(|l| !l.starts_with("-----")).collect();
        assert_eq!(parts[1..], body[..]);
    }

    #[test]
    fn inputs_are_checked() {
        let app = App::from_inputs(" 42 ", PKCS1, Some("77")).unwrap();
        assert_eq!((app.id.as_str(), app.installation), ("42", Some(77)));
        let err = App::from_inputs("42", PKCS1, Some("abc")).unwrap_err();
        assert!(err.to_string().contains("app-installation-id"), "{err}");
        let err = App::from_inputs("", PKCS1, None).unwrap_err();
        assert!(err.to_string().contains("app-id"), "{err}");
    }

    #[test]
    fn base64_round_trips_every_length() {
        let data: Vec<u8> = (0..=255).collect();
        for n in 0..40 {
            let encoded = base64url(&data[..n]);
            assert_eq!(encoded.len(), (n * 4).div_ceil(3));
            if n > 0 {
                assert_eq!(base64_decode(&encoded).unwrap(), &data[..n]);
            }
        }
        assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
        assert!(base64_decode("aGk=x").is_none());
        assert!(base64_decode("a").is_none());
    }

    #[test]
    fn freshness_uses_the_five_minute_margin() {
        let t = InstallationToken {
            token: "ghs_x".into(),
            expires_at: ts("2026-05-04T11:00:00Z"),
        };
        assert!(t.fresh_at(ts("2026-05-04T10:54:59Z")));
        assert!(!t.fresh_at(ts("2026-05-04T10:55:00Z")));
        assert!(!format!("{t:?}").contains("ghs_x"));
    }

    const JWT_HEADER: &str = r"^Bearer [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$";

    async fn fake_github(expires: &[&str]) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/repos/acme/app/installation"))
            .and(header_regex("authorization", JWT_HEADER))
            .and(header("x-github-api-version", "2022-11-28"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": 42})))
            .named("installation")
            .mount(&server)
            .await;
        for (i, expires_at) in expires.iter().enumerate() {
            Mock::given(method("POST"))
                .and(path("/app/installations/42/access_tokens"))
                .and(header_regex("authorization", JWT_HEADER))
                .and(header("accept", "application/vnd.github+json"))
                .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({
                    "token": format!("ghs_token{}", i + 1),
                    "expires_at": expires_at,
                })))
                .up_to_n_times(1)
                .with_priority(1 + i as u8)
                .mount(&server)
                .await;
        }
        server
    }

    async fn mints(server: &MockServer) -> usize {
        let requests = server.received_requests().await.unwrap_or_default();
        requests
            .iter()
            .filter(|r| r.url.path().ends_with("/access_tokens"))
            .count()
    }

    fn source(server: &MockServer, app: App, clock: Clock) -> TokenSource {
        let tokens = AppTokens::new(app, &server.uri(), "acme/app", clock).unwrap();
        TokenSource::App(Arc::new(tokens))
    }

    fn app() -> App {
        App::new("42", AppKey::parse(PKCS1).unwrap())
    }

    #[tokio::test]
    async fn a_fresh_token_is_reused() {
        let server = fake_github(&["2026-05-04T11:00:00Z"]).await;
        let clock = Clock::new(Some(ts("2026-05-04T10:00:00Z")), 1.0);
        let tokens = source(&server, app(), clock);
        assert_eq!(tokens.token().await.unwrap(), "ghs_token1");
        assert_eq!(tokens.token().await.unwrap(), "ghs_token1");
        assert_eq!(mints(&server).await, 1);
        assert_eq!(tokens.take_minted(), ["ghs_token1"]);
        assert!(
            tokens.take_minted().is_empty(),
            "each token is handed out once"
        );
    }

    #[tokio::test]
    async fn a_token_near_expiry_is_replaced() {
        // The first token has 4 minutes left when it arrives: the next call mints again.
        let server = fake_github(&["2026-05-04T10:04:00Z", "2026-05-04T11:00:00Z"]).await;
        let clock = Clock::new(Some(ts("2026-05-04T10:00:00Z")), 1.0);
        let tokens = source(&server, app(), clock);
        assert_eq!(tokens.token().await.unwrap(), "ghs_token1");
        assert_eq!(tokens.token().await.unwrap(), "ghs_token2");
        assert_eq!(tokens.token().await.unwrap(), "ghs_token2");
        assert_eq!(mints(&server).await, 2);
        assert_eq!(tokens.take_minted(), ["ghs_token1", "ghs_token2"]);
        let lookups = server.received_requests().await.unwrap_or_default();
        let lookups = lookups
            .iter()
            .filter(|r| r.method.as_str() == "GET")
            .count();
        assert_eq!(lookups, 1, "the installation is looked up once");
    }

    #[tokio::test]
    async fn an_hour_later_the_token_is_minted_again() {
        // Simulated time runs 3600× faster: 56 minutes pass in under a second.
        let server = fake_github(&["2026-05-04T11:00:00Z", "2026-05-04T12:00:00Z"]).await;
        let clock = Clock::new(Some(ts("2026-05-04T10:00:00Z")), 3600.0);
        let tokens = source(&server, app(), clock);
        assert_eq!(tokens.token().await.unwrap(), "ghs_token1");
        clock.sleep(Duration::from_secs(30 * 60)).await;
        assert_eq!(tokens.token().await.unwrap(), "ghs_token1");
        clock.sleep(Duration::from_secs(26 * 60)).await;
        assert_eq!(tokens.token().await.unwrap(), "ghs_token2");
        assert_eq!(mints(&server).await, 2);
    }

    #[tokio::test]
    async fn a_given_installation_skips_the_lookup_and_scopes_the_token() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/app/installations/77/access_tokens"))
            .and(body_json(serde_json::json!({"repositories": ["app"]})))
            .respond_with(ResponseTemplate::new(201).set_body_json(serde_json::json!({
                "token": "ghs_scoped",
                "expires_at": "2026-05-04T11:00:00Z",
            })))
            .expect(1)
            .mount(&server)
            .await;
        let app = app().installation(77).repositories(vec!["app".into()]);
        let clock = Clock::new(Some(ts("2026-05-04T10:00:00Z")), 1.0);
        let tokens = source(&server, app, clock);
        assert_eq!(tokens.token().await.unwrap(), "ghs_scoped");
        let requests = server.received_requests().await.unwrap_or_default();
        assert_eq!(requests.len(), 1, "no installation lookup");
    }

    #[tokio::test]
    async fn an_app_not_installed_says_so() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/repos/acme/app/installation"))
            .respond_with(ResponseTemplate::new(404))
            .mount(&server)
            .await;
        let clock = Clock::new(Some(ts("2026-05-04T10:00:00Z")), 1.0);
        let err = source(&server, app(), clock).token().await.unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("not installed on acme/app"), "{text}");
        assert!(text.contains("app-installation-id"), "{text}");
    }

    #[tokio::test]
    async fn the_client_sends_the_current_installation_token() {
        let server = fake_github(&["2026-05-04T10:04:00Z", "2026-05-04T11:00:00Z"]).await;
        for token in ["ghs_token1", "ghs_token2"] {
            Mock::given(method("GET"))
                .and(path("/repos/acme/app/issues/1"))
                .and(header("authorization", format!("Bearer {token}").as_str()))
                .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
                    "number": 1,
                    "html_url": "https://github.com/acme/app/issues/1",
                    "state": "open",
                    "created_at": "2026-05-04T09:00:00Z",
                })))
                .expect(1)
                .mount(&server)
                .await;
        }
        let clock = Clock::new(Some(ts("2026-05-04T10:00:00Z")), 1.0);
        let gh =
            crate::forge::github::GitHub::with_auth(&server.uri(), source(&server, app(), clock));
        let session = gh.session().unwrap();
        // The first token is near expiry, so the second request already gets a new one.
        session.issue("acme/app", 1).await.unwrap();
        session.issue("acme/app", 1).await.unwrap();
        assert_eq!(gh.auth.take_minted(), ["ghs_token1", "ghs_token2"]);
    }

    #[tokio::test]
    async fn a_fixed_token_needs_no_api() {
        let fixed = TokenSource::Fixed("ghp_fixed".into());
        assert_eq!(fixed.token().await.unwrap(), "ghp_fixed");
        assert!(fixed.take_minted().is_empty());
        assert!(!format!("{fixed:?}").contains("ghp_fixed"));
    }
}
