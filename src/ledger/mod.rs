//! The ledger: what shipgate leaves on the forges and reads back.
//!
//! - Deployment records on both forges ([`github`], [`gitlab`]): the gate's soak check
//!   reads them, notify's deployment status writes them.
//! - One hidden-marker format for every verb: `<!-- shipgate:<verb>:<key> -->`, or with a
//!   JSON record `<!-- shipgate:<verb>:<key> {json} -->`. The key is made safe for an HTML
//!   comment (no `--`, no spaces) and the JSON never holds `>`, so a marker cannot end
//!   early. The markers written before this format (`<!-- shipgate-gate {json} -->`,
//!   `<!-- shipgate-gate-closed -->`) are still read, so earlier requests are found.

pub mod github;
pub mod gitlab;

use jiff::Timestamp;

/// What a commit's deployment record says for a soak rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Soak {
    /// The commit's latest deployment there succeeded at this instant.
    Since(Timestamp),
    /// It was never deployed there successfully, or the latest deployment failed.
    Missing(String),
}

/// The start of every marker.
const START: &str = "<!-- shipgate:";
const END: &str = " -->";

/// `key` made safe inside an HTML comment and as one marker field.
fn safe(key: &str) -> String {
    let mut safe: String = key
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "._:/@+=-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    // "--" would end the HTML comment early.
    while safe.contains("--") {
        safe = safe.replace("--", "-");
    }
    safe
}

/// `<!-- shipgate:<verb>:<key>` (what every marker of `verb` and `key` starts with).
pub fn head(verb: &str, key: &str) -> String {
    format!("{START}{verb}:{}", safe(key))
}

/// The marker of `verb` and `key` without a record: `<!-- shipgate:<verb>:<key> -->`.
pub fn marker(verb: &str, key: &str) -> String {
    format!("{}{END}", head(verb, key))
}

/// JSON with every `>` escaped, so it cannot end a comment.
fn quiet(json: &str) -> String {
    json.replace('>', "\\u003e")
}

/// A marker that carries a record: `<!-- shipgate:<verb>:<key> {json} -->`.
pub fn with_record(verb: &str, key: &str, record: &impl serde::Serialize) -> String {
    let json = serde_json::to_string(record).unwrap_or_default();
    format!("{} {}{END}", head(verb, key), quiet(&json))
}

/// The text that starts a record of `verb` whose JSON starts with `{"<field>":<value>,`:
/// what a search for one exact record looks for (the new format and the old one, which
/// `legacy` gives as its start, e.g. `<!-- shipgate-gate `).
pub fn record_prefixes(
    verb: &str,
    key: &str,
    field: &str,
    value: &str,
    legacy: Option<&str>,
) -> Vec<String> {
    let value = quiet(&serde_json::to_string(value).unwrap_or_default());
    let json = format!("{{\"{field}\":{value},");
    let mut out = vec![format!("{} {json}", head(verb, key))];
    if let Some(old) = legacy {
        out.push(format!("{old}{json}"));
    }
    out
}

/// The last record of `verb` in `body` that parses as `T` (new format, or the old one
/// starting with `legacy`). The last, because a verb writes its record after any user text
/// that could imitate one.
pub fn last_record<T: serde::de::DeserializeOwned>(
    body: &str,
    verb: &str,
    legacy: Option<&str>,
) -> Option<T> {
    let new_start = format!("{START}{verb}:");
    let mut found: Vec<(usize, &str)> = Vec::new();
    for (at, _) in body.match_indices(&new_start) {
        let rest = &body[at + new_start.len()..];
        // The key has no spaces: the record starts after the first one.
        let Some(space) = rest.find([' ', '\n']) else {
            continue;
        };
        if rest.as_bytes()[space] != b' ' || rest[..space].contains(['>', '<']) {
            continue;
        }
        let json = &rest[space + 1..];
        if let Some(end) = json.find(END) {
            found.push((at, &json[..end]));
        }
    }
    if let Some(old) = legacy {
        for (at, _) in body.match_indices(old) {
            let json = &body[at + old.len()..];
            if let Some(end) = json.find(END) {
                found.push((at, &json[..end]));
            }
        }
    }
    found.sort_by_key(|(at, _)| *at);
    found
        .iter()
        .rev()
        .find_map(|(_, json)| serde_json::from_str(json).ok())
}

/// Whether `body` holds the marker of `verb` and `key` (new format) or any of `legacy`.
pub fn has_marker(body: &str, verb: &str, key: &str, legacy: &[&str]) -> bool {
    body.contains(&marker(verb, key)) || legacy.iter().any(|m| body.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct R {
        key: String,
        n: u32,
    }

    #[test]
    fn markers_have_one_shape_for_every_verb() {
        assert_eq!(marker("notify", "prod"), "<!-- shipgate:notify:prod -->");
        assert_eq!(
            marker("notify", "a-->b c"),
            "<!-- shipgate:notify:a-_b_c -->"
        );
        let r = R {
            key: "o/r#1 <x>".into(),
            n: 2,
        };
        let m = with_record("gate", &r.key, &r);
        assert_eq!(
            m,
            "<!-- shipgate:gate:o/r_1__x_ {\"key\":\"o/r#1 <x\\u003e\",\"n\":2} -->"
        );
        assert_eq!(m.matches("-->").count(), 1);
    }

    #[test]
    fn the_last_record_wins_in_either_format() {
        let old = "<!-- shipgate-gate {\"key\":\"k\",\"n\":1} -->";
        let new = with_record(
            "gate",
            "k",
            &R {
                key: "k".into(),
                n: 2,
            },
        );
        let legacy = Some("<!-- shipgate-gate ");
        assert_eq!(
            last_record::<R>(old, "gate", legacy),
            Some(R {
                key: "k".into(),
                n: 1
            })
        );
        let both = format!("{old}\n{new}");
        assert_eq!(
            last_record::<R>(&both, "gate", legacy).map(|r| r.n),
            Some(2)
        );
        let both = format!("{new}\n{old}");
        assert_eq!(
            last_record::<R>(&both, "gate", legacy).map(|r| r.n),
            Some(1)
        );
        // A marker of another verb, or one without a record, is no record.
        assert_eq!(last_record::<R>(&new, "notify", legacy), None);
        assert_eq!(
            last_record::<R>(&marker("gate", "closed"), "gate", legacy),
            None
        );
        let prefixes = record_prefixes("gate", "k", "key", "k", Some("<!-- shipgate-gate "));
        assert!(new.starts_with(&prefixes[0]), "{new} {prefixes:?}");
        assert!(old.starts_with(&prefixes[1]), "{old} {prefixes:?}");
    }
}
