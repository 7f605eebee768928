//! A terminal: results on stdout as text or JSON, logs on stderr.

use super::{OutputFormat, Platform, Report};
use crate::error::Failure;

/// `name=value` lines; a multi-line value continues on indented lines.
pub fn render_text(outputs: &[(String, String)]) -> String {
    let mut text = String::new();
    for (name, value) in outputs {
        text.push_str(name);
        text.push('=');
        let mut lines = value.split('\n');
        text.push_str(lines.next().unwrap_or_default());
        for line in lines {
            text.push_str("\n    ");
            text.push_str(line);
        }
        text.push('\n');
    }
    text
}

/// The outputs as one JSON object (or the report's own JSON when it has one).
pub fn render_json(report: &Report) -> String {
    let value = match &report.json {
        Some(v) => v.clone(),
        None => serde_json::Value::Object(
            report
                .outputs
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect(),
        ),
    };
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
}

pub(super) fn finish(platform: &mut Platform, report: &Report) -> Result<(), Failure> {
    let text = match platform.format {
        OutputFormat::Json => render_json(report),
        OutputFormat::Text => {
            let mut t = String::new();
            if let Some(summary) = &report.summary {
                t.push_str(summary);
                t.push('\n');
            }
            t.push_str(&render_text(&report.outputs));
            t
        }
    };
    let text = platform.redact(&text);
    super::write_stdout(text.as_bytes())
}
