//! What of notify's secret inputs must never be shown, and how it is kept out of what a
//! target's failure says (the warning line and the `results` output).
//!
//! A webhook URL is a secret as a whole, and so is every piece after the host: each path
//! segment and each query value, whatever its length (a Slack webhook's last segment, a
//! Teams `sig`, a 6-character key of a home-made hook). Two rules cover that without
//! making logs unreadable:
//!
//! - The URL (as given and as the HTTP client prints it), its path with the query, its
//!   path and its query are registered with the platform ([`add_url_secret`]): masked on
//!   GitHub and redacted from every line and output, wherever they appear.
//! - A server can echo a piece alone ("unknown key ab3"). Each piece is redacted from a
//!   target's failure detail where it stands as a word of its own ([`Scrubber`]), except the
//!   fixed words of well-known webhook URLs (`services`, `workflows`, `invoke`, …), so
//!   "services" or "hooks" in an answer stays readable. Pieces of 16 characters or more
//!   are also registered with the platform, so they are redacted everywhere.
//!
//! Tokens and the webhook HMAC secret are registered with the platform as they are read;
//! the scrubber also removes them from a failure detail when they are too short for the
//! platform's rule (under 4 characters).

use crate::platform::Platform;

use super::request::Settings;

/// Path words and query values that are fixed parts of well-known webhook URLs (Slack
/// incoming webhooks, Teams / Power Automate Workflows, Discord, generic `/hooks/`), not
/// secrets: left readable in failure details.
const FIXED_WORDS: &[&str] = &[
    "api",
    "automations",
    "direct",
    "hook",
    "hooks",
    "invoke",
    "manual",
    "paths",
    "powerautomate",
    "services",
    "triggers",
    "webhook",
    "webhooks",
    "workflows",
];

/// Query keys whose values are fixed (Teams / Power Automate: `api-version`, `sp`, `sv`).
const FIXED_QUERY_KEYS: &[&str] = &["api-version", "sp", "sv"];

/// Pieces this long or longer are registered with the platform too (redacted everywhere).
const LONG_PIECE: usize = 16;

/// The secret parts of a URL.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct UrlParts {
    /// The URL and its tails (path + query, path, query), as given and as the HTTP client
    /// prints them: redacted wherever they occur.
    pub whole: Vec<String>,
    /// Each path segment, query value and user-info part (raw and percent-decoded), except
    /// fixed words: redacted where they stand alone.
    pub pieces: Vec<String>,
}

/// Splits a URL into its secret parts. A value that does not parse as a URL is one whole
/// secret.
pub fn url_parts(url: &str) -> UrlParts {
    let url = url.trim();
    let mut parts = UrlParts::default();
    let mut whole = |s: &str| {
        if !s.is_empty() && s != "/" && !parts.whole.iter().any(|w| w == s) {
            parts.whole.push(s.to_string());
        }
    };
    whole(url);
    let Ok(parsed) = reqwest::Url::parse(url) else {
        return parts;
    };
    whole(parsed.as_str());
    // The tail after the host as given (`/a/b?c=d`), and as the client prints it.
    let given_tail = url
        .split_once("://")
        .map(|(_, rest)| rest)
        .and_then(|rest| rest.find(['/', '?', '#']).map(|i| &rest[i..]))
        .unwrap_or_default();
    let printed_tail = {
        let mut t = parsed.path().to_string();
        if let Some(q) = parsed.query() {
            t.push('?');
            t.push_str(q);
        }
        t
    };
    for tail in [given_tail, printed_tail.as_str()] {
        let tail = tail.split('#').next().unwrap_or_default();
        whole(tail);
        let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
        whole(path);
        whole(query);
    }
    let mut pieces: Vec<String> = Vec::new();
    let mut piece = |s: &str| {
        for form in [s.to_string(), percent_decode(s)] {
            let fixed = FIXED_WORDS.iter().any(|w| w.eq_ignore_ascii_case(&form));
            if !form.is_empty() && !fixed && !pieces.contains(&form) {
                pieces.push(form);
            }
        }
    };
    for segment in parsed.path().split('/') {
        piece(segment);
    }
    for tail in [given_tail, printed_tail.as_str()] {
        let (path, query) = tail.split_once('?').unwrap_or((tail, ""));
        for segment in path.split('/') {
            piece(segment);
        }
        for pair in query.split('&') {
            let (key, value) = pair.split_once('=').unwrap_or(("", pair));
            if !FIXED_QUERY_KEYS.contains(&key) {
                piece(value);
            }
        }
    }
    piece(parsed.username());
    if let Some(password) = parsed.password() {
        piece(password);
    }
    parts.pieces = pieces;
    parts
}

/// Registers a URL that holds a secret (webhooks) with the platform: its whole forms, and
/// its long pieces. Shorter pieces are kept out of failure details by [`Scrubber`].
pub fn add_url_secret(platform: &mut Platform, url: &str) {
    let parts = url_parts(url);
    for w in &parts.whole {
        platform.add_secret(w);
    }
    for p in parts.pieces.iter().filter(|p| p.len() >= LONG_PIECE) {
        platform.add_secret(p);
    }
}

