//! A waiting gate's progress display. On a terminal one status line is redrawn in place
//! (`⏳ 3m12s waiting · … · next poll in 20s`); everywhere else (CI logs, pipes) a plain
//! line is written when the text changes, plus a heartbeat every 5 minutes, as the gate's
//! wait loop always did. Time comes from the caller (the injectable clock), output goes to
//! any writer, so both modes are tested without sleeping.

use std::io::{self, IsTerminal, Write};
use std::time::Duration;

use jiff::Timestamp;

use super::time::{add, format_duration, until, Clock};
use crate::platform::{Kind, Platform};

/// Plain mode repeats an unchanged line after this long, so a CI log shows the gate is alive.
pub const HEARTBEAT: Duration = Duration::from_secs(300);
/// The status line is redrawn at most this often while its text stays the same.
pub const REDRAW: Duration = Duration::from_millis(250);
/// Carriage return, then ANSI "erase the whole line".
const CLEAR: &str = "\r\x1b[2K";
/// Terminal width assumed when `COLUMNS` is not set.
const DEFAULT_COLUMNS: usize = 80;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// One status line, redrawn in place.
    Terminal,
    /// Plain lines: on change, and a heartbeat every [`HEARTBEAT`].
    Plain,
}

impl Style {
    /// [`Style::Terminal`] when the log goes to a terminal: running locally (the log is
    /// stderr), stderr is a terminal, `TERM` is set and not `dumb`, and `CI` is unset.
    pub fn detect(p: &Platform) -> Style {
        let tty = p.kind == Kind::Local && io::stderr().is_terminal();
        Style::choose(tty, p.env.get("TERM"), p.env.get("CI").is_some())
    }

    fn choose(tty: bool, term: Option<&str>, ci: bool) -> Style {
        if tty && !ci && term.is_some_and(|t| t != "dumb") {
            Style::Terminal
        } else {
            Style::Plain
        }
    }
}

/// The platform's log as a writer, so progress lands where every other log line goes
/// (stdout on CI, stderr locally), in order and with secrets redacted.
pub struct PlatformLog<'a>(pub &'a mut Platform);

impl Write for PlatformLog<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.log_raw(&String::from_utf8_lossy(buf));
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush();
        Ok(())
    }
}

/// The progress of one wait. Dropping it clears the status line.
pub struct Progress<W: Write> {
    out: W,
    style: Style,
    started: Timestamp,
    columns: usize,
    text: String,
    last_heartbeat: Timestamp,
    last_draw: Option<Timestamp>,
    next_poll: Option<Timestamp>,
    /// The status line on screen (terminal only).
    shown: Option<String>,
}

impl<'a> Progress<PlatformLog<'a>> {
    /// Progress for a wait that started at `started`, written to the platform's log, in the
    /// style [`Style::detect`] picks and the width `COLUMNS` gives (80 without it).
    pub fn for_platform(p: &'a mut Platform, started: Timestamp) -> Self {
        let style = Style::detect(p);
        let columns = p
            .env
            .get("COLUMNS")
            .and_then(|c| c.trim().parse().ok())
            .unwrap_or(DEFAULT_COLUMNS);
        Progress::new(PlatformLog(p), style, started).columns(columns)
    }
}

impl<W: Write> Progress<W> {
    /// Progress for a wait that started at `started`, written to `out`.
    pub fn new(out: W, style: Style, started: Timestamp) -> Self {
        Progress {
            out,
            style,
            started,
            columns: DEFAULT_COLUMNS,
            text: String::new(),
            last_heartbeat: started,
            last_draw: None,
            next_poll: None,
            shown: None,
        }
    }

    /// The terminal width the status line is cut to (a wrapped line cannot be redrawn).
    pub fn columns(mut self, columns: usize) -> Self {
        self.columns = columns.max(20);
        self
    }

