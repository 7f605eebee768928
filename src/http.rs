//! The one HTTP retry policy every client shares (GitHub, GitLab, Slack, Teams, webhooks).
//!
//! Retries transport errors, 5xx, 429, and 403 responses that are rate limits; honours
//! `Retry-After` (seconds) and `x-ratelimit-reset` / `ratelimit-reset` (epoch seconds);
//! otherwise waits with capped exponential backoff and jitter; never waits past the overall
//! deadline. [`Delivery`] tells a confirmed success from a merely accepted one (202).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::clock::Clock;

use anyhow::{anyhow, Context};
use reqwest::{RequestBuilder, Response, StatusCode};

/// The most of an error answer's body a message keeps (64 KiB, cut on a character
/// boundary). Far more than a message shows: secrets are redacted from the whole excerpt
/// first and the message is cut after, so a secret the server echoes can never be cut in
/// half and shown in part.
pub const BODY_MAX: usize = 64 * 1024;

/// The start of an error answer's body, at most [`BODY_MAX`] bytes.
pub fn excerpt(body: &str) -> &str {
    if body.len() <= BODY_MAX {
        return body;
    }
    let mut cut = BODY_MAX;
    while !body.is_char_boundary(cut) {
        cut -= 1;
    }
    &body[..cut]
}

/// The API refused because of a rate limit and the retry policy gave up (or the answer
/// carried no usable hint). `wait` is the server's hint, when it gave one. Every forge
/// client returns this for [`is_rate_limited`] answers, so a waiting loop can back off
/// instead of failing.
#[derive(Debug, thiserror::Error)]
#[error("{forge} rate limit: {message}")]
pub struct RateLimited {
    /// `GitHub` or `GitLab`.
    pub forge: &'static str,
    pub wait: Option<Duration>,
    pub message: String,
}

impl RateLimited {
    pub fn new(
        forge: &'static str,
        status: StatusCode,
        what: &str,
        body: &str,
        wait: Option<Duration>,
    ) -> Self {
        RateLimited {
            forge,
            wait,
            message: format!("{status} {what}: {}", excerpt(body)),
        }
    }
}

/// The rate-limit rule for an answer the retry policy handed back: 429, or a 403 whose body
/// speaks of a rate limit (GitHub's secondary rate limits answer a bare 403 "You have
/// exceeded a secondary rate limit", sometimes without `Retry-After`; GitHub asks to wait at
/// least a minute, then longer).
pub fn is_rate_limited(status: StatusCode, body: &str) -> bool {
    status == StatusCode::TOO_MANY_REQUESTS
        || (status == StatusCode::FORBIDDEN && body.to_ascii_lowercase().contains("rate limit"))
}

/// Limits of the retry loop.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// No retry starts after this much time has passed since the first attempt.
    pub deadline: Duration,
    /// The one clock (DESIGN §3): waits and the deadline are measured on it, so a test that
    /// speeds time up (`SHIPGATE_TIME_SCALE`) speeds the retries up too.
    pub clock: Clock,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            deadline: Duration::from_secs(120),
            clock: Clock::system(),
        }
    }
}

/// A client with rustls (ring) and a user agent.
pub fn client() -> anyhow::Result<reqwest::Client> {
    // reqwest is built without a default crypto provider; install ring once.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("shipgate/", env!("CARGO_PKG_VERSION")))
        .timeout(Duration::from_secs(30))
        .build()
        .context("cannot build the HTTP client")
}

/// Sends the request built by `make` until it succeeds or the policy gives up. Returns the
/// last response (which may be an error status the caller must handle).
pub async fn send<F>(policy: &RetryPolicy, mut make: F) -> anyhow::Result<Response>
where
    F: FnMut() -> RequestBuilder,
{
    let clock = policy.clock;
    let start = clock.now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = make().send().await;
        let wait = match &result {
            Ok(resp) => match retry_delay(resp, clock.now().as_second()) {
                Some(wait) => wait,
                None => return result.map_err(Into::into),
            },
            Err(err) if err.is_builder() => return Err(anyhow!("invalid request: {err}")),
            Err(_) => None,
        };
        let backoff = backoff(policy, attempt);
        let wait = wait.unwrap_or(backoff).min(policy.max_delay.max(backoff));
        let elapsed = clock.now().duration_since(start).unsigned_abs();
        let out_of_time = elapsed + wait > policy.deadline;
        if attempt >= policy.max_attempts || out_of_time {
            return match result {
                Ok(resp) => Ok(resp),
                Err(err) => Err(anyhow!("request failed after {attempt} attempt(s): {err}")),
            };
        }
        clock.sleep(wait).await;
    }
}

