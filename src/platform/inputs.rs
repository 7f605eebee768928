//! How a verb reads its inputs, the same way for every verb: the flag, else
//! `INPUT_<NAME>` with hyphens kept (as the GitHub runner sets it), else with hyphens as
//! underscores (GitLab variables cannot hold hyphens); one parser each for booleans,
//! lists, bounded integers and durations, each with one wording of its error; and the
//! discovery of `.shipgate.yml`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::Platform;
use crate::error::{quote, Failure};

impl Platform {
    /// Resolves an input: the flag if given, else `INPUT_<NAME>` (upper-cased, spaces to
    /// `_`, hyphens kept, as the GitHub runner sets it), else the same with hyphens as
    /// underscores (GitLab variables cannot contain hyphens). Values are trimmed; empty
    /// means not given.
    pub fn input(&self, name: &str, flag: Option<&str>) -> Option<String> {
        if let Some(v) = flag.map(str::trim).filter(|v| !v.is_empty()) {
            return Some(v.to_string());
        }
        let upper = name.replace(' ', "_").to_uppercase();
        let keys = [
            format!("INPUT_{upper}"),
            format!("INPUT_{}", upper.replace('-', "_")),
        ];
        keys.iter()
            .find_map(|k| self.env.get(k))
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// The config file for this run: the `config` input (`--config`, `INPUT_CONFIG`) when
    /// given, else `.shipgate.yml` in `start_dir` or the nearest parent up to the
    /// repository root ([`crate::config::find`]). `Ok(None)` when there is none; a given
    /// path that does not exist or is a folder is exit 2.
    pub fn find_config(
        &self,
        flag: Option<&str>,
        start_dir: &Path,
    ) -> Result<Option<PathBuf>, Failure> {
        let explicit = self.input("config", flag);
        crate::config::find(start_dir, explicit.as_deref().map(Path::new))
    }
}

/// A boolean input: `true` or `false` in any case; `None` when not given.
pub fn boolean(name: &str, value: Option<String>) -> Result<Option<bool>, Failure> {
    match value.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(Failure::input(
            name,
            format!(
                "expected true or false, got {}",
                quote(&value.unwrap_or_default())
            ),
        )),
    }
}

/// A list input ([`parse_list`]); a bad one is exit 2 naming the input.
pub fn list(name: &str, value: Option<&str>) -> Result<Vec<String>, Failure> {
    parse_list(value).map_err(|e| Failure::input(name, e))
}

/// A whole number from `min` to `max`; anything else is exit 2 naming the input and the
/// range.
pub fn integer<T: TryFrom<u64>>(name: &str, value: &str, min: u64, max: u64) -> Result<T, Failure> {
    parse_integer(value, min, max)
        .ok()
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| Failure::input(name, integer_error(value, min, max)))
}

/// Parses a whole number from `min` to `max` (surrounding blanks allowed); the error is
/// the one wording of a bad integer, for inputs and for the values of inline policies.
pub fn parse_integer(value: &str, min: u64, max: u64) -> Result<u64, String> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (min..=max).contains(n))
        .ok_or_else(|| integer_error(value, min, max))
}

fn integer_error(value: &str, min: u64, max: u64) -> String {
    format!(
        "expected a whole number from {min} to {max}, got {}",
        quote(value)
    )
}

/// A duration input ([`parse_duration`]); `None` when not given.
pub fn duration(name: &str, value: Option<&str>) -> Result<Option<Duration>, Failure> {
    value
        .map(|v| parse_duration(v).map_err(|e| Failure::input(name, e)))
        .transpose()
}

/// The keys an object in a list input may name its item by, in order: `name` (plan's
/// components), `login` (the gate's `approvers`: `{"login", "time", "comment_url",
/// "reason"}`), `username` (GitLab users).
pub const NAME_KEYS: [&str; 3] = ["name", "login", "username"];

/// A list input: a JSON array (of strings, or of objects named by one of [`NAME_KEYS`]),
/// or names separated by commas or newlines.
fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "an object",
    }
}

pub fn parse_list(text: Option<&str>) -> Result<Vec<String>, String> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(Vec::new());
    };
    if text.starts_with('[') {
        let items: Vec<serde_json::Value> =
            serde_json::from_str(text).map_err(|e| format!("is not a JSON array: {e}"))?;
        return items
            .into_iter()
            .enumerate()
            .map(|(i, item)| match item {
                serde_json::Value::String(s) => Ok(s),
                serde_json::Value::Object(o) => NAME_KEYS
                    .iter()
                    .find_map(|k| o.get(*k).and_then(|n| n.as_str()))
                    .map(str::to_string)
                    .ok_or_else(|| {
                        format!(
                            "item {} of the list is an object without a string \"name\", \"login\" or \"username\"",
                            i + 1
                        )
                    }),
                // A number or a nested list is a wrong shape, never a name: refusing it keeps
                // `[1, 2]` from announcing components "1" and "2".
                other => Err(format!(
                    "item {} of the list is {}, not a name",
                    i + 1,
                    json_kind(&other)
                )),
            })
            .collect();
    }
    if text.starts_with('{') {
        return Err(
            "is a JSON object; give a JSON array of names or a comma-separated list".into(),
        );
    }
    Ok(text
        .split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect())
}

/// The longest duration any input, inline policy or `.shipgate.yml` gate may give
/// (timeouts, wait timers, soak times): a year. Longer is a typo, and would overflow the
/// clock arithmetic.
pub const MAX_DURATION: Duration = Duration::from_secs(365 * 86_400);

/// Parses a duration such as `30m`, `2h`, `1h30m`, `7d`, `45s` or a plain number of
/// seconds (fractions allowed: `0.5`), at most [`MAX_DURATION`]. The error names the
/// value (quoted, bounded) and the maximum.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let bad = || {
        format!(
            "{} is not a duration such as 30m, 2h, 1h30m or 7d",
            quote(text)
        )
    };
    let too_long = || {
        format!(
            "{} is longer than the maximum duration {} (365 days)",
            quote(text),
            format_duration(MAX_DURATION)
        )
    };
    if let Ok(secs) = text.parse::<f64>() {
        if !secs.is_finite() || secs < 0.0 {
            return Err(bad());
        }
        if secs > MAX_DURATION.as_secs_f64() {
            return Err(too_long());
        }
        return Duration::try_from_secs_f64(secs).map_err(|_| bad());
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(bad()),
        };
        if number.is_empty() {
            return Err(bad());
        }
        // All digits: a parse failure here can only be an overflow.
        let n: u64 = number.parse().map_err(|_| too_long())?;
        total = n
            .checked_mul(unit)
            .and_then(|secs| total.checked_add(secs))
            .ok_or_else(too_long)?;
        number.clear();
    }
    if !number.is_empty() || text.is_empty() {
        return Err(bad());
    }
    if total > MAX_DURATION.as_secs() {
        return Err(too_long());
    }
    Ok(Duration::from_secs(total))
}

/// `1h30m`-style text for a duration (whole seconds).
pub fn format_duration(d: Duration) -> String {
    let mut s = d.as_secs();
    if s == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, len) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if s >= len {
            out.push_str(&format!("{}{unit}", s / len));
            s %= len;
        }
    }
    out
}