    /// Shows `text` (e.g. `1/2 approvals (tech-leads ✓, product …)`) at `now`. Plain: one
    /// `Waiting (<elapsed> elapsed): <text>` line when the text changed or [`HEARTBEAT`]
    /// has passed since the last one. Terminal: redraws the status line when the text
    /// changed or [`REDRAW`] has passed.
    pub fn update(&mut self, text: &str, now: Timestamp) {
        match self.style {
            Style::Plain => {
                if text != self.text || until(self.last_heartbeat, now) >= HEARTBEAT {
                    let elapsed = format_duration(until(self.started, now));
                    self.write(&format!("Waiting ({elapsed} elapsed): {text}\n"));
                    self.text = text.to_string();
                    self.last_heartbeat = now;
                }
            }
            Style::Terminal => {
                let changed = text != self.text;
                if changed {
                    self.text = text.to_string();
                }
                if changed || self.due(now) {
                    self.draw(now);
                }
            }
        }
    }

    /// When the next poll happens (shown as a countdown on a terminal); `None` hides it.
    #[cfg(test)]
    pub fn next_poll(&mut self, at: Option<Timestamp>) {
        self.next_poll = at;
    }

    /// Redraws the status line if [`REDRAW`] has passed (elapsed time, countdown). Plain:
    /// nothing.
    pub fn tick(&mut self, now: Timestamp) {
        if self.style == Style::Terminal && self.due(now) {
            self.draw(now);
        }
    }

    /// Sleeps `pause` on `clock` with a countdown to the next poll: on a terminal in
    /// [`REDRAW`] steps, redrawing; otherwise in one sleep.
    pub async fn sleep(&mut self, clock: &Clock, pause: Duration) {
        let end = add(clock.now(), pause);
        self.next_poll = Some(end);
        match self.style {
            Style::Plain => clock.sleep(pause).await,
            Style::Terminal => loop {
                let now = clock.now();
                let left = until(now, end);
                if left.is_zero() {
                    break;
                }
                self.tick(now);
                clock.sleep(left.min(REDRAW)).await;
            },
        }
        self.next_poll = None;
    }

    /// Prints a normal line: clears the status line, writes `text`, redraws the status.
    #[cfg(test)]
    pub fn line(&mut self, text: &str) {
        let mut buf = String::new();
        if self.shown.is_some() {
            buf.push_str(CLEAR);
        }
        buf.push_str(text);
        buf.push('\n');
        if let Some(status) = &self.shown {
            buf.push_str(status);
        }
        self.write(&buf);
    }

    /// Runs `f` on the writer with the status line cleared, then redraws it: for output
    /// formatted elsewhere (e.g. `|log| log.0.warning(..)` with a [`PlatformLog`]).
    pub fn interrupt<R>(&mut self, f: impl FnOnce(&mut W) -> R) -> R {
        if self.shown.is_some() {
            self.write(CLEAR);
        }
        let result = f(&mut self.out);
        match self.shown.clone() {
            Some(status) => self.write(&status),
            None => {
                let _ = self.out.flush();
            }
        }
        result
    }

    /// Clears the status line (before the outcome is printed). Also done on drop.
    pub fn finish(&mut self) {
        if self.shown.take().is_some() {
            self.write(CLEAR);
        }
    }

    fn due(&self, now: Timestamp) -> bool {
        self.last_draw.is_none_or(|last| until(last, now) >= REDRAW)
    }

    fn draw(&mut self, now: Timestamp) {
        self.last_draw = Some(now);
        let status = self.status(now);
        if self.shown.as_deref() == Some(status.as_str()) {
            return;
        }
        self.write(&format!("{CLEAR}{status}"));
        self.shown = Some(status);
    }

