//! Size limits of each target, and truncation that says so with a link to the run.
//!
//! Built-in layouts cut long fields as they are built ([`cut`]); every payload, built-in or
//! templated, then goes through its target's final check here, so nothing is sent that the
//! target would reject or silently shorten.

use serde_json::Value;

/// Slack: blocks per message.
pub const SLACK_MAX_BLOCKS: usize = 50;
/// Slack: text of a section block.
pub const SLACK_SECTION_TEXT: usize = 3000;
/// Slack: text of one section field.
pub const SLACK_FIELD_TEXT: usize = 2000;
/// Slack: fields per section.
pub const SLACK_MAX_FIELDS: usize = 10;
/// Slack: text of a header block.
pub const SLACK_HEADER_TEXT: usize = 150;
/// Slack: elements of a context block.
pub const SLACK_MAX_CONTEXT_ELEMENTS: usize = 10;
/// Slack: the top-level `text` (Slack advises 4,000; it cuts at 40,000 without saying so).
pub const SLACK_TEXT: usize = 4000;
/// Teams Workflows webhooks refuse bodies over about 28 KB (HTTP 413).
pub const TEAMS_BYTES: usize = 28_000;
/// GitHub issue and pull-request comments.
pub const GITHUB_COMMENT_CHARS: usize = 65_536;
/// GitHub job summary per step.
pub const GITHUB_SUMMARY_BYTES: usize = 1024 * 1024;
/// GitLab notes.
pub const GITLAB_NOTE_CHARS: usize = 1_000_000;
/// Commit-status and deployment-status descriptions.
pub const STATUS_DESCRIPTION_CHARS: usize = 140;

/// `text` cut to at most `max` characters; when cut, it ends with `suffix` (which counts
/// toward `max`).
pub fn cut(text: &str, max: usize, suffix: &str) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let keep = max.saturating_sub(suffix.chars().count());
    let mut out: String = text.chars().take(keep).collect();
    out.push_str(suffix);
    out
}

/// `text` cut to at most `max` bytes on a character boundary, ending with `suffix` when cut.
pub fn cut_bytes(text: &str, max: usize, suffix: &str) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max.saturating_sub(suffix.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{suffix}", &text[..end])
}

/// The note that ends a cut text, in plain words with the run's URL.
pub fn plain_note(run_url: Option<&str>) -> String {
    match run_url {
        Some(u) => format!("… (truncated; see {u})"),
        None => "… (truncated)".to_string(),
    }
}

/// The note that ends a cut text, as a Markdown link to the run.
pub fn markdown_note(run_url: Option<&str>) -> String {
    match run_url {
        Some(u) => format!("… [(truncated: see the run)]({u})"),
        None => "… (truncated)".to_string(),
    }
}

/// The note that ends a cut text, as a Slack link to the run.
pub fn slack_note(run_url: Option<&str>) -> String {
    match run_url {
        Some(u) => format!("… <{u}|(truncated: see the run)>"),
        None => "… (truncated)".to_string(),
    }
}

