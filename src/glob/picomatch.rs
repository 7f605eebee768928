//! The picomatch dialect: a line-by-line port of picomatch 2.3.1's parser (`lib/parse.js`,
//! `parse.fastpaths`, `makeRe`) with `{dot: true}`, the options dorny/paths-filter uses.
//!
//! The port produces the very JavaScript regular expression source picomatch builds, quirks
//! included (`[!a]` is not a negated class, `{1..10}` is the class `[1-10]`, `!(x)` in the
//! middle of a segment tests a prefix, ...). [`super::jsregex`] then reads that source into
//! the shared IR. Producing the same text as picomatch keeps the port checkable line by line.

use super::GlobError;

const DOT_LITERAL: &str = "\\.";
const PLUS_LITERAL: &str = "\\+";
const SLASH_LITERAL: &str = "\\/";
const ONE_CHAR: &str = "(?=.)";
const QMARK: &str = "[^/]";
const STAR: &str = "[^/]*?";
const NO_DOT_SLASH: &str = "(?!\\.{0,1}(?:\\/|$))";
const NO_DOTS_SLASH: &str = "(?!\\.{1,2}(?:\\/|$))";
const NO_DOTS: &str = "(?!(?:^|\\/)\\.{1,2}(?:\\/|$))";
/// `globstar({dot: true})`: any run of characters that never enters a `.` or `..` segment.
const GLOBSTAR: &str = "(?:(?:(?!(?:^|\\/)\\.{1,2}(?:\\/|$)).)*?)";
const NEGATE_OPEN: &str = "(?:(?!(?:";
const MAX_LENGTH: usize = 65536;

/// What picomatch compiles a pattern to: the regex body (wrapped as `^(?:body)$`) and
/// whether a leading `!` negated it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Compiled {
    pub negated: bool,
    pub source: String,
}

/// `picomatch.makeRe(pattern, {dot: true})` minus the final `RegExp` construction: returns
/// the negation flag and the body of `^(?:body)$`.
pub(crate) fn compile(pattern: &str) -> Result<Compiled, GlobError> {
    if pattern.is_empty() {
        return Err(GlobError::new(pattern, 0, "empty pattern"));
    }
    let chars: Vec<char> = pattern.chars().collect();
    if chars.len() > MAX_LENGTH {
        return Err(GlobError::new(
            pattern,
            MAX_LENGTH,
            format!("pattern is longer than {MAX_LENGTH} characters"),
        ));
    }
    if chars[0] == '.' || chars[0] == '*' {
        if let Some(source) = fastpaths(pattern) {
            return Ok(Compiled {
                negated: false,
                source,
            });
        }
    }
    let state = Parser::new(pattern, true)?.run()?;
    Ok(Compiled {
        negated: state.negated,
        source: state.output,
    })
}

fn replacements(input: &str) -> &str {
    match input {
        "***" => "*",
        "**/**" | "**/**/**" => "**",
        other => other,
    }
}

fn remove_prefix(input: &str) -> &str {
    input.strip_prefix("./").unwrap_or(input)
}

