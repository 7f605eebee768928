//! GitHub Actions: workflow commands, `$GITHUB_OUTPUT`, `$GITHUB_STEP_SUMMARY`.

use super::{append_file, Platform, Report};
use crate::error::{Failure, Location};

/// The largest job summary GitHub accepts from one step.
pub const SUMMARY_LIMIT: usize = 1024 * 1024;

/// Escapes a workflow-command message (as `@actions/core` does).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property value.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// `::error file=..,line=..,col=..::message`.
pub fn error_command(message: &str, location: Option<&Location>) -> String {
    match location {
        Some(loc) => format!(
            "::error file={},line={},col={}::{}",
            escape_property(&loc.file),
            loc.line,
            loc.col,
            escape_data(message)
        ),
        None => format!("::error::{}", escape_data(message)),
    }
}

/// True when `text` could hold a workflow command: the runner reads `::cmd::` at the start
/// of any line after whitespace (and splits lines at a carriage return too), and the legacy
/// `##[cmd]` anywhere in a line. Over-approximated: any `::` counts.
pub fn may_command(text: &str) -> bool {
    memchr::memmem::find(text.as_bytes(), b"::").is_some()
        || memchr::memmem::find(text.as_bytes(), b"##[").is_some()
}

/// True when the runner reads `name` back as the output it is: not empty, and no line
/// break, `=` or `<<` (the runner splits `name=value` at the first `=` and `name<<DELIM` at
/// the first `<<`).
pub fn valid_output_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['\n', '\r', '=']) && !name.contains("<<")
}

/// 32 random hex characters (from the OS; falls back to time and pid).
pub fn random_hex() -> String {
    use ring::rand::SecureRandom as _;
    let mut bytes = [0u8; 16];
    if ring::rand::SystemRandom::new().fill(&mut bytes).is_err() {
        // No OS randomness: time and pid still make a delimiter no value is built to hit.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        bytes = (nanos ^ (u128::from(std::process::id()) << 64)).to_le_bytes();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes outputs in the `name<<DELIMITER` file-command form. The delimiter is random and
/// checked against the value, so no value can end an entry early.
pub fn write_outputs<K: AsRef<str>, V: AsRef<str>>(
    out: &mut impl std::io::Write,
    outputs: &[(K, V)],
) -> std::io::Result<()> {
    for (name, value) in outputs {
        let (name, value) = (name.as_ref(), value.as_ref());
        let mut delimiter = format!("ghadelimiter_{}", random_hex());
        // SIMD substring search: values can total tens of MB.
        let occurs =
            |text: &str, d: &str| memchr::memmem::find(text.as_bytes(), d.as_bytes()).is_some();
        while occurs(value, &delimiter) || occurs(name, &delimiter) {
            delimiter = format!("ghadelimiter_{}", random_hex());
        }
        writeln!(out, "{name}<<{delimiter}")?;
        out.write_all(value.as_bytes())?;
        writeln!(out, "\n{delimiter}")?;
    }
    Ok(())
}

/// [`write_outputs`] into a string.
#[cfg(test)]
pub fn render_outputs(outputs: &[(String, String)]) -> String {
    let mut buf = Vec::new();
    let _ = write_outputs(&mut buf, outputs);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Cuts a summary to GitHub's limit, on a line boundary, with a note saying so.
pub fn bound_summary(summary: &str) -> String {
    if summary.len() <= SUMMARY_LIMIT {
        return summary.to_string();
    }
    const NOTE: &str = "\n\n_(summary truncated at GitHub's 1 MiB limit; see the job log or artifacts for the rest)_\n";
    let mut cut = SUMMARY_LIMIT - NOTE.len();
    while !summary.is_char_boundary(cut) {
        cut -= 1;
    }
    let cut = summary[..cut].rfind('\n').unwrap_or(cut);
    format!("{}{NOTE}", &summary[..cut])
}

fn append_outputs<K: AsRef<str>, V: AsRef<str>>(
    path: &std::path::Path,
    outputs: &[(K, V)],
) -> Result<(), Failure> {
    let fail = |e: std::io::Error| {
        Failure::Operational(anyhow::anyhow!("cannot write {}: {e}", path.display()))
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(fail)?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    write_outputs(&mut out, outputs).map_err(fail)?;
    std::io::Write::flush(&mut out).map_err(fail)
}

pub(super) fn finish(platform: &mut Platform, report: &Report) -> Result<(), Failure> {
    if let Some(summary) = &report.summary {
        let summary = bound_summary(&platform.redact(summary));
        match platform.env_path("GITHUB_STEP_SUMMARY") {
            Some(path) => append_file(&path, summary.as_bytes())?,
            None => platform.info_block(&summary),
        }
    }
    if report.outputs.is_empty() {
        return Ok(());
    }
    match platform.env_path("GITHUB_OUTPUT") {
        // Streamed: outputs can total tens of MB; no second copy in memory.
        Some(path) => {
            let redacted: Vec<(std::borrow::Cow<str>, std::borrow::Cow<str>)> = report
                .outputs
                .iter()
                .map(|(k, v)| (platform.redact_cow(k), platform.redact_cow(v)))
                .collect();
            append_outputs(&path, &redacted)
        }
        None => {
            platform.warning("GITHUB_OUTPUT is not set: outputs are printed instead");
            let text = super::local::render_text(&report.outputs);
            platform.info_block(&text);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_command_escapes_message_and_properties() {
        let loc = Location {
            file: "a,b:c.yml".into(),
            line: 3,
            col: 7,
        };
        assert_eq!(
            error_command("bad\nthing 100%", Some(&loc)),
            "::error file=a%2Cb%3Ac.yml,line=3,col=7::bad%0Athing 100%25"
        );
    }

    #[test]
    fn outputs_use_heredoc_with_unique_delimiter() {
        let text = render_outputs(&[("x".into(), "a\nb".into())]);
        let mut lines = text.lines();
        let head = lines.next().unwrap();
        let delim = head.strip_prefix("x<<").unwrap();
        assert!(delim.starts_with("ghadelimiter_") && delim.len() == 13 + 32);
        assert_eq!(lines.collect::<Vec<_>>(), vec!["a", "b", delim]);
    }

    #[test]
    fn output_names_the_runner_reads_back() {
        for ok in ["web", "tier-stable", "a b", "x_files"] {
            assert!(valid_output_name(ok), "{ok}");
        }
        for bad in ["", "a=b", "a<<b", "a\nb", "a\rb"] {
            assert!(!valid_output_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn summary_is_bounded() {
        let big = "line\n".repeat(SUMMARY_LIMIT / 4);
        let out = bound_summary(&big);
        assert!(out.len() <= SUMMARY_LIMIT);
        assert!(out.contains("truncated"));
    }
}