/// How much a successful answer says about delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The receiver did the work (200, 201, 204).
    Confirmed,
    /// 202 Accepted: the receiver queued the request and may still fail it later without
    /// telling us (Teams Workflows webhooks answer this even when the flow then fails).
    Accepted,
}

impl Delivery {
    /// The delivery a success status means; `None` for a non-success status.
    pub fn of(status: StatusCode) -> Option<Delivery> {
        match status {
            StatusCode::ACCEPTED => Some(Delivery::Accepted),
            s if s.is_success() => Some(Delivery::Confirmed),
            _ => None,
        }
    }
}

/// The longest wait a server's `Retry-After` or rate-limit reset can ask of us. A header
/// is the server's word, not ours to trust: `Retry-After: 99999999999` must not park a job
/// for years or overflow a deadline.
pub const MAX_SERVER_WAIT: Duration = Duration::from_secs(3600);

/// `Retry-After` in seconds (the HTTP-date form is not sent by GitHub or GitLab), capped at
/// [`MAX_SERVER_WAIT`].
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let secs = value.trim().parse::<u64>().ok()?;
    Some(Duration::from_secs(secs).min(MAX_SERVER_WAIT))
}

/// The wait until a rate-limit reset given as epoch seconds, one second past it, capped at
/// [`MAX_SERVER_WAIT`].
pub fn reset_wait(epoch: &str, now_epoch: u64) -> Option<Duration> {
    let epoch = epoch.trim().parse::<u64>().ok()?;
    let secs = epoch.saturating_sub(now_epoch).saturating_add(1);
    Some(Duration::from_secs(secs).min(MAX_SERVER_WAIT))
}

/// `None`: don't retry. `Some(None)`: retry with backoff. `Some(Some(d))`: retry after d.
fn retry_delay(resp: &Response, now_epoch: i64) -> Option<Option<Duration>> {
    let status = resp.status();
    let headers = resp.headers();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    let retry_after = header("retry-after").and_then(parse_retry_after);
    // GitHub sends `x-ratelimit-reset`, GitLab `ratelimit-reset` (both epoch seconds).
    let reset = header("x-ratelimit-reset")
        .or_else(|| header("ratelimit-reset"))
        .and_then(|v| reset_wait(v, u64::try_from(now_epoch).unwrap_or(0)));
    let exhausted = header("x-ratelimit-remaining") == Some("0");
    match status {
        StatusCode::TOO_MANY_REQUESTS => Some(retry_after.or(reset)),
        StatusCode::FORBIDDEN if retry_after.is_some() || exhausted => Some(retry_after.or(reset)),
        s if s.is_server_error() => Some(retry_after),
        _ => None,
    }
}

fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let exp = policy
        .base_delay
        .saturating_mul(1u32 << attempt.min(16).saturating_sub(1));
    let capped = exp.min(policy.max_delay);
    // Full jitter in [capped/2, capped], from the clock's low bits.
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let half = capped / 2;
    half + Duration::from_nanos((nanos as u64) % (half.as_nanos().max(1) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Retries wait on the one clock: sped up 10,000 times, a `Retry-After: 20` costs
    /// milliseconds, not twenty seconds.
    #[tokio::test]
    async fn retries_wait_on_the_policy_clock() {
        use wiremock::matchers::method;
        use wiremock::{Mock, MockServer, ResponseTemplate};
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(503).insert_header("retry-after", "20"))
            .up_to_n_times(2)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200))
            .mount(&server)
            .await;
        let policy = RetryPolicy {
            clock: Clock::new(None, 10_000.0),
            ..RetryPolicy::default()
        };
        let client = client().unwrap();
        let started = std::time::Instant::now();
        let resp = send(&policy, || client.get(server.uri())).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn server_waits_are_bounded_and_never_overflow() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("18446744073709551615"),
            Some(MAX_SERVER_WAIT)
        );
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(reset_wait("100", 90), Some(Duration::from_secs(11)));
        assert_eq!(reset_wait("50", 90), Some(Duration::from_secs(1)));
        assert_eq!(reset_wait("18446744073709551615", 0), Some(MAX_SERVER_WAIT));
    }

    #[test]
    fn secondary_rate_limits_are_rate_limits() {
        let body = r#"{"message":"You have exceeded a secondary rate limit."}"#;
        assert!(is_rate_limited(StatusCode::FORBIDDEN, body));
        assert!(is_rate_limited(StatusCode::TOO_MANY_REQUESTS, ""));
        assert!(!is_rate_limited(
            StatusCode::FORBIDDEN,
            "Resource not accessible"
        ));
        assert!(!is_rate_limited(StatusCode::NOT_FOUND, "rate limit"));
    }
}
