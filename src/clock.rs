//! The one injectable clock every time read goes through (DESIGN §3): the system clock, or
//! a pinned and optionally sped-up one from `SHIPGATE_NOW` / `SHIPGATE_TIME_SCALE`, so
//! tests decide windows, freezes, soak and durations at fixed instants.

use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};

use crate::error::Failure;
use crate::platform::Env;

/// The clock every time read goes through. `SHIPGATE_NOW` (RFC 3339) pins the start
/// instant; `SHIPGATE_TIME_SCALE` (e.g. `720`) makes simulated time run that many times
/// faster than real time, so tests and the benchmark can wait "an hour" in seconds.
/// Sleeps are scaled the same way, so the gate's own waits keep their simulated length.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    start: Timestamp,
    started: Instant,
    scale: f64,
}

/// The bounds of `SHIPGATE_TIME_SCALE` (a test hook): beyond them the scaled arithmetic
/// overflows or a sleep never ends.
const MIN_SCALE: f64 = 0.001;
const MAX_SCALE: f64 = 1_000_000.0;

impl Clock {
    /// The clock from `SHIPGATE_NOW` / `SHIPGATE_TIME_SCALE` (tests and benchmarks), else real.
    pub fn from_env(env: &Env) -> Result<Clock, Failure> {
        let start = env
            .get("SHIPGATE_NOW")
            .map(|v| {
                v.parse::<jiff::Timestamp>().map_err(|e| {
                    Failure::input(
                        "SHIPGATE_NOW",
                        format!("'{v}' is not an RFC 3339 instant: {e}"),
                    )
                })
            })
            .transpose()?;
        let scale = env
            .get("SHIPGATE_TIME_SCALE")
            .map(|v| {
                v.parse::<f64>()
                    .ok()
                    .filter(|s| (MIN_SCALE..=MAX_SCALE).contains(s))
                    .ok_or_else(|| {
                        Failure::input(
                            "SHIPGATE_TIME_SCALE",
                            format!(
                                "{} is not a number from {MIN_SCALE} to the maximum {MAX_SCALE}",
                                crate::error::quote(v)
                            ),
                        )
                    })
            })
            .transpose()?
            .unwrap_or(1.0);
        Ok(if start.is_none() && scale == 1.0 {
            Clock::system()
        } else {
            Clock::new(start, scale)
        })
    }

    /// The real clock.
    pub fn system() -> Self {
        Clock {
            start: Timestamp::now(),
            started: Instant::now(),
            scale: 1.0,
        }
    }

    /// A clock starting at `start` (when given), running `scale` times real speed.
    pub fn new(start: Option<Timestamp>, scale: f64) -> Self {
        Clock {
            start: start.unwrap_or_else(Timestamp::now),
            started: Instant::now(),
            scale: if scale.is_finite() && scale > 0.0 {
                scale
            } else {
                1.0
            },
        }
    }

    /// The instant the clock started at: `SHIPGATE_NOW` exactly when pinned. For verbs that
    /// take one reading per run (notify), so pinned tests see exactly the pinned instant.
    pub fn started_at(&self) -> Timestamp {
        self.start
    }

    /// The current (possibly simulated) instant.
    pub fn now(&self) -> Timestamp {
        let scaled = self.started.elapsed().as_secs_f64() * self.scale;
        let elapsed = Duration::try_from_secs_f64(scaled).unwrap_or(Duration::MAX);
        let elapsed = SignedDuration::try_from(elapsed).unwrap_or(SignedDuration::MAX);
        self.start.saturating_add(elapsed).unwrap_or(self.start)
    }

    /// Sleeps for `d` of simulated time.
    pub async fn sleep(&self, d: Duration) {
        // Never panics: an unrepresentable real pause is as long as a pause gets.
        let real = Duration::try_from_secs_f64(d.as_secs_f64() / self.scale)
            .unwrap_or(Duration::from_secs(365 * 86_400));
        tokio::time::sleep(real).await;
    }
}

#[cfg(test)]
mod scale_tests {
    use super::*;

    #[test]
    fn a_scale_out_of_range_is_bad_input_and_extreme_clocks_never_panic() {
        for bad in ["1e300", "0", "-1", "NaN", "inf", "1e-9"] {
            let env = Env::from_pairs([("SHIPGATE_TIME_SCALE", bad)]);
            let err = Clock::from_env(&env).unwrap_err();
            assert_eq!(err.exit_code(), 2, "{bad}: {err}");
        }
        let fast = Clock::new(None, 1e300);
        let _ = fast.now();
        let slow = Clock::new(None, 1e-300);
        let _ = slow.now();
    }
}
