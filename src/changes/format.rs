//! `list-files` formats, byte for byte as dorny/paths-filter writes them, with one
//! exception: in the `shell` and `escape` formats a name with a control character or a
//! line separator is written in bash's ANSI-C quoting (`$'a\nb'`). paths-filter tests its
//! "safe" regexes line by line, so `ok\n$(cmd)` was left bare and ran `cmd` when spliced
//! into a `run:` script, and `escape` turned a newline into a line continuation.

use std::str::FromStr;

/// How `<filter>_files` lists the matching files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFormat {
    None,
    Csv,
    Json,
    Shell,
    Escape,
}

impl FromStr for ListFormat {
    type Err = String;

    /// Case-insensitive, as paths-filter lower-cases the input.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_lowercase().as_str() {
            "none" => Ok(ListFormat::None),
            "csv" => Ok(ListFormat::Csv),
            "json" => Ok(ListFormat::Json),
            "shell" => Ok(ListFormat::Shell),
            "escape" => Ok(ListFormat::Escape),
            _ => Err(format!(
                "Input parameter 'list-files' is set to invalid value {} (valid values: none, csv, json, shell, escape)",
                crate::error::quote(s)
            )),
        }
    }
}

impl ListFormat {
    /// A file extension for lists written to files.
    pub fn extension(self) -> &'static str {
        match self {
            ListFormat::Csv => "csv",
            ListFormat::None | ListFormat::Json => "json",
            ListFormat::Shell | ListFormat::Escape => "txt",
        }
    }

    /// Renders a list of names in this format (`none` renders JSON, for files and dirs).
    pub fn render<'a, I>(self, names: I) -> String
    where
        I: IntoIterator<Item = &'a str>,
    {
        let escaped: Vec<String> = names.into_iter().map(|n| self.escape_item(n)).collect();
        self.join(escaped.iter().map(String::as_str))
    }

    /// One name escaped for this format (escape each file once, join per filter).
    pub fn escape_item(self, name: &str) -> String {
        let mut out = String::with_capacity(name.len() + 2);
        match self {
            ListFormat::None | ListFormat::Json => json_string(name, &mut out),
            ListFormat::Csv => csv_escape(name, &mut out),
            ListFormat::Shell | ListFormat::Escape if needs_ansi_c(name) => {
                ansi_c_quote(name, &mut out)
            }
            ListFormat::Shell => shell_escape(name, &mut out),
            ListFormat::Escape => backslash_escape(name, &mut out),
        }
        out
    }

    /// Joins names escaped by [`ListFormat::escape_item`] into the list.
    pub fn join<'a, I>(self, escaped: I) -> String
    where
        I: IntoIterator<Item = &'a str>,
        I::IntoIter: Clone,
    {
        let items = escaped.into_iter();
        let (sep, open, close) = match self {
            ListFormat::None | ListFormat::Json => (",", "[", "]"),
            ListFormat::Csv => (",", "", ""),
            ListFormat::Shell | ListFormat::Escape => (" ", "", ""),
        };
        let len: usize = items.clone().map(|s| s.len() + 1).sum::<usize>() + 2;
        let mut out = String::with_capacity(len);
        out.push_str(open);
        for (i, item) in items.enumerate() {
            if i > 0 {
                out.push_str(sep);
            }
            out.push_str(item);
        }
        out.push_str(close);
        out
    }
}

/// `JSON.stringify` of a string (same escapes as JavaScript: `"`, `\`, and control
/// characters; non-ASCII verbatim).
pub fn json_string(s: &str, out: &mut String) {
    out.push('"');
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let esc: Option<&str> = match c {
            '"' => Some("\\\""),
            '\\' => Some("\\\\"),
            '\n' => Some("\\n"),
            '\r' => Some("\\r"),
            '\t' => Some("\\t"),
            '\u{08}' => Some("\\b"),
            '\u{0c}' => Some("\\f"),
            c if (c as u32) < 0x20 => None,
            _ => continue,
        };
        out.push_str(&s[start..i]);
        match esc {
            Some(e) => out.push_str(e),
            None => out.push_str(&format!("\\u{:04x}", c as u32)),
        }
        start = i + c.len_utf8();
    }
    out.push_str(&s[start..]);
    out.push('"');
}

fn is_safe(c: char, comma: bool) -> bool {
    c.is_ascii_alphanumeric() || "._+:@%/-".contains(c) || (comma && c == ',')
}

/// JavaScript `/^[set]+$/m.test(value)`: true when any line consists only of the set.
fn some_line_all(value: &str, pred: impl Fn(char) -> bool) -> bool {
    // JS multiline `^`/`$` split at \n, \r, \u2028 and \u2029.
    value
        .split(['\n', '\r', '\u{2028}', '\u{2029}'])
        .any(|line| !line.is_empty() && line.chars().all(&pred))
}

