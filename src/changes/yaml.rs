//! What the detect-changes YAML loaders (filters, child-pipeline templates) share: reading
//! a file — a pipe or `/dev/fd/N` too — as UTF-8 with the position of a bad byte, one
//! budget of expanded bytes, and one-line messages without the parser's advice.

use std::io::Read;
use std::path::Path;

use crate::error::{quote, Failure, Location};

/// The most bytes of scalar text a YAML document may expand to, aliases included. A 1 MB
/// anchor aliased 10,000 times would be 10 GB; this stops it after 64 MiB.
pub const MAX_EXPANDED_BYTES: usize = 64 * 1024 * 1024;

/// The largest file read (a filters file or template is kilobytes; `/dev/zero` is not).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Parser options with the expanded-bytes budget (and the library's other limits).
pub fn options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_total_scalar_bytes = MAX_EXPANDED_BYTES;
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    options
}

/// A parse error as (line, column, one-line message), 1-based.
pub fn error(e: &serde_saphyr::Error) -> (u64, u64, String) {
    let (line, col) = e
        .location()
        .map(|l| (l.line(), l.column()))
        .unwrap_or((1, 1));
    // The error itself, without the alias and snippet wrappers (their text repeats the
    // positions, over several lines).
    let mut inner = e;
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = inner
    {
        inner = error;
    }
    let message = match inner {
        serde_saphyr::Error::Budget { breach, .. } => match breach {
            serde_saphyr::budget::BudgetBreach::ScalarBytes { .. } => format!(
                "the YAML expands to more than {} MiB of text (an anchor of a long value aliased many times?)",
                MAX_EXPANDED_BYTES >> 20
            ),
            other => format!("the YAML exceeds a parser limit ({other:?})"),
        },
        other => first_line(&other.to_string()),
    };
    (line, col, message)
}

/// The first line of a YAML error without its position (we print our own) or the
/// library's advice.
pub fn first_line(text: &str) -> String {
    let mut line = text.lines().next().unwrap_or(text).trim().to_string();
    if let Some(rest) = line.strip_prefix("error: ") {
        line = rest.to_string();
    }
    // "line 3 column 12: msg" prefix, or " at line 3, column 12" suffix.
    if line.starts_with("line ") {
        if let Some(i) = line.find(": ") {
            line = line[i + 2..].to_string();
        }
    }
    if let Some(i) = line.rfind(" at line ") {
        line.truncate(i);
    }
    if let Some(i) = line.find(", set DuplicateKeyPolicy") {
        line.truncate(i);
    }
    line
}

/// Reads the file `input` names (`shown` as the user wrote it): any readable path, pipes
/// included, at most [`MAX_FILE_BYTES`], as UTF-8. Problems are exit 2 naming the input;
/// a bad byte has its line and column.
pub fn read(path: &Path, shown: &str, input: &str) -> Result<String, Failure> {
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Failure::input(
            input,
            format!("Configuration file {} not found", quote(shown)),
        ),
        _ => Failure::input(input, format!("cannot read {}: {e}", quote(shown))),
    })?;
    if meta.is_dir() {
        return Err(Failure::input(
            input,
            format!("{} is a directory, not a file", quote(shown)),
        ));
    }
    let cannot =
        |e: std::io::Error| Failure::input(input, format!("cannot read {}: {e}", quote(shown)));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(Failure::input(
            input,
            format!(
                "{} is larger than {} MiB",
                quote(shown),
                MAX_FILE_BYTES >> 20
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let valid = e.utf8_error().valid_up_to();
        let (line, col) = position(&bytes[..valid]);
        Failure::input_at(
            input,
            Location {
                file: shown.to_string(),
                line,
                col,
            },
            format!(
                "invalid UTF-8 (byte 0x{:02x}); save the file as UTF-8",
                bytes.get(valid).copied().unwrap_or_default()
            ),
        )
    })
}

/// The 1-based (line, column) just after `prefix` (valid UTF-8), columns in characters.
fn position(prefix: &[u8]) -> (u64, u64) {
    let text = std::str::from_utf8(prefix).unwrap_or_default();
    let line = text.matches('\n').count() as u64 + 1;
    let last = text.rfind('\n').map(|i| &text[i + 1..]).unwrap_or(text);
    (line, last.chars().count() as u64 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_bytes_have_a_line_and_column() {
        assert_eq!(position(b""), (1, 1));
        assert_eq!(position("a: 'é".as_bytes()), (1, 6));
        assert_eq!(position(b"a: x\nb: '"), (2, 5));
    }
}
