//! Diagnostics for `.shipgate.yml`: a message at a position, turned into [`Failure`]s that
//! carry the source line with a caret under the culprit, and "did you mean" suggestions.

use crate::error::{Failure, Location};

use super::yaml::Span;

/// One problem in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub span: Span,
    pub message: String,
}

impl Diagnostic {
    /// A problem at `span`.
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            span,
            message: message.into(),
        }
    }
}

/// Turns diagnostics into one failure (exit 2), sorted by position, each with its snippet.
pub fn into_failure(file: &str, source: &str, mut diagnostics: Vec<Diagnostic>) -> Failure {
    diagnostics.sort_by_key(|d| (d.span.line, d.span.col));
    diagnostics.dedup();
    let lines = yaml_lines(source);
    let mut failures: Vec<Failure> = diagnostics
        .into_iter()
        .map(|d| {
            let location = Location {
                file: file.to_string(),
                line: u64::from(d.span.line),
                col: u64::from(d.span.col),
            };
            let snippet = render_snippet(&lines, d.span);
            Failure::input_at("config", location, d.message).with_snippet(snippet)
        })
        .collect();
    if failures.len() == 1 {
        failures.remove(0)
    } else {
        Failure::Many(failures)
    }
}

/// The lines of `source` as YAML counts them: a line ends at `\n`, `\r\n` or a lone `\r`
/// (YAML 1.2 §5.4), so a span's line number finds its line whatever the file's line endings.
pub fn yaml_lines(source: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let bytes = source.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&source[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&source[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < bytes.len() {
        lines.push(&source[start..]);
    }
    lines
}

/// The source line of `span` with a caret line under it:
///
/// ```text
///    |
///  9 |     tierr: stable
///    |     ^^^^^
/// ```
pub fn render_snippet(lines: &[&str], span: Span) -> Option<String> {
    let index = usize::try_from(span.line).ok()?.checked_sub(1)?;
    let full = lines.get(index)?.trim_end_matches('\r');
    let number = span.line.to_string();
    let gutter = " ".repeat(number.len());
    let col = usize::try_from(span.col).unwrap_or(1).max(1);
    // A long line (a 1 MB scalar) is shown as a window around the column.
    let (line, col) = window(full, col);
    let line = line.as_str();
    // Copy tabs from the source so the caret lines up however tabs are shown.
    let lead: String = line
        .chars()
        .take(col - 1)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let available = line.chars().count().saturating_sub(col - 1).max(1);
    let width = usize::try_from(span.len).unwrap_or(1).clamp(1, available);
    Some(format!(
        "{gutter} |\n{number} | {line}\n{gutter} | {lead}{}",
        "^".repeat(width)
    ))
}

/// Characters of a source line shown before and after the column, at most.
const SNIPPET_BEFORE: usize = 60;
const SNIPPET_AFTER: usize = 100;

/// `line` cut to a window around `col` (1-based, in characters) with `…` where it was cut,
/// and the column inside that window. Control characters become spaces.
fn window(line: &str, col: usize) -> (String, usize) {
    let clean = |c: char| if c.is_control() && c != '\t' { ' ' } else { c };
    let count = line.chars().count();
    if count <= SNIPPET_BEFORE + SNIPPET_AFTER {
        return (line.chars().map(clean).collect(), col);
    }
    // A column past the end of the line (a span at a line break) shows the line's end.
    let col = col.min(count + 1);
    let start = col.saturating_sub(1).saturating_sub(SNIPPET_BEFORE);
    let end = (col.saturating_sub(1) + SNIPPET_AFTER).min(count);
    let mut out = String::new();
    let mut col_in = col - start;
    if start > 0 {
        out.push('…');
        col_in += 1;
    }
    out.extend(line.chars().skip(start).take(end - start).map(clean));
    if end < count {
        out.push('…');
    }
    (out, col_in)
}

/// The candidate closest to `word` when it is close enough to be a likely typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word_lower = word.to_lowercase();
    candidates
        .into_iter()
        .filter(|c| *c != word)
        .map(|c| (distance(&word_lower, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= (c.chars().count().max(word.chars().count()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance (small inputs only: names and keys).
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippet_has_line_and_caret_under_the_span() {
        let lines = ["a: 1", "    tierr: stable"];
        let s = render_snippet(
            &lines,
            Span {
                line: 2,
                col: 5,
                len: 5,
            },
        )
        .unwrap();
        assert_eq!(s, "  |\n2 |     tierr: stable\n  |     ^^^^^");
    }

    #[test]
    fn caret_follows_tabs_and_stays_on_the_line() {
        let lines = ["\tx: y"];
        let s = render_snippet(
            &lines,
            Span {
                line: 1,
                col: 5,
                len: 40,
            },
        )
        .unwrap();
        assert_eq!(s, "  |\n1 | \tx: y\n  | \t   ^");
    }

    #[test]
    fn long_lines_are_cut_around_the_column() {
        let long = format!("k: {}", "x".repeat(10_000));
        let lines = [long.as_str()];
        let s = render_snippet(
            &lines,
            Span {
                line: 1,
                col: 5000,
                len: 2,
            },
        )
        .unwrap();
        assert!(s.len() < 400, "{s}");
        let rows: Vec<&str> = s.lines().collect();
        let caret = rows[2].find('^').unwrap();
        assert_eq!(rows[1].chars().nth(caret), Some('x'));
        assert!(
            rows[1].starts_with("1 | …") && rows[1].ends_with('…'),
            "{s}"
        );
    }

    #[test]
    fn suggestions_catch_typos_only() {
        assert_eq!(
            suggest("stabel", ["experimental", "stable"]),
            Some("stable")
        );
        assert_eq!(suggest("tierr", ["tier", "group"]), Some("tier"));
        assert_eq!(suggest("xyz", ["tier", "group"]), None);
        assert_eq!(suggest("Housing", ["housing", "parking"]), Some("housing"));
    }
}
