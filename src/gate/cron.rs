//! Cron expressions as GitLab's deploy freeze periods use them (`freeze_start`,
//! `freeze_end`, `cron_timezone`): five fields — minute, hour, day of month, month, day of
//! week — each `*`, a number or name, a range `a-b`, a list `a,b` and a step `/n`. When
//! both day fields are restricted, a day matches either (the classic cron rule).
//!
//! A freeze period is active at `now` when its last start at or before `now` has not been
//! followed by an end yet — GitLab's own reading (`Ci::FreezePeriod`).

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};

use crate::error::quote;

/// Days searched back for a start or forward for an end.
const HORIZON_DAYS: i32 = 400;

/// A parsed cron expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    day_star: bool,
    weekday_star: bool,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

fn value(text: &str, lo: u32, hi: u32, names: &[&str], name_base: u32) -> Result<u32, String> {
    let t = text.to_ascii_lowercase();
    if let Some(i) = names.iter().position(|n| *n == t) {
        return Ok(i as u32 + name_base);
    }
    match t.parse::<u32>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        _ => Err(format!("{} is not a value from {lo} to {hi}", quote(text))),
    }
}

fn field(text: &str, lo: u32, hi: u32, names: &[&str], name_base: u32) -> Result<u64, String> {
    let mut bits = 0u64;
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => {
                let step: u32 = s
                    .parse()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("{} is not a step", quote(s)))?;
                (r, step)
            }
            None => (part, 1),
        };
        let (a, b) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            (
                value(a, lo, hi, names, name_base)?,
                value(b, lo, hi, names, name_base)?,
            )
        } else {
            let a = value(range, lo, hi, names, name_base)?;
            // `5/15` means from 5 to the end, every 15.
            (a, if part.contains('/') { hi } else { a })
        };
        if a > b {
            return Err(format!("range {} runs backwards", quote(range)));
        }
        let mut v = a;
        while v <= b {
            bits |= 1 << v;
            // A step from the API may be anything: past the end is the end.
            match v.checked_add(step) {
                Some(next) => v = next,
                None => break,
            }
        }
    }
    Ok(bits)
}

impl Cron {
    /// Parses a five-field expression.
    pub fn parse(text: &str) -> Result<Cron, String> {
        let fields: Vec<&str> = text.split_whitespace().collect();
        let [m, h, dom, mon, dow] = fields[..] else {
            return Err(format!(
                "{} is not a cron expression of five fields (minute hour day month weekday)",
                quote(text)
            ));
        };
        let mut weekdays =
            field(dow, 0, 7, &WEEKDAYS, 0).map_err(|e| format!("{e} in {}", quote(text)))?;
        if weekdays & (1 << 7) != 0 {
            weekdays |= 1; // 7 is Sunday too
        }
        Ok(Cron {
            minutes: field(m, 0, 59, &[], 0).map_err(|e| format!("{e} in {}", quote(text)))?,
            hours: field(h, 0, 23, &[], 0).map_err(|e| format!("{e} in {}", quote(text)))?,
            days: field(dom, 1, 31, &[], 0).map_err(|e| format!("{e} in {}", quote(text)))?,
            months: field(mon, 1, 12, &MONTHS, 1).map_err(|e| format!("{e} in {}", quote(text)))?,
            weekdays,
            day_star: dom.starts_with('*'),
            weekday_star: dow.starts_with('*'),
        })
    }

    fn day_matches(&self, d: Date) -> bool {
        if self.months & (1 << d.month() as u32) == 0 {
            return false;
        }
        let dom = self.days & (1 << d.day() as u32) != 0;
        let dow = self.weekdays & (1 << d.weekday().to_sunday_zero_offset() as u32) != 0;
        match (self.day_star, self.weekday_star) {
            (true, true) => true,
            (true, false) => dow,
            (false, true) => dom,
            (false, false) => dom || dow,
        }
    }

    /// The matching (hour, minute) pairs of a day, latest first.
    fn times_desc(&self) -> impl Iterator<Item = (i8, i8)> + '_ {
        (0..24i8).rev().flat_map(move |h| {
            (0..60i8)
                .rev()
                .filter(move |m| self.hours & (1 << h) != 0 && self.minutes & (1 << m) != 0)
                .map(move |m| (h, m))
        })
    }

    /// The last firing at or before `at`, in `tz`.
    pub fn previous(&self, at: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let local = at.to_zoned(tz.clone());
        let mut day = local.date();
        for _ in 0..HORIZON_DAYS {
            if self.day_matches(day) {
                for (h, m) in self.times_desc() {
                    let t = fire(day, h, m, tz)?;
                    if t <= at {
                        return Some(t);
                    }
                }
            }
            day = day.checked_sub(1.day()).ok()?;
        }
        None
    }

    /// The first firing after `at`, in `tz`.
    pub fn next(&self, at: Timestamp, tz: &TimeZone) -> Option<Timestamp> {
        let local = at.to_zoned(tz.clone());
        let mut day = local.date();
        for _ in 0..HORIZON_DAYS {
            if self.day_matches(day) {
                let mut times: Vec<(i8, i8)> = self.times_desc().collect();
                times.reverse();
                for (h, m) in times {
                    let t = fire(day, h, m, tz)?;
                    if t > at {
                        return Some(t);
                    }
                }
            }
            day = day.checked_add(1.day()).ok()?;
        }
        None
    }
}