/// `parse.fastpaths`: ready-made sources for the most common globs that start with `.` or `*`.
fn fastpaths(input: &str) -> Option<String> {
    let input = remove_prefix(replacements(input));
    fn create(s: &str) -> Option<String> {
        let nodot = NO_DOTS;
        let slash_dot = NO_DOTS_SLASH;
        Some(match s {
            "*" => format!("{nodot}{ONE_CHAR}{STAR}"),
            ".*" => format!("{DOT_LITERAL}{ONE_CHAR}{STAR}"),
            "*.*" => format!("{nodot}{STAR}{DOT_LITERAL}{ONE_CHAR}{STAR}"),
            "*/*" => format!("{nodot}{STAR}{SLASH_LITERAL}{ONE_CHAR}{slash_dot}{STAR}"),
            "**" => format!("{nodot}{GLOBSTAR}"),
            "**/*" => format!("(?:{nodot}{GLOBSTAR}{SLASH_LITERAL})?{slash_dot}{ONE_CHAR}{STAR}"),
            "**/*.*" => format!(
                "(?:{nodot}{GLOBSTAR}{SLASH_LITERAL})?{slash_dot}{STAR}{DOT_LITERAL}{ONE_CHAR}{STAR}"
            ),
            "**/.*" => format!("(?:{nodot}{GLOBSTAR}{SLASH_LITERAL})?{DOT_LITERAL}{ONE_CHAR}{STAR}"),
            _ => {
                // /^(.*?)\.(\w+)$/
                let dot = s.rfind('.')?;
                let ext = &s[dot + 1..];
                if ext.is_empty() || !ext.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                    return None;
                }
                let first = &s[..dot];
                return create(first).map(|src| format!("{src}{DOT_LITERAL}{ext}"));
            }
        })
    }
    create(input).map(|source| format!("{source}{SLASH_LITERAL}?"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Bos,
    Text,
    Paren,
    Bracket,
    Brace,
    Comma,
    Slash,
    Dot,
    Dots,
    Qmark,
    Plus,
    At,
    Negate,
    Star,
    Globstar,
    MaybeSlash,
}

#[derive(Debug, Clone)]
struct Tok {
    ty: Ty,
    value: String,
    /// `None` is JavaScript's `undefined`: the value is emitted instead.
    output: Option<String>,
    prev: Option<usize>,
    extglob: bool,
    star: bool,
    posix: bool,
    comma: bool,
    dots: bool,
    output_index: usize,
    tokens_index: usize,
    /// Pattern position of the character that opened this token (for error messages).
    pos: usize,
}

impl Tok {
    fn new(ty: Ty, value: impl Into<String>, output: Option<String>) -> Tok {
        Tok {
            ty,
            value: value.into(),
            output,
            prev: None,
            extglob: false,
            star: false,
            posix: false,
            comma: false,
            dots: false,
            output_index: 0,
            tokens_index: 0,
            pos: 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stack {
    Parens,
    Brackets,
    Braces,
}

/// An open extglob (`!(`, `?(`, `+(`, `*(`); `@(` is an ordinary group in picomatch.
#[derive(Debug, Clone)]
struct Extglob {
    ty: Ty,
    close: String,
    inner: String,
    parens: i32,
}

struct Parser<'a> {
    pattern: &'a str,
    input: Vec<char>,
    /// Offset of `input[0]` in the pattern (a removed `./`).
    offset: usize,
    fastpaths: bool,
    index: isize,
    start: usize,
    output: String,
    backtrack: bool,
    negated: bool,
    brackets: i32,
    braces: i32,
    parens: i32,
    quotes: i32,
    arena: Vec<Tok>,
    tokens: Vec<usize>,
    prev: usize,
    extglobs: Vec<Extglob>,
    brace_stack: Vec<usize>,
    stack: Vec<Stack>,
    /// Pattern positions of the `(` still open, for error messages.
    open_parens: Vec<usize>,
    open_brackets: Vec<usize>,
}

struct Parsed {
    negated: bool,
    output: String,
}

/// JavaScript `str.length` (UTF-16 code units).
fn js_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// JavaScript `str.slice(0, -n)` for a suffix of `n` UTF-16 units.
fn drop_suffix(s: &mut String, n: usize) {
    let mut removed = 0;
    while removed < n {
        match s.pop() {
            Some(c) => removed += c.len_utf16(),
            None => break,
        }
    }
}

/// JavaScript `str.slice(0, n)` (n in UTF-16 units).
fn js_prefix(s: &str, n: usize) -> String {
    let mut units = 0;
    let mut out = String::new();
    for c in s.chars() {
        if units + c.len_utf16() > n {
            break;
        }
        units += c.len_utf16();
        out.push(c);
    }
    out
}

/// `utils.escapeRegex`.
fn escape_regex(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if "-*+?.^${}(|)[]".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `utils.hasRegexChars`.
fn has_regex_chars(s: &str) -> bool {
    s.chars().any(|c| "-*+?.^${}(|)[]".contains(c))
}

/// `REGEX_NON_SPECIAL_CHARS`: `^[^@![\].,$*+?^{}()|\\/]+`.
fn is_non_special(c: char) -> bool {
    !"@![].,$*+?^{}()|\\/".contains(c)
}

fn posix_class(name: &str) -> Option<&'static str> {
    Some(match name {
        "alnum" => "a-zA-Z0-9",
        "alpha" => "a-zA-Z",
        "ascii" => "\\x00-\\x7F",
        "blank" => " \\t",
        "cntrl" => "\\x00-\\x1F\\x7F",
        "digit" => "0-9",
        "graph" => "\\x21-\\x7E",
        "lower" => "a-z",
        "print" => "\\x20-\\x7E ",
        "punct" => "\\-!\"#$%&'()\\*+,./:;<=>?@[\\]^_`{|}~",
        "space" => " \\t\\r\\n\\v\\f",
        "upper" => "A-Z",
        "word" => "A-Za-z0-9_",
        "xdigit" => "A-Fa-f0-9",
        _ => return None,
    })
}

impl<'a> Parser<'a> {
    fn new(pattern: &'a str, fastpaths: bool) -> Result<Parser<'a>, GlobError> {
        let replaced = replacements(pattern);
        let input = remove_prefix(replaced);
        let offset = if replaced.len() == input.len() { 0 } else { 2 };
        let bos = Tok::new(Ty::Bos, "", Some(String::new()));
        Ok(Parser {
            pattern,
            input: input.chars().collect(),
            offset,
            fastpaths,
            index: -1,
            start: 0,
            output: String::new(),
            backtrack: false,
            negated: false,
            brackets: 0,
            braces: 0,
            parens: 0,
            quotes: 0,
            arena: vec![bos],
            tokens: vec![0],
            prev: 0,
            extglobs: Vec::new(),
            brace_stack: Vec::new(),
            stack: Vec::new(),
            open_parens: Vec::new(),
            open_brackets: Vec::new(),
        })
    }

    fn err(&self, at: usize, message: impl Into<String>) -> GlobError {
        GlobError::new(self.pattern, at + self.offset, message)
    }

    fn len(&self) -> isize {
        self.input.len() as isize
    }
    fn eos(&self) -> bool {
        // `>=`, where picomatch has `===`: a run of three or more backslashes at the end
        // (`a/\\\\`) makes its escape branch step past the last character, and picomatch
        // then loops for ever (found by fuzzing). Every pattern that ends in picomatch ends
        // here at the same place.
        self.index >= self.len() - 1
    }
    fn peek(&self, n: isize) -> Option<char> {
        let i = self.index + n;
        if i < 0 {
            return None;
        }
        self.input.get(i as usize).copied()
    }
    fn advance(&mut self) -> String {
        self.index += 1;
        self.input
            .get(self.index as usize)
            .map(|c| c.to_string())
            .unwrap_or_default()
    }
    fn remaining(&self) -> String {
        let from = (self.index + 1).max(0) as usize;
        self.input
            .get(from..)
            .map(|s| s.iter().collect())
            .unwrap_or_default()
    }
    fn pos(&self) -> usize {
        self.index.max(0) as usize
    }

    fn increment(&mut self, ty: Stack) {
        match ty {
            Stack::Parens => self.parens += 1,
            Stack::Brackets => self.brackets += 1,
            Stack::Braces => self.braces += 1,
        }
        self.stack.push(ty);
    }
    fn decrement(&mut self, ty: Stack) {
        match ty {
            Stack::Parens => self.parens -= 1,
            Stack::Brackets => self.brackets -= 1,
            Stack::Braces => self.braces -= 1,
        }
        self.stack.pop();
    }

    fn tok(&self, i: usize) -> &Tok {
        &self.arena[i]
    }
    fn prev_tok(&self) -> &Tok {
        &self.arena[self.prev]
    }

    /// `append`: emit a token's output (or value) without recording it.
    fn append_out(&mut self, output: &Option<String>, value: &str) {
        match output {
            Some(o) => self.output.push_str(o),
            None => self.output.push_str(value),
        }
    }

    fn push(&mut self, mut tok: Tok) -> usize {
        tok.pos = self.pos();
        let prev = self.prev;
        if self.arena[prev].ty == Ty::Globstar {
            let is_brace = self.braces > 0 && matches!(tok.ty, Ty::Comma | Ty::Brace);
            let is_extglob =
                tok.extglob || (!self.extglobs.is_empty() && matches!(tok.ty, Ty::Paren));
            if tok.ty != Ty::Slash && tok.ty != Ty::Paren && !is_brace && !is_extglob {
                let old = self.arena[prev].output.clone().unwrap_or_default();
                drop_suffix(&mut self.output, js_len(&old));
                let p = &mut self.arena[prev];
                p.ty = Ty::Star;
                p.value = "*".into();
                p.output = Some(STAR.into());
                self.output.push_str(STAR);
            }
        }
        if let Some(ext) = self.extglobs.last_mut() {
            if tok.ty != Ty::Paren {
                ext.inner.push_str(&tok.value);
            }
        }
        if !tok.value.is_empty() || tok.output.as_deref().is_some_and(|o| !o.is_empty()) {
            let (o, v) = (tok.output.clone(), tok.value.clone());
            self.append_out(&o, &v);
        }
        if self.arena[prev].ty == Ty::Text && tok.ty == Ty::Text {
            let p = &mut self.arena[prev];
            p.value.push_str(&tok.value);
            let mut out = p.output.take().unwrap_or_default();
            out.push_str(&tok.value);
            p.output = Some(out);
            return prev;
        }
        tok.prev = Some(prev);
        self.arena.push(tok);
        let idx = self.arena.len() - 1;
        self.tokens.push(idx);
        self.prev = idx;
        idx
    }

    fn negate(&mut self) -> bool {
        let mut count = 1;
        while self.peek(1) == Some('!') && (self.peek(2) != Some('(') || self.peek(3) == Some('?'))
        {
            self.advance();
            self.start += 1;
            count += 1;
        }
        if count % 2 == 0 {
            return false;
        }
        self.negated = true;
        self.start += 1;
        true
    }

    fn extglob_open(&mut self, ty: Ty, value: &str) {
        let close = match value {
            "!" => format!(")){STAR})"),
            "?" => ")?".to_string(),
            "+" => ")+".to_string(),
            "*" => ")*".to_string(),
            _ => ")".to_string(),
        };
        let open = if value == "!" { NEGATE_OPEN } else { "(?:" };
        let token = Extglob {
            ty,
            close,
            inner: String::new(),
            parens: self.parens,
        };
        self.increment(Stack::Parens);
        self.open_parens.push(self.pos() + 1);
        let first_output = if self.output.is_empty() { ONE_CHAR } else { "" };
        self.push(Tok::new(ty, value, Some(first_output.into())));
        let paren_value = self.advance();
        let mut paren = Tok::new(Ty::Paren, paren_value, Some(open.into()));
        paren.extglob = true;
        self.push(paren);
        self.extglobs.push(token);
    }

    fn extglob_close(&mut self, mut token: Extglob, value: &str) -> Result<(), GlobError> {
        let mut output = token.close.clone();
        if token.ty == Ty::Negate {
            let mut extglob_star = STAR;
            if token.inner.chars().count() > 1 && token.inner.contains('/') {
                extglob_star = GLOBSTAR;
            }
            let rest = self.remaining();
            if extglob_star != STAR
                || self.eos()
                || (!rest.is_empty() && rest.chars().all(|c| c == ')'))
            {
                output = format!(")$)){extglob_star}");
                token.close = output.clone();
            }
            let suffix_like = rest.starts_with('.')
                && rest.chars().count() > 1
                && rest.chars().skip(1).all(|c| !matches!(c, '\\' | '/' | '.'));
            if token.inner.contains('*') && suffix_like {
                let expression = Parser::new(&rest, false)?.run()?.output;
                output = format!("){expression}){extglob_star})");
                token.close = output.clone();
            }
        }
        let mut paren = Tok::new(Ty::Paren, value, Some(output));
        paren.extglob = true;
        self.push(paren);
        self.decrement(Stack::Parens);
        self.open_parens.pop();
        Ok(())
    }

    /// The inline fast path of `parse()` for patterns without `/`, brackets, braces,
    /// parentheses, quotes, or a leading `*`/`!`.
    fn inline_fastpath(&self, input: &str) -> Option<String> {
        if input.starts_with('*') || input.starts_with('!') {
            return None;
        }
        if input.chars().any(|c| "/()[]{}\"".contains(c)) {
            return None;
        }
        // input.replace(/(\\?)((\W)(\3*))/g, ...)
        let chars: Vec<char> = input.chars().collect();
        let mut out = String::new();
        let mut backslashes = false;
        let mut i = 0;
        let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        while i < chars.len() {
            let start = i;
            let esc = chars[i] == '\\' && i + 1 < chars.len() && !is_word(chars[i + 1]);
            let (esc_str, first_at) = if esc { ("\\", i + 1) } else { ("", i) };
            let first = chars[first_at];
            if is_word(first) {
                // `(\\?)` only applies in front of a non-word character.
                out.push(chars[i]);
                i += 1;
                continue;
            }
            let mut end = first_at + 1;
            while end < chars.len() && chars[end] == first {
                end += 1;
            }
            let m: String = chars[start..end].iter().collect();
            let rest_len = end - first_at - 1;
            let chars_len = end - first_at;
            i = end;
            let repl = match first {
                '\\' => {
                    backslashes = true;
                    m
                }
                '?' => {
                    if esc {
                        format!("{esc_str}{first}{}", QMARK.repeat(rest_len))
                    } else if start == 0 {
                        format!("{QMARK}{}", QMARK.repeat(rest_len))
                    } else {
                        QMARK.repeat(chars_len)
                    }
                }
                '.' => DOT_LITERAL.repeat(chars_len),
                '*' => {
                    if esc {
                        format!("{esc_str}{first}{}", if rest_len > 0 { STAR } else { "" })
                    } else {
                        STAR.to_string()
                    }
                }
                _ => {
                    if esc {
                        m
                    } else {
                        format!("\\{m}")
                    }
                }
            };
            out.push_str(&repl);
        }
        if backslashes {
            // output.replace(/\\+/g, m => m.length % 2 === 0 ? '\\\\' : '\\')
            let mut collapsed = String::with_capacity(out.len());
            let mut run = 0;
            for c in out.chars().chain(std::iter::once('\0')) {
                if c == '\\' {
                    run += 1;
                    continue;
                }
                if run > 0 {
                    collapsed.push_str(if run % 2 == 0 { "\\\\" } else { "\\" });
                    run = 0;
                }
                if c != '\0' {
                    collapsed.push(c);
                }
            }
            out = collapsed;
        }
        Some(format!("^(?:{out})$"))
    }

    fn run(mut self) -> Result<Parsed, GlobError> {
        let input: String = self.input.iter().collect();
        if self.fastpaths {
            if let Some(output) = self.inline_fastpath(&input) {
                if let Some(at) = trailing_backslash(&input) {
                    return Err(self.err(at, "a trailing `\\` escapes nothing"));
                }
                return Ok(Parsed {
                    negated: false,
                    output,
                });
            }
        }
        while !self.eos() {
            let mut value = self.advance();
            if value == "\u{0}" {
                continue;
            }

            // Escaped characters
            if value == "\\" {
                let next = self.peek(1);
                if next == Some('/') || next == Some('.') || next == Some(';') {
                    continue;
                }
                if next.is_none() {
                    return Err(self.err(self.pos(), "a trailing `\\` escapes nothing"));
                }
                let rem = self.remaining();
                let run = rem.chars().take_while(|&c| c == '\\').count();
                if run > 2 {
                    self.index += run as isize;
                    if run % 2 != 0 {
                        value.push('\\');
                    }
                }
                let next = self.advance();
                value.push_str(&next);
                if self.brackets == 0 {
                    self.push(Tok::new(Ty::Text, value, None));
                    continue;
                }
            }

            // Inside a character class
            if self.brackets > 0
                && (value != "]" || self.prev_tok().value == "[" || self.prev_tok().value == "[^")
            {
                if value == ":" {
                    let prev_value = self.prev_tok().value.clone();
                    let inner: String = prev_value.chars().skip(1).collect();
                    if inner.contains('[') {
                        self.arena[self.prev].posix = true;
                        if inner.contains(':') {
                            let idx = prev_value.rfind('[').unwrap_or(0);
                            let pre = &prev_value[..idx];
                            let rest = prev_value.get(idx + 2..).unwrap_or("");
                            if let Some(posix) = posix_class(rest) {
                                self.arena[self.prev].value = format!("{pre}{posix}");
                                self.backtrack = true;
                                self.advance();
                                let first_real = self.tokens.iter().position(|&t| t == self.prev);
                                if self.arena[0].output.as_deref().unwrap_or("").is_empty()
                                    && first_real == Some(1)
                                {
                                    self.arena[0].output = Some(ONE_CHAR.into());
                                }
                                continue;
                            }
                        }
                    }
                }
                if (value == "[" && self.peek(1) != Some(':'))
                    || (value == "-" && self.peek(1) == Some(']'))
                {
                    value = format!("\\{value}");
                }
                if value == "]" && (self.prev_tok().value == "[" || self.prev_tok().value == "[^") {
                    value = format!("\\{value}");
                }
                self.arena[self.prev].value.push_str(&value);
                self.output.push_str(&value);
                continue;
            }

            // Inside double quotes
            if self.quotes == 1 && value != "\"" {
                let escaped = escape_regex(&value);
                self.arena[self.prev].value.push_str(&escaped);
                self.output.push_str(&escaped);
                continue;
            }
            if value == "\"" {
                self.quotes = if self.quotes == 1 { 0 } else { 1 };
                continue;
            }

            // Parentheses
            if value == "(" {
                self.increment(Stack::Parens);
                self.open_parens.push(self.pos());
                self.push(Tok::new(Ty::Paren, value, None));
                continue;
            }
            if value == ")" {
                let top = self.extglobs.last().map(|e| e.parens);
                if let Some(parens) = top {
                    if self.parens == parens + 1 {
                        let token = self.extglobs.pop().expect("checked above");
                        self.extglob_close(token, &value)?;
                        continue;
                    }
                }
                // A stray `)` is a literal; picomatch then counts below zero, and a later
                // `)` becomes an unbalanced group, which the regex reader rejects.
                let output = if self.parens != 0 { ")" } else { "\\)" };
                self.push(Tok::new(Ty::Paren, value, Some(output.into())));
                self.decrement(Stack::Parens);
                self.open_parens.pop();
                continue;
            }

            // Square brackets
            if value == "[" {
                if !self.remaining().contains(']') {
                    return Err(self.err(
                        self.pos(),
                        "unclosed character class `[`; write `\\[` to match a literal bracket",
                    ));
                }
                self.increment(Stack::Brackets);
                self.open_brackets.push(self.pos());
                self.push(Tok::new(Ty::Bracket, value, None));
                continue;
            }
            if value == "]" {
                if self.prev_tok().ty == Ty::Bracket && self.prev_tok().value.chars().count() == 1 {
                    self.push(Tok::new(
                        Ty::Text,
                        value.clone(),
                        Some(format!("\\{value}")),
                    ));
                    continue;
                }
                if self.brackets == 0 {
                    self.push(Tok::new(
                        Ty::Text,
                        value.clone(),
                        Some(format!("\\{value}")),
                    ));
                    continue;
                }
                self.decrement(Stack::Brackets);
                self.open_brackets.pop();
                let prev_value: String = self.prev_tok().value.chars().skip(1).collect();
                if !self.prev_tok().posix
                    && prev_value.starts_with('^')
                    && !prev_value.contains('/')
                {
                    value = format!("/{value}");
                }
                self.arena[self.prev].value.push_str(&value);
                self.output.push_str(&value);
                if has_regex_chars(&prev_value) {
                    continue;
                }
                let pv = self.prev_tok().value.clone();
                let escaped = escape_regex(&pv);
                drop_suffix(&mut self.output, js_len(&pv));
                let both = format!("(?:{escaped}|{pv})");
                self.output.push_str(&both);
                self.arena[self.prev].value = both;
                continue;
            }

            // Braces
            if value == "{" {
                self.increment(Stack::Braces);
                let mut open = Tok::new(Ty::Brace, value, Some("(".into()));
                open.output_index = js_len(&self.output);
                open.tokens_index = self.tokens.len();
                let idx = self.push(open);
                self.brace_stack.push(idx);
                continue;
            }
            if value == "}" {
                let Some(&brace) = self.brace_stack.last() else {
                    self.push(Tok::new(Ty::Text, value.clone(), Some(value)));
                    continue;
                };
                let mut output = ")".to_string();
                if self.arena[brace].dots {
                    let arr = self.tokens.clone();
                    let mut range: Vec<String> = Vec::new();
                    for &t in arr.iter().rev() {
                        self.tokens.pop();
                        if self.arena[t].ty == Ty::Brace {
                            break;
                        }
                        if self.arena[t].ty != Ty::Dots {
                            range.insert(0, self.arena[t].value.clone());
                        }
                    }
                    output = expand_range(range);
                    self.backtrack = true;
                }
                if !self.arena[brace].comma && !self.arena[brace].dots {
                    let out = js_prefix(&self.output, self.arena[brace].output_index);
                    let from = self.arena[brace].tokens_index.min(self.tokens.len());
                    let toks: Vec<usize> = self.tokens[from..].to_vec();
                    self.arena[brace].value = "\\{".into();
                    self.arena[brace].output = Some("\\{".into());
                    value = "\\}".into();
                    output = "\\}".into();
                    self.output = out;
                    for t in toks {
                        let t = &self.arena[t];
                        let piece = match &t.output {
                            Some(o) if !o.is_empty() => o.clone(),
                            _ => t.value.clone(),
                        };
                        self.output.push_str(&piece);
                    }
                }
                self.push(Tok::new(Ty::Brace, value, Some(output)));
                self.decrement(Stack::Braces);
                self.brace_stack.pop();
                continue;
            }

            // Pipes
            if value == "|" {
                self.push(Tok::new(Ty::Text, value, None));
                continue;
            }

            // Commas
            if value == "," {
                let mut output = value.clone();
                if let Some(&brace) = self.brace_stack.last() {
                    if self.stack.last() == Some(&Stack::Braces) {
                        self.arena[brace].comma = true;
                        output = "|".into();
                    }
                }
                self.push(Tok::new(Ty::Comma, value, Some(output)));
                continue;
            }

            // Slashes
            if value == "/" {
                if self.prev_tok().ty == Ty::Dot && self.index == self.start as isize + 1 {
                    self.start = (self.index + 1) as usize;
                    self.output.clear();
                    self.tokens.pop();
                    self.prev = 0;
                    continue;
                }
                self.push(Tok::new(Ty::Slash, value, Some(SLASH_LITERAL.into())));
                continue;
            }

            // Dots
            if value == "." {
                if self.braces > 0 && self.prev_tok().ty == Ty::Dot {
                    let brace = *self.brace_stack.last().expect("braces > 0");
                    let p = &mut self.arena[self.prev];
                    if p.value == "." {
                        p.output = Some(DOT_LITERAL.into());
                    }
                    p.ty = Ty::Dots;
                    let mut out = p.output.take().unwrap_or_default();
                    out.push_str(&value);
                    p.output = Some(out);
                    p.value.push_str(&value);
                    self.arena[brace].dots = true;
                    continue;
                }
                if self.braces + self.parens == 0
                    && self.prev_tok().ty != Ty::Bos
                    && self.prev_tok().ty != Ty::Slash
                {
                    self.push(Tok::new(Ty::Text, value, Some(DOT_LITERAL.into())));
                    continue;
                }
                self.push(Tok::new(Ty::Dot, value, Some(DOT_LITERAL.into())));
                continue;
            }

            // Question marks
            if value == "?" {
                let is_group = self.prev_tok().value == "(";
                if !is_group && self.peek(1) == Some('(') && self.peek(2) != Some('?') {
                    self.extglob_open(Ty::Qmark, &value);
                    continue;
                }
                if self.prev_tok().ty == Ty::Paren {
                    let next = self.peek(1);
                    let lookaround = matches!(next, Some('!' | '=' | '<'));
                    if self.prev_tok().value == "(" && lookaround {
                        return Err(self.err(
                            self.pos(),
                            "regular-expression lookaround `(?!`, `(?=`, `(?<` is not supported in globs",
                        ));
                    }
                    let mut output = value.clone();
                    if (self.prev_tok().value == "("
                        && !matches!(next, Some('!' | '=' | '<' | ':')))
                        || (next == Some('<') && !has_lookbehind_like(&self.remaining()))
                    {
                        output = format!("\\{value}");
                    }
                    self.push(Tok::new(Ty::Text, value, Some(output)));
                    continue;
                }
                self.push(Tok::new(Ty::Qmark, value, Some(QMARK.into())));
                continue;
            }

            // Exclamation
            if value == "!" {
                if self.peek(1) == Some('(')
                    && (self.peek(2) != Some('?')
                        || !matches!(self.peek(3), Some('!' | '=' | '<' | ':')))
                {
                    self.extglob_open(Ty::Negate, &value);
                    continue;
                }
                if self.index == 0 {
                    self.negate();
                    continue;
                }
            }

            // Plus
            if value == "+" {
                if self.peek(1) == Some('(') && self.peek(2) != Some('?') {
                    self.extglob_open(Ty::Plus, &value);
                    continue;
                }
                if self.prev_tok().value == "(" {
                    self.push(Tok::new(Ty::Plus, value, Some(PLUS_LITERAL.into())));
                    continue;
                }
                if matches!(self.prev_tok().ty, Ty::Bracket | Ty::Paren | Ty::Brace)
                    || self.parens > 0
                {
                    self.push(Tok::new(Ty::Plus, value, None));
                    continue;
                }
                self.push(Tok::new(Ty::Plus, PLUS_LITERAL, None));
                continue;
            }

            // At
            if value == "@" {
                if self.peek(1) == Some('(') && self.peek(2) != Some('?') {
                    let mut at = Tok::new(Ty::At, value, Some(String::new()));
                    at.extglob = true;
                    self.push(at);
                    continue;
                }
                self.push(Tok::new(Ty::Text, value, None));
                continue;
            }

            // Plain text
            if value != "*" {
                if value == "$" || value == "^" {
                    value = format!("\\{value}");
                }
                let rem = self.remaining();
                let chunk: String = rem.chars().take_while(|&c| is_non_special(c)).collect();
                if !chunk.is_empty() {
                    value.push_str(&chunk);
                    self.index += chunk.chars().count() as isize;
                }
                self.push(Tok::new(Ty::Text, value, None));
                continue;
            }

            // Stars
            self.star()?;
        }

        if let Some(&at) = self.open_brackets.last() {
            return Err(self.err(
                at,
                "unclosed character class `[`; write `\\[` to match a literal bracket",
            ));
        }
        if self.parens > 0 {
            let at = self.open_parens.last().copied().unwrap_or(0);
            return Err(self.err(
                at,
                "unclosed `(`; write `\\(` to match a literal parenthesis",
            ));
        }
        if self.braces > 0 {
            let at = self
                .brace_stack
                .last()
                .map(|&b| self.tok(b).pos)
                .unwrap_or(0);
            return Err(self.err(at, "unclosed `{`; write `\\{` to match a literal brace"));
        }
        if matches!(self.prev_tok().ty, Ty::Star | Ty::Bracket) {
            self.push(Tok::new(
                Ty::MaybeSlash,
                "",
                Some(format!("{SLASH_LITERAL}?")),
            ));
        }
        if self.backtrack {
            let mut out = String::new();
            for &t in &self.tokens {
                let t = &self.arena[t];
                out.push_str(t.output.as_deref().unwrap_or(&t.value));
            }
            self.output = out;
        }
        Ok(Parsed {
            negated: self.negated,
            output: self.output,
        })
    }

    fn star(&mut self) -> Result<(), GlobError> {
        let value = "*".to_string();
        let prev = self.prev;
        if self.arena[prev].ty == Ty::Globstar || self.arena[prev].star {
            let p = &mut self.arena[prev];
            p.ty = Ty::Star;
            p.star = true;
            p.value.push('*');
            p.output = Some(STAR.into());
            self.backtrack = true;
            return Ok(());
        }
        let mut rest = self.remaining();
        if rest.starts_with('(') && rest.chars().nth(1).is_some_and(|c| c != '?') {
            self.extglob_open(Ty::Star, &value);
            return Ok(());
        }
        if self.arena[prev].ty == Ty::Star {
            let prior = self.arena[prev]
                .prev
                .expect("a star token has a predecessor");
            let before = self.arena[prior].prev;
            let prior_ty = self.arena[prior].ty;
            let is_start = matches!(prior_ty, Ty::Slash | Ty::Bos);
            let after_star =
                before.is_some_and(|b| matches!(self.arena[b].ty, Ty::Star | Ty::Globstar));
            let is_brace = self.braces > 0 && matches!(prior_ty, Ty::Comma | Ty::Brace);
            // A pipe is pushed as a text token, so `prior.type === 'pipe'` never holds.
            let is_extglob = !self.extglobs.is_empty() && prior_ty == Ty::Paren;
            if !is_start && prior_ty != Ty::Paren && !is_brace && !is_extglob {
                self.push(Tok::new(Ty::Star, value, Some(String::new())));
                return Ok(());
            }
            // strip consecutive `/**/`
            while rest.starts_with("/**") {
                let after = self.input.get((self.index + 4) as usize).copied();
                if after.is_some_and(|c| c != '/') {
                    break;
                }
                rest = rest[3..].to_string();
                self.index += 3;
            }
            let prior_prev_bos = self.arena[prior]
                .prev
                .is_some_and(|p| self.arena[p].ty == Ty::Bos);
            if prior_ty == Ty::Bos && self.eos() {
                let p = &mut self.arena[prev];
                p.ty = Ty::Globstar;
                p.value.push('*');
                p.output = Some(GLOBSTAR.into());
                self.output = GLOBSTAR.into();
                return Ok(());
            }
            if prior_ty == Ty::Slash && !prior_prev_bos && !after_star && self.eos() {
                let cut = js_len(self.arena[prior].output.as_deref().unwrap_or(""))
                    + js_len(self.arena[prev].output.as_deref().unwrap_or(""));
                drop_suffix(&mut self.output, cut);
                let prior_out = format!("(?:{}", self.arena[prior].output.as_deref().unwrap_or(""));
                self.arena[prior].output = Some(prior_out.clone());
                let prev_out = format!("{GLOBSTAR}|$)");
                let p = &mut self.arena[prev];
                p.ty = Ty::Globstar;
                p.output = Some(prev_out.clone());
                p.value.push('*');
                self.output.push_str(&prior_out);
                self.output.push_str(&prev_out);
                return Ok(());
            }
            if prior_ty == Ty::Slash && !prior_prev_bos && rest.starts_with('/') {
                let end = if rest.chars().nth(1).is_some() {
                    "|$"
                } else {
                    ""
                };
                let cut = js_len(self.arena[prior].output.as_deref().unwrap_or(""))
                    + js_len(self.arena[prev].output.as_deref().unwrap_or(""));
                drop_suffix(&mut self.output, cut);
                let prior_out = format!("(?:{}", self.arena[prior].output.as_deref().unwrap_or(""));
                self.arena[prior].output = Some(prior_out.clone());
                let prev_out = format!("{GLOBSTAR}{SLASH_LITERAL}|{SLASH_LITERAL}{end})");
                let p = &mut self.arena[prev];
                p.ty = Ty::Globstar;
                p.output = Some(prev_out.clone());
                p.value.push('*');
                self.output.push_str(&prior_out);
                self.output.push_str(&prev_out);
                self.advance();
                self.push(Tok::new(Ty::Slash, "/", Some(String::new())));
                return Ok(());
            }
            if prior_ty == Ty::Bos && rest.starts_with('/') {
                let out = format!("(?:^|{SLASH_LITERAL}|{GLOBSTAR}{SLASH_LITERAL})");
                let p = &mut self.arena[prev];
                p.ty = Ty::Globstar;
                p.value.push('*');
                p.output = Some(out.clone());
                self.output = out;
                self.advance();
                self.push(Tok::new(Ty::Slash, "/", Some(String::new())));
                return Ok(());
            }
            // remove single star from output, reset previous token to globstar
            let old = js_len(self.arena[prev].output.as_deref().unwrap_or(""));
            drop_suffix(&mut self.output, old);
            let p = &mut self.arena[prev];
            p.ty = Ty::Globstar;
            p.output = Some(GLOBSTAR.into());
            p.value.push('*');
            self.output.push_str(GLOBSTAR);
            return Ok(());
        }

        let token = Tok::new(Ty::Star, value, Some(STAR.into()));
        let prev_ty = self.arena[prev].ty;
        if self.index == self.start as isize || prev_ty == Ty::Slash || prev_ty == Ty::Dot {
            let guard = if prev_ty == Ty::Dot {
                NO_DOT_SLASH
            } else {
                NO_DOTS_SLASH
            };
            self.output.push_str(guard);
            push_output(&mut self.arena[prev], guard);
            if self.peek(1) != Some('*') {
                self.output.push_str(ONE_CHAR);
                push_output(&mut self.arena[prev], ONE_CHAR);
            }
        }
        self.push(token);
        Ok(())
    }
}

fn push_output(tok: &mut Tok, s: &str) {
    // `prev.output += s` on an `undefined` output yields "undefined" + s in JavaScript;
    // that only happens for tokens whose output is always set before a star follows.
    let mut out = tok.output.take().unwrap_or_default();
    out.push_str(s);
    tok.output = Some(out);
}

/// `/<([!=]|\w+>)/.test(s)`.
fn has_lookbehind_like(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len()).any(|i| {
        if b[i] != b'<' {
            return false;
        }
        match b.get(i + 1) {
            Some(b'!' | b'=') => true,
            _ => {
                let word = b[i + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                    .count();
                word > 0 && b.get(i + 1 + word) == Some(&b'>')
            }
        }
    })
}

/// Position of a trailing unescaped backslash, if any.
fn trailing_backslash(input: &str) -> Option<usize> {
    let run = input.chars().rev().take_while(|&c| c == '\\').count();
    (run % 2 == 1).then(|| input.chars().count() - 1)
}

/// `expandRange`: `{a..c}` becomes the class `[a-c]` when that is a valid JavaScript class.
fn expand_range(mut args: Vec<String>) -> String {
    args.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
    let value = format!("[{}]", args.join("-"));
    if super::jsregex::is_valid_js_regex(&value) {
        value
    } else {
        args.iter()
            .map(|a| escape_regex(a))
            .collect::<Vec<_>>()
            .join("..")
    }
}