/// paths-filter `csvEscape`: bare when safe, else `"..."` with `""` for quotes.
fn csv_escape(value: &str, out: &mut String) {
    if value.is_empty() || some_line_all(value, |c| is_safe(c, false)) {
        out.push_str(value);
        return;
    }
    out.push('"');
    out.push_str(&value.replace('"', "\"\""));
    out.push('"');
}

/// paths-filter `shellEscape`: as few quotes as possible.
fn shell_escape(value: &str, out: &mut String) {
    if value.is_empty() || some_line_all(value, |c| is_safe(c, true)) {
        out.push_str(value);
        return;
    }
    if value.contains('\'') {
        if some_line_all(value, |c| is_safe(c, true) || c == '\'' || is_js_space(c)) {
            out.push('"');
            out.push_str(value);
            out.push('"');
            return;
        }
        for (i, part) in value.split('\'').enumerate() {
            if i > 0 {
                out.push_str("\\'");
            }
            shell_escape(part, out);
        }
        return;
    }
    out.push('\'');
    out.push_str(value);
    out.push('\'');
}

/// JavaScript `\s`: Unicode White_Space less U+0085 (NEL), plus U+FEFF.
fn is_js_space(c: char) -> bool {
    (c.is_whitespace() && c != '\u{85}') || c == '\u{feff}'
}

/// True for a name paths-filter's shell formats get wrong: one with an ASCII control
/// character (a newline above all) or a JavaScript line separator (U+2028, U+2029), where
/// its line-by-line regex test passes a name that is not safe as a whole.
fn needs_ansi_c(value: &str) -> bool {
    value
        .chars()
        .any(|c| c.is_ascii_control() || c == '\u{2028}' || c == '\u{2029}')
}

/// bash ANSI-C quoting, `$'...'`: every byte comes back as is and nothing expands.
fn ansi_c_quote(value: &str, out: &mut String) {
    out.push_str("$'");
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Exactly two hex digits: bash reads at most two, so a following digit stays.
            c if c.is_ascii_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
}

