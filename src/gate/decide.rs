//! The decision: approvals plus the time rules (windows, freezes, wait timer, soak),
//! as a pure function of their states and `now`. Each rule becomes one row of the job
//! summary, held or not, with why.

use std::fmt::Write as _;
use std::time::Duration;

use jiff::Timestamp;

use super::policy::{Evaluation, Standing};
use super::time::{add, format_duration, until, Freeze, Window};

/// The state of one rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// The rule holds.
    Held,
    /// The rule fails: the gate cannot pass now (a decision against proceeding).
    Failed,
    /// The rule will hold at this instant (or when people act, when `None`).
    Waiting(Option<Timestamp>),
}

/// One rule of the decision, explained.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub mark: Mark,
    pub rule: String,
    pub detail: String,
}

/// Where the earlier environment stands for the `after` rule (read from the deployment
/// records by [`crate::ledger`]).
pub use crate::ledger::Soak;

/// Everything the time rules need.
#[derive(Debug, Clone, Default)]
pub struct TimeRules<'a> {
    pub windows: &'a [Window],
    pub freezes: &'a [Freeze],
    /// A freeze the platform reports (GitLab `CI_DEPLOY_FREEZE`, freeze periods).
    pub platform_freeze: Option<String>,
    pub wait: Option<Duration>,
    pub requested: Option<Timestamp>,
    pub after: Option<(String, Duration, Soak)>,
}

/// The outcome of a gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Approved,
    Denied,
    /// Outside a window, frozen, or the earlier environment not ready.
    Blocked,
    /// Approvals missing, or timers running (until the instant, when known).
    Pending(Option<Timestamp>),
}

impl Outcome {
    /// The `approval-status` output.
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Approved => "approved",
            Outcome::Denied => "denied",
            Outcome::Blocked => "blocked",
            Outcome::Pending(_) => "pending",
        }
    }
}

/// Rows for the time rules at `now`.
pub fn time_rows(rules: &TimeRules<'_>, now: Timestamp) -> Vec<Row> {
    let mut rows = Vec::new();
    if !rules.windows.is_empty() {
        let open: Vec<&Window> = rules.windows.iter().filter(|w| w.contains(now)).collect();
        let texts: Vec<&str> = rules.windows.iter().map(|w| w.text.as_str()).collect();
        let local = rules.windows[0].local(now);
        rows.push(Row {
            mark: if open.is_empty() {
                Mark::Failed
            } else {
                Mark::Held
            },
            rule: format!("deployment window: {}", texts.join(" or ")),
            detail: match open.first() {
                Some(w) => format!("inside `{}` (now {})", w.text, w.local(now)),
                None => format!("outside every window (now {local})"),
            },
        });
    }
    let active: Vec<&Freeze> = rules.freezes.iter().filter(|f| f.contains(now)).collect();
    if !rules.freezes.is_empty() || rules.platform_freeze.is_some() {
        let mut reasons: Vec<String> = active.iter().map(|f| f.describe()).collect();
        reasons.extend(rules.platform_freeze.clone());
        rows.push(Row {
            mark: if reasons.is_empty() {
                Mark::Held
            } else {
                Mark::Failed
            },
            rule: "no freeze".into(),
            detail: if reasons.is_empty() {
                format!("not in any of {} freeze period(s)", rules.freezes.len())
            } else {
                format!("frozen: {}", reasons.join("; "))
            },
        });
    }
    if let (Some(wait), Some(requested)) = (rules.wait, rules.requested) {
        let ends = add(requested, wait);
        rows.push(Row {
            mark: if now >= ends {
                Mark::Held
            } else {
                Mark::Waiting(Some(ends))
            },
            rule: format!("wait timer {}", format_duration(wait)),
            detail: if now >= ends {
                format!("ended at {ends}")
            } else {
                format!("{} left (ends {ends})", format_duration(until(now, ends)))
            },
        });
    }
    if let Some((env, soak, state)) = &rules.after {
        let rule = format!("after `{env}` for {}", format_duration(*soak));
        rows.push(match state {
            Soak::Missing(why) => Row {
                mark: Mark::Failed,
                rule,
                detail: why.clone(),
            },
            Soak::Since(at) => {
                let ends = add(*at, *soak);
                Row {
                    mark: if now >= ends {
                        Mark::Held
                    } else {
                        Mark::Waiting(Some(ends))
                    },
                    rule,
                    detail: if now >= ends {
                        format!(
                            "deployed successfully at {at}, {} ago",
                            format_duration(until(*at, now))
                        )
                    } else {
                        format!(
                            "deployed at {at}; soaking for {} more",
                            format_duration(until(now, ends))
                        )
                    },
                }
            }
        });
    }
    rows
}