    /// `⏳ <elapsed> waiting · <text> · next poll in <n>s`, the text cut to fit the width.
    fn status(&self, now: Timestamp) -> String {
        let head = format!("⏳ {} waiting", format_duration(until(self.started, now)));
        let tail = match self.next_poll {
            Some(at) => match until(now, at) {
                left if left.is_zero() => " · polling".to_string(),
                left => format!(
                    " · next poll in {}",
                    format_duration(Duration::from_secs(
                        u64::try_from(left.as_millis().div_ceil(1000)).unwrap_or(u64::MAX)
                    ))
                ),
            },
            None => String::new(),
        };
        if self.text.is_empty() {
            return format!("{head}{tail}");
        }
        // The hourglass takes two cells; one cell stays free so the cursor never wraps.
        let fixed = head.chars().count() + 1 + tail.chars().count() + " · ".chars().count() + 1;
        let room = self.columns.saturating_sub(fixed);
        let text = if self.text.chars().count() <= room {
            self.text.clone()
        } else {
            let mut cut: String = self.text.chars().take(room.saturating_sub(1)).collect();
            cut.push('…');
            cut
        };
        format!("{head} · {text}{tail}")
    }

    /// Progress output must never fail the gate: write errors are ignored.
    fn write(&mut self, text: &str) {
        let _ = self.out.write_all(text.as_bytes());
        let _ = self.out.flush();
    }
}

impl<W: Write> Drop for Progress<W> {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> Timestamp {
        "2026-05-04T10:00:00Z".parse().unwrap()
    }

    fn at(secs: f64) -> Timestamp {
        add(t0(), Duration::from_secs_f64(secs))
    }

    fn output(p: &Progress<Vec<u8>>) -> String {
        String::from_utf8(p.out.clone()).unwrap()
    }

    fn take(p: &mut Progress<Vec<u8>>) -> String {
        let text = output(p);
        p.out.clear();
        text
    }

    #[test]
    fn the_terminal_style_needs_a_tty_a_real_term_and_no_ci() {
        assert_eq!(
            Style::choose(true, Some("xterm-256color"), false),
            Style::Terminal
        );
        assert_eq!(Style::choose(false, Some("xterm"), false), Style::Plain);
        assert_eq!(Style::choose(true, None, false), Style::Plain);
        assert_eq!(Style::choose(true, Some("dumb"), false), Style::Plain);
        assert_eq!(Style::choose(true, Some("xterm"), true), Style::Plain);
    }

    #[test]
    fn plain_lines_on_change_and_a_heartbeat_every_five_minutes() {
        let mut p = Progress::new(Vec::new(), Style::Plain, t0());
        p.update("… tech-leads (0/1)", at(0.0));
        p.update("… tech-leads (0/1)", at(60.0));
        p.update("… tech-leads (0/1)", at(299.0));
        assert_eq!(take(&mut p), "Waiting (0s elapsed): … tech-leads (0/1)\n");
        p.update("… tech-leads (0/1)", at(300.0));
        assert_eq!(take(&mut p), "Waiting (5m elapsed): … tech-leads (0/1)\n");
        p.update("✓ tech-leads (1/1)", at(312.0));
        p.update("✓ tech-leads (1/1)", at(600.0));
        assert_eq!(
            take(&mut p),
            "Waiting (5m12s elapsed): ✓ tech-leads (1/1)\n"
        );
        p.update("✓ tech-leads (1/1)", at(612.0));
        assert_eq!(
            take(&mut p),
            "Waiting (10m12s elapsed): ✓ tech-leads (1/1)\n"
        );
        p.line("poll failed");
        p.tick(at(900.0));
        p.next_poll(Some(at(920.0)));
        p.finish();
        assert_eq!(
            take(&mut p),
            "poll failed\n",
            "no control codes in plain mode"
        );
    }

