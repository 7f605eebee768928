//! GitLab CI: log sections, the dotenv report and the JSON artifact.
//!
//! GitLab cannot mask at run time, so nothing here prints a secret: all text goes through
//! [`Platform::redact`].

use super::{write_file, Platform, Report};
use crate::error::Failure;

/// GitLab's default limit on the number of variables in one dotenv report.
pub const DOTENV_MAX_VARIABLES: usize = 20;
/// GitLab's default limit on the size of one dotenv report.
pub const DOTENV_MAX_BYTES: usize = 5 * 1024;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// A section name GitLab accepts: `[A-Za-z0-9_.-]`.
fn section_id(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_.-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Opens a collapsible section.
pub fn section_start(name: &str) -> String {
    format!(
        "\x1b[0Ksection_start:{}:{}[collapsed=true]\r\x1b[0K{}",
        now(),
        section_id(name),
        name
    )
}

/// Closes a section.
pub fn section_end(name: &str) -> String {
    format!("\x1b[0Ksection_end:{}:{}\r\x1b[0K", now(), section_id(name))
}

/// A dotenv variable name: letters, digits and `_` only.
pub fn dotenv_key(prefix: &str, name: &str) -> String {
    let mut key: String = format!("{prefix}{name}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if key.starts_with(|c: char| c.is_ascii_digit()) {
        key.insert(0, '_');
    }
    key
}

/// Renders the dotenv report from outputs whose values fit on one line, within GitLab's
/// count and size limits. Returns the text and the names that did not fit.
pub fn render_dotenv(prefix: &str, outputs: &[(String, String)]) -> (String, Vec<String>) {
    let mut text = String::new();
    let mut left_out = Vec::new();
    let mut count = 0;
    for (name, value) in outputs {
        let line = format!("{}={}\n", dotenv_key(prefix, name), value);
        if value.contains('\n')
            || count >= DOTENV_MAX_VARIABLES
            || text.len() + line.len() > DOTENV_MAX_BYTES
        {
            left_out.push(name.clone());
            continue;
        }
        text.push_str(&line);
        count += 1;
    }
    (text, left_out)
}

pub(super) fn finish(platform: &mut Platform, report: &Report) -> Result<(), Failure> {
    let sinks = platform.gitlab.clone();
    if let Some(path) = &sinks.json {
        let json = super::local::render_json(report);
        write_file(path, platform.redact(&json).as_bytes())?;
    }
    if let Some(path) = &sinks.dotenv {
        let (text, left_out) = render_dotenv(&sinks.dotenv_prefix, &report.outputs);
        write_file(path, platform.redact(&text).as_bytes())?;
        if !left_out.is_empty() {
            let where_ = sinks
                .json
                .as_ref()
                .map(|p| format!(" (all of them are in {})", p.display()))
                .unwrap_or_default();
            platform.info(&format!(
                "dotenv: {} output(s) left out (multi-line or over GitLab's {} variables / {} bytes){where_}",
                left_out.len(),
                DOTENV_MAX_VARIABLES,
                DOTENV_MAX_BYTES
            ));
        }
    }
    if let Some(summary) = &report.summary {
        platform.info_block(summary);
    }
    platform.info_block(&super::local::render_text(&report.outputs));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_keys_are_sanitised() {
        assert_eq!(dotenv_key("SHIPGATE_", "web-app"), "SHIPGATE_web_app");
        assert_eq!(dotenv_key("", "2fa"), "_2fa");
    }

    #[test]
    fn dotenv_skips_multiline_and_respects_count() {
        let outs: Vec<(String, String)> = (0..30)
            .map(|i| (format!("f{i}"), "true".to_string()))
            .collect();
        let (text, left) = render_dotenv("", &outs);
        assert_eq!(text.lines().count(), DOTENV_MAX_VARIABLES);
        assert_eq!(left.len(), 10);
        let (text, left) = render_dotenv("", &[("a".into(), "x\ny".into())]);
        assert!(text.is_empty());
        assert_eq!(left, vec!["a"]);
    }
}