/// Makes a Slack message fit: header, section and field texts, field and context-element
/// counts, the number of blocks (a last context block says what was left out) and the
/// top-level text.
pub fn fit_slack(message: &mut Value, run_url: Option<&str>) {
    let note = slack_note(run_url);
    if let Some(text) = message.get_mut("text") {
        cut_in_place(text, SLACK_TEXT, &note);
    }
    let Some(blocks) = message.get_mut("blocks").and_then(Value::as_array_mut) else {
        return;
    };
    for block in blocks.iter_mut() {
        let kind = block
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default();
        match kind {
            "header" => {
                if let Some(t) = block.pointer_mut("/text/text") {
                    cut_in_place(t, SLACK_HEADER_TEXT, "…");
                }
            }
            "section" => {
                if let Some(t) = block.pointer_mut("/text/text") {
                    cut_in_place(t, SLACK_SECTION_TEXT, &note);
                }
                if let Some(fields) = block.get_mut("fields").and_then(Value::as_array_mut) {
                    fields.truncate(SLACK_MAX_FIELDS);
                    for f in fields.iter_mut() {
                        if let Some(t) = f.get_mut("text") {
                            cut_in_place(t, SLACK_FIELD_TEXT, &note);
                        }
                    }
                }
            }
            "context" => {
                if let Some(els) = block.get_mut("elements").and_then(Value::as_array_mut) {
                    els.truncate(SLACK_MAX_CONTEXT_ELEMENTS);
                    for e in els.iter_mut() {
                        if let Some(t) = e.get_mut("text") {
                            cut_in_place(t, SLACK_FIELD_TEXT, &note);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    if blocks.len() > SLACK_MAX_BLOCKS {
        let left_out = blocks.len() - (SLACK_MAX_BLOCKS - 1);
        blocks.truncate(SLACK_MAX_BLOCKS - 1);
        blocks.push(serde_json::json!({
            "type": "context",
            "elements": [{
                "type": "mrkdwn",
                "text": format!("{left_out} more block(s) left out (Slack shows at most {SLACK_MAX_BLOCKS}) {note}"),
            }],
        }));
    }
}

fn cut_in_place(value: &mut Value, max: usize, note: &str) {
    if let Value::String(s) = value {
        if s.chars().count() > max {
            *s = cut(s, max, note);
        }
    }
}

/// Keys whose string values may be shortened to make a JSON payload fit (free text; never
/// types, URLs or ids).
const TEXT_KEYS: [&str; 6] = ["text", "value", "title", "message", "body", "description"];

/// Shrinks the longest free-text strings of `payload` until its compact JSON is at most
/// `max_bytes`. Returns false when it cannot be made to fit that way.
pub fn fit_json_bytes(payload: &mut Value, max_bytes: usize, run_url: Option<&str>) -> bool {
    let note = plain_note(run_url);
    let note_chars = note.chars().count();
    // Each round shortens the longest text by the excess; a few rounds absorb the JSON
    // escaping that makes bytes and characters differ.
    for _ in 0..64 {
        let size = json_len(payload);
        if size <= max_bytes {
            return true;
        }
        let excess = size - max_bytes;
        let Some(pointer) = longest_text(payload) else {
            return false;
        };
        let Some(Value::String(s)) = payload.pointer_mut(&pointer) else {
            return false;
        };
        let chars = s.chars().count();
        if chars <= note_chars + 1 {
            return false;
        }
        let keep = chars
            .saturating_sub(excess + note_chars)
            .min(chars - note_chars - 1);
        let mut shorter: String = s.chars().take(keep).collect();
        shorter.push_str(&note);
        *s = shorter;
    }
    json_len(payload) <= max_bytes
}

/// The compact JSON size of a value in bytes.
pub fn json_len(v: &Value) -> usize {
    serde_json::to_vec(v).map(|b| b.len()).unwrap_or(usize::MAX)
}

/// The JSON pointer of the longest free-text string (see [`TEXT_KEYS`]), if any.
fn longest_text(v: &Value) -> Option<String> {
    fn walk(v: &Value, key: Option<&str>, path: &mut String, best: &mut Option<(usize, String)>) {
        match v {
            Value::String(s) => {
                let is_text = key.is_some_and(|k| TEXT_KEYS.contains(&k)) && !s.starts_with("http");
                if is_text && best.as_ref().is_none_or(|(l, _)| s.len() > *l) {
                    *best = Some((s.len(), path.clone()));
                }
            }
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let len = path.len();
                    path.push_str(&format!("/{i}"));
                    walk(item, key, path, best);
                    path.truncate(len);
                }
            }
            Value::Object(map) => {
                for (k, item) in map {
                    let len = path.len();
                    path.push('/');
                    path.push_str(&k.replace('~', "~0").replace('/', "~1"));
                    walk(item, Some(k.as_str()), path, best);
                    path.truncate(len);
                }
            }
            _ => {}
        }
    }
    let mut best = None;
    walk(v, None, &mut String::new(), &mut best);
    best.map(|(_, p)| p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cut_keeps_short_text_and_marks_long_text() {
        assert_eq!(cut("short", 10, "…"), "short");
        let out = cut(&"é".repeat(20), 10, "…(x)");
        assert_eq!(out.chars().count(), 10);
        assert!(out.ends_with("…(x)"));
        let b = cut_bytes(&"😀".repeat(10), 13, "…");
        assert!(b.len() <= 13 && b.ends_with('…'), "{b}");
    }

    #[test]
    fn slack_messages_are_made_to_fit() {
        let mut blocks: Vec<Value> = (0..60)
            .map(|_| json!({"type": "section", "text": {"type": "mrkdwn", "text": "x".repeat(5000)}}))
            .collect();
        blocks.insert(
            0,
            json!({"type": "header", "text": {"type": "plain_text", "text": "h".repeat(400)}}),
        );
        let mut msg = json!({"text": "t".repeat(50_000), "blocks": blocks});
        fit_slack(&mut msg, Some("https://ci/run/1"));
        let blocks = msg["blocks"].as_array().unwrap();
        assert_eq!(blocks.len(), SLACK_MAX_BLOCKS);
        assert!(msg["text"].as_str().unwrap().chars().count() <= SLACK_TEXT);
        assert!(blocks[0]["text"]["text"].as_str().unwrap().chars().count() <= SLACK_HEADER_TEXT);
        let section = blocks[1]["text"]["text"].as_str().unwrap();
        assert!(section.chars().count() <= SLACK_SECTION_TEXT);
        assert!(section.ends_with("<https://ci/run/1|(truncated: see the run)>"));
        assert!(blocks[49]["elements"][0]["text"]
            .as_str()
            .unwrap()
            .contains("left out"));
    }

    #[test]
    fn json_payloads_shrink_their_longest_texts() {
        let mut card = json!({
            "type": "AdaptiveCard",
            "body": [
                {"type": "TextBlock", "text": "\"quoted\" \\ ".repeat(4000)},
                {"type": "TextBlock", "text": "short"},
                {"type": "Action.OpenUrl", "url": format!("https://x/{}", "u".repeat(100))},
            ]
        });
        assert!(json_len(&card) > TEAMS_BYTES);
        assert!(fit_json_bytes(
            &mut card,
            TEAMS_BYTES,
            Some("https://ci/run/1")
        ));
        assert!(json_len(&card) <= TEAMS_BYTES);
        assert_eq!(card["body"][1]["text"], "short");
        assert!(card["body"][0]["text"]
            .as_str()
            .unwrap()
            .ends_with("(truncated; see https://ci/run/1)"));
        let mut hopeless = json!({"url": "u".repeat(100)});
        assert!(!fit_json_bytes(&mut hopeless, 10, None));
    }
}