    #[test]
    fn the_terminal_line_is_redrawn_in_place_at_most_every_250ms() {
        let mut p = Progress::new(Vec::new(), Style::Terminal, t0());
        p.update("1/2 approvals", at(0.0));
        assert_eq!(take(&mut p), "\r\x1b[2K⏳ 0s waiting · 1/2 approvals");
        p.update("1/2 approvals", at(0.1));
        assert_eq!(take(&mut p), "", "unchanged and too soon");
        p.update("2/2 approvals", at(0.2));
        assert_eq!(
            take(&mut p),
            "\r\x1b[2K⏳ 0s waiting · 2/2 approvals",
            "a new text is drawn at once"
        );
        p.update("2/2 approvals", at(1.5));
        assert_eq!(take(&mut p), "\r\x1b[2K⏳ 1s waiting · 2/2 approvals");
        p.update("2/2 approvals", at(1.9));
        assert_eq!(take(&mut p), "", "nothing visible changed");
    }

    #[test]
    fn a_line_goes_above_the_status_and_finish_clears_it() {
        let mut p = Progress::new(Vec::new(), Style::Terminal, t0());
        p.update("waiting for product", at(0.0));
        take(&mut p);
        p.line("warning: poll failed");
        assert_eq!(
            take(&mut p),
            "\r\x1b[2Kwarning: poll failed\n⏳ 0s waiting · waiting for product"
        );
        let got = p.interrupt(|out| {
            out.extend_from_slice(b"elsewhere\n");
            7
        });
        assert_eq!(got, 7);
        assert_eq!(
            take(&mut p),
            "\r\x1b[2Kelsewhere\n⏳ 0s waiting · waiting for product"
        );
        p.finish();
        assert_eq!(take(&mut p), "\r\x1b[2K");
        p.finish();
        assert_eq!(take(&mut p), "", "cleared once");
    }

    #[test]
    fn dropping_clears_the_status_line() {
        let mut buf = Vec::new();
        {
            let mut p = Progress::new(&mut buf, Style::Terminal, t0());
            p.update("x", at(0.0));
        }
        assert!(String::from_utf8(buf).unwrap().ends_with("x\r\x1b[2K"));
    }

    #[test]
    fn the_countdown_and_the_width() {
        let text = "1/2 approvals (tech-leads ✓, product …)";
        let mut p = Progress::new(Vec::new(), Style::Terminal, t0()).columns(200);
        p.next_poll(Some(at(200.0)));
        p.update(text, at(192.4));
        assert_eq!(
            take(&mut p),
            "\r\x1b[2K⏳ 3m12s waiting · 1/2 approvals (tech-leads ✓, product …) · next poll in 8s"
        );
        p.tick(at(201.0));
        assert_eq!(
            take(&mut p),
            "\r\x1b[2K⏳ 3m21s waiting · 1/2 approvals (tech-leads ✓, product …) · polling"
        );

        let mut narrow = Progress::new(Vec::new(), Style::Terminal, t0()).columns(50);
        narrow.next_poll(Some(at(200.0)));
        narrow.update(text, at(192.0));
        let status = narrow.shown.clone().unwrap();
        assert_eq!(status.chars().count() + 2, 50, "{status}");
        assert!(status.starts_with("⏳ 3m12s waiting · 1/2"), "{status}");
        assert!(status.ends_with("… · next poll in 8s"), "{status}");
    }

    #[tokio::test]
    async fn sleeping_counts_down_on_a_terminal_only() {
        // 20 simulated seconds pass in a few milliseconds.
        let clock = Clock::new(Some(t0()), 2000.0);
        let mut p = Progress::new(Vec::new(), Style::Terminal, t0());
        p.update("1/2 approvals", clock.now());
        take(&mut p);
        p.sleep(&clock, Duration::from_secs(20)).await;
        let drawn = take(&mut p);
        assert!(drawn.contains("next poll in"), "{drawn:?}");
        assert!(!drawn.contains('\n'));
        assert_eq!(p.next_poll, None);

        let mut plain = Progress::new(Vec::new(), Style::Plain, t0());
        plain.update("1/2 approvals", clock.now());
        take(&mut plain);
        plain.sleep(&clock, Duration::from_secs(20)).await;
        assert_eq!(take(&mut plain), "");
    }
}