/// The instant of a local day and time (a time skipped by a DST change fires after it, as
/// cron daemons do).
fn fire(day: Date, h: i8, m: i8, tz: &TimeZone) -> Option<Timestamp> {
    let dt = DateTime::from_parts(day, Time::new(h, m, 0, 0).ok()?);
    tz.to_ambiguous_zoned(dt)
        .compatible()
        .ok()
        .map(|z: Zoned| z.timestamp())
}

/// A GitLab deploy freeze period.
#[derive(Debug, Clone)]
pub struct FreezePeriod {
    pub start: Cron,
    pub end: Cron,
    pub tz: TimeZone,
    /// `freeze_start → freeze_end (zone)`, for messages.
    pub text: String,
}

impl FreezePeriod {
    pub fn new(start: &str, end: &str, zone: &str) -> Result<FreezePeriod, String> {
        let tz = super::time::zone(if zone.is_empty() { "UTC" } else { zone })?;
        Ok(FreezePeriod {
            start: Cron::parse(start)?,
            end: Cron::parse(end)?,
            tz,
            text: format!(
                "`{start}` → `{end}` ({})",
                if zone.is_empty() { "UTC" } else { zone }
            ),
        })
    }

    /// When the freeze active at `now` ends; `None` when it is not active.
    pub fn active_until(&self, now: Timestamp) -> Option<Timestamp> {
        let started = self.start.previous(now, &self.tz)?;
        let ends = self.end.next(started, &self.tz)?;
        (now < ends).then_some(ends)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn fields_names_ranges_lists_and_steps() {
        let c = Cron::parse("*/15 9-17 * JAN,dec mon-fri").unwrap();
        assert_eq!(c.minutes, (1 << 0) | (1 << 15) | (1 << 30) | (1 << 45));
        assert_eq!(c.months, (1 << 1) | (1 << 12));
        assert_eq!(c.weekdays, 0b0111110);
        assert_eq!(Cron::parse("0 0 * * 7").unwrap().weekdays, 1 | (1 << 7));
        assert!(Cron::parse("0 0 * *").unwrap_err().contains("five fields"));
        assert!(Cron::parse("61 0 * * *").unwrap_err().contains("'61'"));
        assert!(Cron::parse("0 0 * * fry").is_err());
        // A huge step ends the range instead of overflowing (and looping).
        assert_eq!(Cron::parse("5/4294967295 * * * *").unwrap().minutes, 1 << 5);
        assert!(Cron::parse("0 5-1 * * *")
            .unwrap_err()
            .contains("backwards"));
    }

    #[test]
    fn previous_and_next_firings() {
        let c = Cron::parse("0 23 * * fri").unwrap();
        let utc = TimeZone::UTC;
        // Wednesday 2026-03-04 12:00 → previous Friday 2026-02-27 23:00.
        assert_eq!(
            c.previous(ts("2026-03-04T12:00:00Z"), &utc),
            Some(ts("2026-02-27T23:00:00Z"))
        );
        assert_eq!(
            c.next(ts("2026-03-04T12:00:00Z"), &utc),
            Some(ts("2026-03-06T23:00:00Z"))
        );
        // At the firing itself: previous is now, next is a week later.
        assert_eq!(
            c.previous(ts("2026-03-06T23:00:00Z"), &utc),
            Some(ts("2026-03-06T23:00:00Z"))
        );
        assert_eq!(
            c.next(ts("2026-03-06T23:00:00Z"), &utc),
            Some(ts("2026-03-13T23:00:00Z"))
        );
    }

    #[test]
    fn weekend_freeze_in_a_zone_across_a_dst_change() {
        // GitLab's documented example: Friday 23:00 to Monday 07:00.
        let f = FreezePeriod::new("0 23 * * 5", "0 7 * * 1", "Europe/London").unwrap();
        // Saturday 28 March 2026 (GMT): frozen until Monday 07:00 BST = 06:00 UTC.
        assert_eq!(
            f.active_until(ts("2026-03-28T12:00:00Z")),
            Some(ts("2026-03-30T06:00:00Z"))
        );
        assert_eq!(
            f.active_until(ts("2026-03-30T05:59:00Z")),
            Some(ts("2026-03-30T06:00:00Z"))
        );
        assert_eq!(f.active_until(ts("2026-03-30T06:00:00Z")), None);
        // Friday 22:59 local (GMT) is before the start.
        assert_eq!(f.active_until(ts("2026-03-27T22:59:00Z")), None);
        assert!(f.active_until(ts("2026-03-27T23:00:00Z")).is_some());
    }

    #[test]
    fn both_day_fields_restricted_match_either() {
        // The 1st of the month or any Monday.
        let c = Cron::parse("0 0 1 * mon").unwrap();
        let utc = TimeZone::UTC;
        // Tue 2026-03-03 → previous Monday 2026-03-02 00:00 (not the 1st, a Sunday).
        assert_eq!(
            c.previous(ts("2026-03-03T12:00:00Z"), &utc),
            Some(ts("2026-03-02T00:00:00Z"))
        );
        assert_eq!(
            c.previous(ts("2026-03-01T12:00:00Z"), &utc),
            Some(ts("2026-03-01T00:00:00Z"))
        );
    }
}
