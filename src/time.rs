//! Time rules, read by the gate and by the model checker alike: the one injectable clock,
//! durations, deployment windows and freeze periods. Everything here but [`Clock`] is a pure
//! function of an instant.

use std::time::Duration;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::error::quote;

pub use crate::clock::Clock;

pub use crate::platform::inputs::{format_duration, parse_duration, MAX_DURATION};

/// Adds a std duration to a timestamp, saturating.
pub fn add(t: Timestamp, d: Duration) -> Timestamp {
    let d = SignedDuration::try_from(d).unwrap_or(SignedDuration::MAX);
    t.saturating_add(d).unwrap_or(t)
}

/// The time from `a` to `b` (zero when `b` is earlier).
pub fn until(a: Timestamp, b: Timestamp) -> Duration {
    Duration::try_from(b.duration_since(a)).unwrap_or(Duration::ZERO)
}

/// A time zone by IANA name (from the bundled database, so it works on any runner).
pub fn zone(name: &str) -> Result<TimeZone, String> {
    if name.eq_ignore_ascii_case("utc") {
        return Ok(TimeZone::UTC);
    }
    TimeZone::get(name).map_err(|_| {
        format!(
            "unknown time zone {} (use an IANA name such as Europe/London)",
            quote(name)
        )
    })
}

/// A weekly deployment window, e.g. `Mon-Thu 09:00-16:00 Europe/London`.
#[derive(Debug, Clone)]
pub struct Window {
    pub text: String,
    days: [bool; 7],
    start: u32,
    end: u32,
    tz: TimeZone,
    tz_name: String,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

fn day_index(s: &str) -> Option<usize> {
    DAYS.iter().position(|d| d.eq_ignore_ascii_case(s))
}

fn minutes(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    // `then`, not `then_some`: the sum must not be computed for an hour of 4294967295.
    (h <= 24 && m < 60 && h * 60 + m <= 24 * 60).then(|| h * 60 + m)
}

impl Window {
    /// Parses `DAYS HH:MM-HH:MM [ZONE]`; DAYS is a comma list of days or day ranges
    /// (`Mon-Fri,Sun`). The zone defaults to `default_tz`. A range whose end is before its
    /// start runs past midnight into the next day.
    pub fn parse(text: &str, default_tz: &str) -> Result<Window, String> {
        let bad = |why: &str| {
            format!(
                "window {}: {why} (expected e.g. 'Mon-Thu 09:00-16:00 Europe/London')",
                quote(text)
            )
        };
        let mut parts = text.split_whitespace();
        let days_text = parts.next().ok_or_else(|| bad("empty"))?;
        let range = parts.next().ok_or_else(|| bad("no time range"))?;
        let tz_name = parts.next().unwrap_or(default_tz).to_string();
        if parts.next().is_some() {
            return Err(bad("unexpected text after the time zone"));
        }
        let mut days = [false; 7];
        for item in days_text.split(',') {
            let (a, b) = item.split_once('-').unwrap_or((item, item));
            let (a, b) = (
                day_index(a).ok_or_else(|| bad(&format!("unknown day {}", quote(a))))?,
                day_index(b).ok_or_else(|| bad(&format!("unknown day {}", quote(b))))?,
            );
            let mut d = a;
            loop {
                days[d] = true;
                if d == b {
                    break;
                }
                d = (d + 1) % 7;
            }
        }
        let (s, e) = range.split_once('-').ok_or_else(|| bad("no time range"))?;
        let start = minutes(s).ok_or_else(|| bad(&format!("bad time {}", quote(s))))?;
        let end = minutes(e).ok_or_else(|| bad(&format!("bad time {}", quote(e))))?;
        if start == end {
            return Err(bad("the window is empty"));
        }
        let tz = zone(&tz_name).map_err(|e| bad(&e))?;
        Ok(Window {
            text: text.trim().to_string(),
            days,
            start,
            end,
            tz,
            tz_name,
        })
    }

    /// True when `now` is inside the window (in the window's time zone, so across DST
    /// changes 09:00 stays 09:00 local time).
    pub fn contains(&self, now: Timestamp) -> bool {
        let local = now.to_zoned(self.tz.clone());
        let day = weekday_index(local.weekday());
        let minute = u32::from(local.hour() as u8) * 60 + u32::from(local.minute() as u8);
        if self.start < self.end {
            self.days[day] && minute >= self.start && minute < self.end
        } else {
            let yesterday = (day + 6) % 7;
            (self.days[day] && minute >= self.start) || (self.days[yesterday] && minute < self.end)
        }
    }

    /// The local time of `now` in the window's zone, for messages.
    pub fn local(&self, now: Timestamp) -> String {
        let local = now.to_zoned(self.tz.clone());
        format!("{} {}", local.strftime("%a %H:%M"), self.tz_name)
    }
}

fn weekday_index(w: Weekday) -> usize {
    (w.to_monday_zero_offset() as usize) % 7
}

/// A freeze: whole days from `from` to `to` inclusive, in a time zone.
#[derive(Debug, Clone)]
pub struct Freeze {
    pub from: Date,
    pub to: Date,
    pub reason: Option<String>,
    tz: TimeZone,
}

impl Freeze {
    /// A freeze of the days `from`..=`to` (`YYYY-MM-DD`) in `tz`.
    pub fn new(from: &str, to: &str, reason: Option<String>, tz: &str) -> Result<Freeze, String> {
        let date = |s: &str| {
            s.trim()
                .parse::<Date>()
                .map_err(|_| format!("{} is not a date written YYYY-MM-DD", quote(s)))
        };
        let (from, to) = (date(from)?, date(to)?);
        if to < from {
            return Err(format!("freeze {from}..{to} ends before it starts"));
        }
        Ok(Freeze {
            from,
            to,
            reason,
            tz: zone(tz)?,
        })
    }

