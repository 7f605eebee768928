//! Reading a decision out of a comment: manual-approval's words and whole-line matching,
//! with custom words escaped (so `+1` and `:+1:` work) and an optional reason after line 1.

/// manual-approval's default approval words.
pub const DEFAULT_APPROVE: [&str; 4] = ["approved", "approve", "lgtm", "yes"];
/// manual-approval's default denial words.
pub const DEFAULT_DENY: [&str; 3] = ["denied", "deny", "no"];

/// What a comment says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Approve,
    Deny,
}

/// The compiled approval and denial words. Compiling costs one regex per word list;
/// matching a comment costs one pass of each over its first line.
#[derive(Debug, Clone)]
pub struct Words {
    /// Lower-cased keywords.
    approve: Vec<String>,
    deny: Vec<String>,
    /// When true, lines after the keyword line are the reason; when false, the whole
    /// comment must be the keyword (manual-approval's rule).
    reasons: bool,
}

impl Words {
    /// The default words plus `extra_approve` / `extra_deny` (taken literally: every regex
    /// metacharacter is escaped).
    pub fn new(extra_approve: &[String], extra_deny: &[String], reasons: bool) -> Self {
        Words {
            approve: compile(&DEFAULT_APPROVE, extra_approve),
            deny: compile(&DEFAULT_DENY, extra_deny),
            reasons,
        }
    }

    /// The verdict of a comment and its reason text (the lines after the keyword, trimmed),
    /// or `None` when the comment is not a decision. The keyword line must be exactly a word
    /// (any case), optionally followed by `.`, `!` or `:`; leading and trailing blanks are
    /// ignored.
    pub fn classify(&self, body: &str) -> Option<(Verdict, String)> {
        let body = body.trim();
        let (first, rest) = match body.split_once('\n') {
            Some((first, rest)) if self.reasons => (first.trim(), rest.trim()),
            Some(_) => return None,
            None => (body, ""),
        };
        let verdict = if is_keyword(&self.approve, first) {
            Verdict::Approve
        } else if is_keyword(&self.deny, first) {
            Verdict::Deny
        } else {
            return None;
        };
        Some((verdict, rest.to_string()))
    }

    /// The words as shown in the request, e.g. `approved, approve, lgtm, yes`.
    pub fn describe(extra: &[String], defaults: &[&str]) -> String {
        defaults
            .iter()
            .map(|s| s.to_string())
            .chain(extra.iter().cloned())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The default words plus the extra ones (trimmed, blanks dropped), lower-cased once.
/// Compared as plain text, so any number of words of any characters works.
fn compile(defaults: &[&str], extra: &[String]) -> Vec<String> {
    defaults
        .iter()
        .copied()
        .chain(extra.iter().map(|w| w.trim()).filter(|w| !w.is_empty()))
        .map(str::to_lowercase)
        .collect()
}

/// True when `line` is one of `words` (any case), followed only by `.`, `!` or `:`.
fn is_keyword(words: &[String], line: &str) -> bool {
    let line = line.to_lowercase();
    words.iter().any(|w| {
        line.strip_prefix(w.as_str())
            .is_some_and(|rest| rest.chars().all(|c| matches!(c, '.' | '!' | ':')))
    })
}

/// Splits a comma (or newline) separated list, trimming blanks and dropping empty items.
pub fn split_list(text: &str) -> Vec<String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> Words {
        Words::new(&["+1".into(), ":shipit:".into()], &["-1".into()], true)
    }

    #[test]
    fn default_words_match_the_whole_line_in_any_case() {
        let w = words();
        assert_eq!(w.classify("LGTM!").map(|v| v.0), Some(Verdict::Approve));
        assert_eq!(
            w.classify("  approved.  \n").map(|v| v.0),
            Some(Verdict::Approve)
        );
        assert_eq!(w.classify("No").map(|v| v.0), Some(Verdict::Deny));
        assert_eq!(w.classify("approve, thanks"), None);
        assert_eq!(w.classify("not approved"), None);
        assert_eq!(w.classify("yesterday"), None);
    }

    #[test]
    fn custom_words_are_literal() {
        let w = words();
        assert_eq!(w.classify("+1").map(|v| v.0), Some(Verdict::Approve));
        assert_eq!(w.classify(":shipit:").map(|v| v.0), Some(Verdict::Approve));
        assert_eq!(w.classify("-1").map(|v| v.0), Some(Verdict::Deny));
        // '+' is not a quantifier: "11" does not match "+1".
        assert_eq!(w.classify("11"), None);
        let dot = Words::new(&["ok.go".into()], &[], true);
        assert_eq!(dot.classify("okXgo"), None);
        assert!(dot.classify("ok.go").is_some());
    }

    #[test]
    fn a_huge_word_list_still_matches() {
        // A regex of these would pass the regex size limit; the words must still work.
        let many: Vec<String> = (0..200_000).map(|i| format!("ship-it-{i}")).collect();
        let w = Words::new(&many, &[], true);
        assert_eq!(
            w.classify("SHIP-IT-199999!").map(|v| v.0),
            Some(Verdict::Approve)
        );
        assert_eq!(w.classify("approve").map(|v| v.0), Some(Verdict::Approve));
        assert_eq!(w.classify("deny").map(|v| v.0), Some(Verdict::Deny));
    }

    #[test]
    fn reason_follows_the_keyword_line() {
        let w = words();
        assert_eq!(
            w.classify("approve\nstaging soaked for a day\n"),
            Some((Verdict::Approve, "staging soaked for a day".into()))
        );
        let strict = Words::new(&[], &[], false);
        assert_eq!(strict.classify("approve\nbecause"), None);
        assert_eq!(
            strict.classify("approve"),
            Some((Verdict::Approve, String::new()))
        );
    }

    #[test]
    fn lists_split_on_commas_and_newlines() {
        assert_eq!(split_list(" a, b ,\n c,,"), vec!["a", "b", "c"]);
    }
}