/// paths-filter `backslashEscape`: a backslash before every unsafe character.
fn backslash_escape(value: &str, out: &mut String) {
    for c in value.chars() {
        if !is_safe(c, true) {
            out.push('\\');
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(f: ListFormat, names: &[&str]) -> String {
        f.render(names.iter().copied())
    }

    #[test]
    fn json_like_javascript() {
        assert_eq!(render(ListFormat::Json, &[]), "[]");
        assert_eq!(
            render(
                ListFormat::Json,
                &["a \"q\".txt", "back\\slash", "new\nline", "café", "\u{1}"]
            ),
            r#"["a \"q\".txt","back\\slash","new\nline","café","\u0001"]"#
        );
    }

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(
            render(ListFormat::Csv, &["src/a.ts", "with space.md", "q\"uote"]),
            "src/a.ts,\"with space.md\",\"q\"\"uote\""
        );
        assert_eq!(render(ListFormat::Csv, &["a,b"]), "\"a,b\"");
        assert_eq!(render(ListFormat::Csv, &[]), "");
    }

    #[test]
    fn shell_as_paths_filter() {
        assert_eq!(
            render(ListFormat::Shell, &["src/a.ts", "with space.md"]),
            "src/a.ts 'with space.md'"
        );
        assert_eq!(render(ListFormat::Shell, &["it's here"]), "\"it's here\"");
        assert_eq!(render(ListFormat::Shell, &["it's$x"]), "it\\''s$x'");
        assert_eq!(render(ListFormat::Shell, &["a,b"]), "a,b");
    }

    #[test]
    fn escape_backslashes_unsafe() {
        assert_eq!(
            render(ListFormat::Escape, &["a b(c).md", "ok/x-1.ts"]),
            "a\\ b\\(c\\).md ok/x-1.ts"
        );
    }

    #[test]
    fn multiline_regex_quirk_is_kept() {
        // paths-filter tests its regexes with the `m` flag: one safe line is enough.
        assert_eq!(render(ListFormat::Csv, &["ok\nnot ok"]), "ok\nnot ok");
    }

    /// Names that attack a shell, or that paths-filter's quoting does not round-trip.
    const HOSTILE: &[&str] = &[
        "ok\n$(touch pwned1)",
        "it's\n$(touch pwned2)",
        "`touch pwned3`\nok",
        "a\u{2028}$(touch pwned4)",
        "b\u{2029}`touch pwned5`",
        "x\r$(touch pwned6)",
        "tab\there",
        "ctl\u{1}1\u{7f}f",
        "back\\slash\nq'uote\"d",
        "\n",
        "it's \u{85}$x",
        "ok/plain-name.ts",
        "with space.md",
    ];

    #[test]
    fn hostile_names_round_trip_through_bash_and_run_nothing() {
        let dir = tempfile::tempdir().unwrap();
        for format in [ListFormat::Shell, ListFormat::Escape] {
            let line = format.render(HOSTILE.iter().copied());
            let out = std::process::Command::new("bash")
                .arg("-c")
                .arg(format!("printf '%s\\0' {line}"))
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(out.status.success(), "{format:?}: {line}");
            let got: Vec<&[u8]> = out.stdout.split(|b| *b == 0).collect();
            let want: Vec<&[u8]> = HOSTILE
                .iter()
                .map(|n| n.as_bytes())
                .chain([&b""[..]])
                .collect();
            assert_eq!(got, want, "{format:?}: {line}");
            let created: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
            assert!(created.is_empty(), "{format:?} ran a command: {line}");
        }
    }

    /// Random names over an alphabet of shell metacharacters, quotes, control characters,
    /// separators and plain text (a fixed seed: the same names every run) all come back
    /// from bash byte for byte, and none runs anything.
    #[test]
    fn random_hostile_names_round_trip_through_bash() {
        const ALPHABET: &[&str] = &[
            "a",
            "Z",
            "0",
            "/",
            ".",
            "-",
            "_",
            ",",
            ":",
            "@",
            "%",
            "+",
            " ",
            "'",
            "\"",
            "\\",
            "$",
            "`",
            "(",
            ")",
            "{",
            "}",
            "[",
            "]",
            "*",
            "?",
            "!",
            "#",
            "&",
            ";",
            "|",
            "<",
            ">",
            "~",
            "=",
            "^",
            "\n",
            "\r",
            "\t",
            "\u{1}",
            "\u{1b}",
            "\u{7f}",
            "\u{85}",
            "\u{a0}",
            "\u{2028}",
            "\u{2029}",
            "\u{feff}",
            "é",
            "☕",
            "$(touch pwned)",
            "`touch pwned`",
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let names: Vec<String> = (0..3000)
            .map(|_| {
                let len = 1 + (next() % 12) as usize;
                (0..len)
                    .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                    .collect()
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        for format in [ListFormat::Shell, ListFormat::Escape] {
            let line = format.render(names.iter().map(String::as_str));
            let out = std::process::Command::new("bash")
                .arg("-c")
                .arg(format!("printf '%s\\0' {line}"))
                .current_dir(dir.path())
                .output()
                .unwrap();
            assert!(out.status.success(), "{format:?}");
            let mut got: Vec<&[u8]> = out.stdout.split(|b| *b == 0).collect();
            assert_eq!(got.pop(), Some(&b""[..]));
            assert_eq!(got.len(), names.len(), "{format:?}");
            for (g, n) in got.iter().zip(&names) {
                assert_eq!(
                    *g,
                    n.as_bytes(),
                    "{format:?}: {n:?} as {}",
                    format.escape_item(n)
                );
            }
            assert_eq!(
                std::fs::read_dir(dir.path()).unwrap().count(),
                0,
                "{format:?} ran a command"
            );
        }
    }

    #[test]
    fn only_names_with_control_characters_or_line_separators_differ_from_paths_filter() {
        assert_eq!(render(ListFormat::Shell, &["ok\n$(x)"]), "$'ok\\n$(x)'");
        assert_eq!(render(ListFormat::Escape, &["a\nb"]), "$'a\\nb'");
        assert_eq!(
            render(ListFormat::Shell, &["q'\u{1}\\"]),
            "$'q\\'\\x01\\\\'"
        );
        assert_eq!(render(ListFormat::Shell, &["a\u{2028}b"]), "$'a\u{2028}b'");
        // Everything else stays byte-identical, including JavaScript's idea of `\s`.
        assert_eq!(
            render(ListFormat::Shell, &["it's \u{a0}x"]),
            "\"it's \u{a0}x\""
        );
        assert_eq!(
            render(ListFormat::Shell, &["it's\u{85}x"]),
            "it\\''s\u{85}x'"
        );
        assert_eq!(render(ListFormat::Escape, &["a b"]), "a\\ b");
        assert_eq!(render(ListFormat::Csv, &["ok\nnot ok"]), "ok\nnot ok");
    }

    #[test]
    fn parse_is_case_insensitive_with_clear_error() {
        assert_eq!("JSON".parse::<ListFormat>(), Ok(ListFormat::Json));
        let e = "yaml".parse::<ListFormat>().unwrap_err();
        assert!(e.contains("'yaml'"));
    }
}