/// Removes one target's secrets from what its failure says.
#[derive(Debug, Default, Clone)]
pub struct Scrubber {
    /// Replaced wherever they occur, longest first.
    whole: Vec<String>,
    /// Replaced where they stand alone, longest first.
    words: Vec<String>,
}

impl Scrubber {
    /// The secrets of a target's settings: its URL (webhooks), its token and its HMAC key.
    pub fn for_settings(s: &Settings) -> Self {
        let mut scrubber = Scrubber::default();
        if let Some(url) = &s.url {
            let parts = url_parts(url);
            // A short tail (`?t`) is a word too: replaced anywhere it would eat letters.
            for w in parts.whole {
                if w.len() < 4 {
                    scrubber.words.push(w);
                } else {
                    scrubber.whole.push(w);
                }
            }
            scrubber.words.extend(parts.pieces);
        }
        for secret in [&s.token, &s.secret].into_iter().flatten() {
            let secret = secret.trim();
            if secret.len() >= 4 {
                scrubber.whole.push(secret.to_string());
            }
            if !secret.is_empty() {
                scrubber.words.push(secret.to_string());
            }
        }
        scrubber.whole.sort_by_key(|w| std::cmp::Reverse(w.len()));
        scrubber.words.sort_by_key(|w| std::cmp::Reverse(w.len()));
        scrubber
    }

    /// `text` with every secret of the target replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for w in &self.whole {
            if out.contains(w.as_str()) {
                out = out.replace(w.as_str(), "***");
            }
        }
        for w in &self.words {
            out = replace_word(&out, w);
        }
        out
    }
}

/// Characters that continue a word of a URL (so `ab3` in `ab3x` is not the word `ab3`).
fn word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '-' | '_' | '~' | '%')
}

/// `text` with each occurrence of `word` that is not part of a longer word replaced by
/// `***`.
fn replace_word(text: &str, word: &str) -> String {
    if word.is_empty() || !text.contains(word) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut before: Option<char> = None;
    while let Some(i) = rest.find(word) {
        let head = &rest[..i];
        let prev = head.chars().next_back().or(before);
        let after = rest[i + word.len()..].chars().next();
        out.push_str(head);
        if prev.is_some_and(word_char) || after.is_some_and(word_char) {
            // Part of a longer word: keep its first character and look again after it.
            let first = word.chars().next().map_or(1, char::len_utf8);
            out.push_str(&rest[i..i + first]);
            before = word[..first].chars().next_back();
            rest = &rest[i + first..];
        } else {
            out.push_str("***");
            before = Some('*');
            rest = &rest[i + word.len()..];
        }
    }
    out.push_str(rest);
    out
}

/// `%XX` escapes decoded (invalid ones kept); `+` is kept.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrubber(url: &str) -> Scrubber {
        Scrubber::for_settings(&Settings {
            url: Some(url.to_string()),
            ..Settings::default()
        })
    }

    #[test]
    fn every_piece_after_the_host_is_secret_whatever_its_length() {
        let s = scrubber("https://hooks.example.com/hooks/k9?key=ab3&x");
        let echoed = "no hook k9 for key ab3 (x) at https://hooks.example.com/hooks/k9?key=ab3&x";
        let out = s.scrub(echoed);
        assert_eq!(out, "no hook *** for key *** (***) at ***");
        // Inside longer words they stay: "k9x", "ab3d" are other words.
        assert_eq!(s.scrub("k9x ab3d xk9"), "k9x ab3d xk9");
    }

    #[test]
    fn short_tails_are_words_not_substrings() {
        let s = scrubber("https://x.example.com/a?t");
        assert_eq!(s.scrub("the t is at /a?t"), "the *** is at ***");
    }

    #[test]
    fn fixed_words_of_well_known_hooks_stay_readable() {
        let s = scrubber("https://hooks.slack.com/services/T0/B0/xyz");
        assert_eq!(
            s.scrub("no_service: services T0 B0 xyz"),
            "no_service: services *** *** ***"
        );
        let teams = scrubber(
            "https://prod-1.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=s1g",
        );
        assert_eq!(
            teams.scrub("flow abc: sig s1g invalid; api-version 2016-06-01, manual trigger"),
            "flow ***: sig *** invalid; api-version 2016-06-01, manual trigger"
        );
    }

    #[test]
    fn the_client_form_of_the_url_is_secret_too() {
        let parts = url_parts("HTTPS://Hooks.Example.com:443/a%20b/c?d=e f");
        assert!(parts
            .whole
            .contains(&"https://hooks.example.com/a%20b/c?d=e%20f".to_string()));
        assert!(parts.pieces.contains(&"a b".to_string()));
        assert!(parts.pieces.contains(&"e f".to_string()));
    }

    #[test]
    fn percent_escapes_decode() {
        assert_eq!(percent_decode("a%2Fb%zz%4"), "a/b%zz%4");
    }
}