    /// Parses one line of the `freezes` input: `FROM..TO [reason]` or `DAY [reason]`.
    pub fn parse_line(line: &str, tz: &str) -> Result<Freeze, String> {
        let line = line.trim();
        let (dates, reason) = match line.split_once(char::is_whitespace) {
            Some((d, r)) => (d, Some(r.trim().to_string()).filter(|r| !r.is_empty())),
            None => (line, None),
        };
        let (from, to) = dates.split_once("..").unwrap_or((dates, dates));
        Freeze::new(from, to, reason, tz)
    }

    /// True when `now`'s local date is inside the freeze.
    pub fn contains(&self, now: Timestamp) -> bool {
        let date = now.to_zoned(self.tz.clone()).date();
        date >= self.from && date <= self.to
    }

    /// `2026-12-20..2027-01-04 (reason)` for messages.
    pub fn describe(&self) -> String {
        let mut s = format!("{}..{}", self.from, self.to);
        if let Some(r) = &self.reason {
            s.push_str(&format!(" ({r})"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("0.25"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("30 minutes").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("-1").is_err());
        assert_eq!(parse_duration("365d"), Ok(MAX_DURATION));
        for long in [
            "1e20",
            "366d",
            "31536001",
            "99999999999999999999s",
            "18446744073709551615d",
        ] {
            let e = parse_duration(long).unwrap_err();
            assert!(e.contains("maximum duration 365d"), "{long}: {e}");
        }
        assert!(parse_duration("inf").is_err());
        assert!(parse_duration("NaN").is_err());
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
    }

    #[test]
    fn window_keeps_local_hours_across_the_uk_dst_change() {
        let w = Window::parse("Mon-Fri 09:00-16:00 Europe/London", "UTC").unwrap();
        // Friday 27 March 2026, GMT: 08:30 UTC is 08:30 local — closed.
        assert!(!w.contains(ts("2026-03-27T08:30:00Z")));
        assert!(w.contains(ts("2026-03-27T09:00:00Z")));
        // Monday 30 March 2026, BST (UTC+1): 08:30 UTC is 09:30 local — open;
        // 15:30 UTC is 16:30 local — closed.
        assert!(w.contains(ts("2026-03-30T08:30:00Z")));
        assert!(!w.contains(ts("2026-03-30T15:30:00Z")));
        // Sunday of the change: no window.
        assert!(!w.contains(ts("2026-03-29T10:00:00Z")));
        assert_eq!(
            w.local(ts("2026-03-30T08:30:00Z")),
            "Mon 09:30 Europe/London"
        );
    }

    #[test]
    fn window_across_midnight_and_day_lists() {
        let w = Window::parse("Fri,Sat 22:00-02:00", "UTC").unwrap();
        assert!(w.contains(ts("2026-03-06T23:00:00Z"))); // Fri 23:00
        assert!(w.contains(ts("2026-03-07T01:00:00Z"))); // Sat 01:00 (from Fri)
        assert!(w.contains(ts("2026-03-08T01:59:00Z"))); // Sun 01:59 (from Sat)
        assert!(!w.contains(ts("2026-03-08T22:30:00Z"))); // Sun 22:30
        let wrap = Window::parse("Sat-Mon 00:00-24:00", "UTC").unwrap();
        assert!(wrap.contains(ts("2026-03-09T12:00:00Z"))); // Mon
        assert!(!wrap.contains(ts("2026-03-10T12:00:00Z"))); // Tue
    }

    #[test]
    fn window_errors_name_the_problem() {
        let e = Window::parse("Mon-Fry 09:00-16:00", "UTC").unwrap_err();
        assert!(e.contains("unknown day 'Fry'"), "{e}");
        let e = Window::parse("Mon 09:00-16:00 Mars/Base", "UTC").unwrap_err();
        assert!(e.contains("unknown time zone 'Mars/Base'"), "{e}");
        assert!(Window::parse("Mon 25:00-16:00", "UTC").is_err());
    }

    #[test]
    fn freeze_days_are_local_and_inclusive() {
        let f = Freeze::parse_line("2026-12-20..2027-01-04 year-end freeze", "America/New_York")
            .unwrap();
        assert_eq!(f.describe(), "2026-12-20..2027-01-04 (year-end freeze)");
        // 2027-01-05 03:00 UTC is still 4 January in New York.
        assert!(f.contains(ts("2027-01-05T03:00:00Z")));
        assert!(!f.contains(ts("2027-01-05T06:00:00Z")));
        assert!(!f.contains(ts("2026-12-20T04:00:00Z"))); // 19 Dec 23:00 local
        assert!(Freeze::parse_line("2027-01-04..2026-12-20", "UTC").is_err());
    }

    #[test]
    fn scaled_clock_runs_faster() {
        let c = Clock::new(Some(ts("2026-03-02T10:00:00Z")), 3600.0);
        std::thread::sleep(Duration::from_millis(20));
        let elapsed = until(ts("2026-03-02T10:00:00Z"), c.now());
        assert!(elapsed >= Duration::from_secs(60), "{elapsed:?}");
    }
}