/// The failed rules, each `rule: why`, joined for a message.
pub fn failed_reasons(rows: &[Row]) -> String {
    rows.iter()
        .filter(|r| r.mark == Mark::Failed)
        .map(|r| format!("{}: {}", r.rule, r.detail))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Combines approvals and time rules. A failed time rule blocks even an approved request;
/// a denial wins over waiting timers.
pub fn decide(eval: Option<&Evaluation>, rows: &[Row]) -> Outcome {
    if rows.iter().any(|r| r.mark == Mark::Failed) {
        return Outcome::Blocked;
    }
    match eval.map(|e| e.standing) {
        Some(Standing::Denied) => return Outcome::Denied,
        Some(Standing::Pending) => return Outcome::Pending(None),
        _ => {}
    }
    let waits: Vec<Timestamp> = rows
        .iter()
        .filter_map(|r| match r.mark {
            Mark::Waiting(t) => t,
            _ => None,
        })
        .collect();
    match waits.into_iter().max() {
        Some(t) => Outcome::Pending(Some(t)),
        None => Outcome::Approved,
    }
}

/// The Markdown job summary of a decision.
/// `ended`: the gate stopped waiting (denied, blocked, timed out): approvals that did not
/// hold are shown failed, not waited for.
pub fn summary(
    title: &str,
    outcome_text: &str,
    lines: &[String],
    eval: Option<&Evaluation>,
    rows: &[Row],
    ended: bool,
) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "## {title}: {outcome_text}\n");
    for l in lines {
        let _ = writeln!(md, "{l}  ");
    }
    let _ = writeln!(md, "\n| | Rule | Why |\n|---|---|---|");
    if let Some(e) = eval {
        md.push_str(&e.explain(ended));
    }
    for r in rows {
        let mark = match r.mark {
            Mark::Held => "✅",
            Mark::Failed => "❌",
            Mark::Waiting(_) => "⏳",
        };
        let _ = writeln!(md, "| {mark} | {} | {} |", r.rule, r.detail);
    }
    if let Some(e) = eval {
        if !e.approvals.is_empty() {
            let _ = writeln!(
                md,
                "\n**Approved by**\n\n| Who | When | Reason |\n|---|---|---|"
            );
            for d in &e.approvals {
                let _ = writeln!(
                    md,
                    "| [@{}]({}) | {} | {} |",
                    d.login,
                    d.comment_url,
                    d.time,
                    one_line(&d.reason)
                );
            }
        }
        if !e.denials.is_empty() {
            let _ = writeln!(
                md,
                "\n**Denied by**\n\n| Who | When | Reason |\n|---|---|---|"
            );
            for d in &e.denials {
                let _ = writeln!(
                    md,
                    "| [@{}]({}) | {} | {} |",
                    d.login,
                    d.comment_url,
                    d.time,
                    one_line(&d.reason)
                );
            }
        }
        if !e.ignored.is_empty() {
            let _ = writeln!(md, "\n**Not counted**\n");
            for (who, url, why) in &e.ignored {
                let _ = writeln!(md, "- [@{who}]({url}): {why}");
            }
        }
    }
    md
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r'], " ").replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn wait_timer_and_soak_hold_until_their_instants() {
        let rules = TimeRules {
            wait: Some(Duration::from_secs(1800)),
            requested: Some(ts("2026-03-02T10:00:00Z")),
            after: Some((
                "staging".into(),
                Duration::from_secs(3600),
                Soak::Since(ts("2026-03-02T09:30:00Z")),
            )),
            ..Default::default()
        };
        let rows = time_rows(&rules, ts("2026-03-02T10:20:00Z"));
        assert_eq!(
            rows[0].mark,
            Mark::Waiting(Some(ts("2026-03-02T10:30:00Z")))
        );
        assert_eq!(rows[0].detail, "10m left (ends 2026-03-02T10:30:00Z)");
        assert_eq!(
            rows[1].mark,
            Mark::Waiting(Some(ts("2026-03-02T10:30:00Z")))
        );
        let rows = time_rows(&rules, ts("2026-03-02T10:30:00Z"));
        assert!(rows.iter().all(|r| r.mark == Mark::Held));
        assert_eq!(
            rows[1].detail,
            "deployed successfully at 2026-03-02T09:30:00Z, 1h ago"
        );
    }

    #[test]
    fn soak_across_the_us_dst_change_counts_real_hours() {
        // 2026-03-08 02:00 America/New_York jumps to 03:00: 01:30 EST → 03:30 EDT is 1 hour.
        let deployed = ts("2026-03-08T06:30:00Z"); // 01:30 EST
        let rules = TimeRules {
            after: Some((
                "staging".into(),
                Duration::from_secs(3600),
                Soak::Since(deployed),
            )),
            ..Default::default()
        };
        let at_0330_edt = ts("2026-03-08T07:30:00Z");
        assert_eq!(time_rows(&rules, at_0330_edt)[0].mark, Mark::Held);
        assert!(matches!(
            time_rows(&rules, ts("2026-03-08T07:29:59Z"))[0].mark,
            Mark::Waiting(_)
        ));
    }

    #[test]
    fn a_failed_rule_blocks_and_missing_deploy_fails() {
        let windows = [Window::parse("Mon-Fri 09:00-17:00 Europe/Berlin", "UTC").unwrap()];
        let freezes =
            [Freeze::parse_line("2026-12-20..2027-01-04 holidays", "Europe/Berlin").unwrap()];
        let rules = TimeRules {
            windows: &windows,
            freezes: &freezes,
            after: Some((
                "staging".into(),
                Duration::ZERO,
                Soak::Missing("never deployed".into()),
            )),
            ..Default::default()
        };
        // Saturday: outside the window.
        let rows = time_rows(&rules, ts("2026-03-07T10:00:00Z"));
        assert_eq!(rows[0].mark, Mark::Failed);
        assert_eq!(
            rows[0].detail,
            "outside every window (now Sat 11:00 Europe/Berlin)"
        );
        assert_eq!(rows[1].mark, Mark::Held);
        assert_eq!(rows[2].mark, Mark::Failed);
        assert_eq!(decide(None, &rows), Outcome::Blocked);
        let rows = time_rows(&rules, ts("2026-12-21T10:00:00Z"));
        assert_eq!(rows[1].detail, "frozen: 2026-12-20..2027-01-04 (holidays)");
    }
}
