//! Reads the JavaScript regular-expression source picomatch produces into the IR.
//!
//! It implements the syntax of ECMAScript's non-Unicode mode with the Annex B web
//! extensions (a lone `{` or `]` is a literal, `\q` is `q`, `\8` is `8`, ...), because
//! picomatch copies user text such as `(`, `|`, `+` or `\d` into the regex verbatim.
//! Backreferences, lookbehinds and word boundaries have no place in a glob: they are errors.

use super::ir::{Class, LookKind, Node};

/// Parses `source` (a regex body, no slashes or flags).
pub(crate) fn parse(source: &str) -> Result<Node, String> {
    let chars: Vec<char> = source.chars().collect();
    let (captures, named) = count_captures(&chars);
    let mut p = JsParser {
        chars,
        pos: 0,
        captures,
        named,
    };
    let node = p.disjunction()?;
    if p.pos < p.chars.len() {
        return Err(format!("unmatched ')' at {}", p.pos));
    }
    Ok(node)
}

/// True if `source` is a regex JavaScript (non-Unicode mode) would accept.
pub(crate) fn is_valid_js_regex(source: &str) -> bool {
    parse(source).is_ok()
}

fn count_captures(chars: &[char]) -> (usize, bool) {
    let mut count = 0;
    let mut named = false;
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '[' => in_class = true,
            ']' => in_class = false,
            '(' if !in_class => {
                if chars.get(i + 1) != Some(&'?') {
                    count += 1;
                } else if chars.get(i + 2) == Some(&'<')
                    && !matches!(chars.get(i + 3), Some('=' | '!'))
                {
                    count += 1;
                    named = true;
                }
            }
            _ => {}
        }
        i += 1;
    }
    (count, named)
}

struct JsParser {
    chars: Vec<char>,
    pos: usize,
    captures: usize,
    named: bool,
}

enum Atom {
    Node(Node),
    /// An assertion that may not be quantified (`^`, `$`).
    Assertion(Node),
}

impl JsParser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }
    fn peek_at(&self, n: usize) -> Option<char> {
        self.chars.get(self.pos + n).copied()
    }
    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn rest_starts_with(&self, s: &str) -> bool {
        (self.pos..)
            .zip(s.chars())
            .all(|(i, c)| self.chars.get(i) == Some(&c))
    }

    fn disjunction(&mut self) -> Result<Node, String> {
        let mut alts = vec![self.alternative()?];
        while self.eat('|') {
            alts.push(self.alternative()?);
        }
        Ok(Node::alt(alts))
    }

    fn alternative(&mut self) -> Result<Node, String> {
        let mut items = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            match atom {
                Atom::Assertion(n) => {
                    if self.quantifier_ahead() {
                        return Err("nothing to repeat".into());
                    }
                    items.push(n);
                }
                Atom::Node(n) => {
                    let n = self.quantified(n)?;
                    items.push(n);
                }
            }
        }
        Ok(Node::concat(items))
    }

    fn quantifier_ahead(&self) -> bool {
        match self.peek() {
            Some('*' | '+' | '?') => true,
            Some('{') => self.braced_quantifier().is_some(),
            _ => false,
        }
    }

    /// `{n}`, `{n,}`, `{n,m}` at the cursor: (min, max, length).
    fn braced_quantifier(&self) -> Option<(u32, Option<u32>, usize)> {
        let mut i = self.pos + 1;
        let digits = |i: &mut usize| -> Option<u32> {
            let start = *i;
            while self.chars.get(*i).is_some_and(|c| c.is_ascii_digit()) {
                *i += 1;
            }
            if *i == start {
                return None;
            }
            let s: String = self.chars[start..*i].iter().collect();
            Some(s.parse::<u32>().unwrap_or(u32::MAX))
        };
        let min = digits(&mut i)?;
        let max = if self.chars.get(i) == Some(&',') {
            i += 1;
            if self.chars.get(i) == Some(&'}') {
                None
            } else {
                Some(digits(&mut i)?)
            }
        } else {
            Some(min)
        };
        if self.chars.get(i) != Some(&'}') {
            return None;
        }
        Some((min, max, i + 1 - self.pos))
    }

    fn quantified(&mut self, node: Node) -> Result<Node, String> {
        let (min, max) = match self.peek() {
            Some('*') => {
                self.pos += 1;
                (0, None)
            }
            Some('+') => {
                self.pos += 1;
                (1, None)
            }
            Some('?') => {
                self.pos += 1;
                (0, Some(1))
            }
            Some('{') => match self.braced_quantifier() {
                Some((min, max, len)) => {
                    self.pos += len;
                    if max.is_some_and(|m| m < min) {
                        return Err("numbers out of order in {} quantifier".into());
                    }
                    if min > 1000 || max.is_some_and(|m| m > 1000) {
                        return Err("repetition count too large".into());
                    }
                    (min, max)
                }
                None => return Ok(node),
            },
            _ => return Ok(node),
        };
        self.eat('?'); // laziness does not change whether a match exists
        if self.quantifier_ahead() {
            return Err("nothing to repeat".into());
        }
        Ok(Node::Repeat {
            node: Box::new(node),
            min,
            max,
        })
    }

    fn atom(&mut self) -> Result<Atom, String> {
        let c = self.peek().ok_or("unexpected end")?;
        self.pos += 1;
        Ok(match c {
            '^' => Atom::Assertion(Node::Start),
            '$' => Atom::Assertion(Node::End),
            '.' => Atom::Node(Node::Class(Class::js_dot())),
            '*' | '+' | '?' => return Err("nothing to repeat".into()),
            '{' => {
                self.pos -= 1;
                if self.braced_quantifier().is_some() {
                    return Err("nothing to repeat".into());
                }
                self.pos += 1;
                Atom::Node(Node::Class(Class::char('{')))
            }
            '(' => return self.group(),
            '[' => Atom::Node(Node::Class(self.class()?)),
            '\\' => Atom::Node(self.escape()?),
            other => Atom::Node(Node::Class(Class::char(other))),
        })
    }

    fn group(&mut self) -> Result<Atom, String> {
        let start = self.pos;
        let look = if self.rest_starts_with("?=") {
            Some(false)
        } else if self.rest_starts_with("?!") {
            Some(true)
        } else {
            None
        };
        if let Some(negate) = look {
            self.pos += 2;
            let inner = self.disjunction()?;
            if !self.eat(')') {
                return Err("unterminated group".into());
            }
            let text: String = self.chars[start - 1..self.pos].iter().collect();
            let kind = match text.as_str() {
                "(?=.)" => LookKind::OneChar,
                "(?!\\.{1,2}(?:\\/|$))" => LookKind::NoDotsSlash,
                "(?!\\.{0,1}(?:\\/|$))" => LookKind::NoDotSlash,
                "(?!(?:^|\\/)\\.{1,2}(?:\\/|$))" => LookKind::NoDots,
                _ => LookKind::Other,
            };
            let node = Node::Look {
                negate,
                kind,
                node: Box::new(inner),
            };
            // Annex B allows quantifying a lookahead; treat it like any other atom.
            return Ok(Atom::Node(node));
        }
        if self.rest_starts_with("?<=") || self.rest_starts_with("?<!") {
            return Err("lookbehind is not supported in globs".into());
        }
        if self.rest_starts_with("?:") {
            self.pos += 2;
        } else if self.rest_starts_with("?<") {
            // named group
            let close = self.chars[self.pos..].iter().position(|&c| c == '>');
            match close {
                Some(n) if n > 2 => self.pos += n + 1,
                _ => return Err("invalid group name".into()),
            }
        } else if self.peek() == Some('?') {
            return Err("invalid group".into());
        }
        let inner = self.disjunction()?;
        if !self.eat(')') {
            return Err("unterminated group".into());
        }
        Ok(Atom::Node(inner))
    }

    fn escape(&mut self) -> Result<Node, String> {
        let c = self.peek().ok_or("\\ at end of pattern")?;
        self.pos += 1;
        let ch = |c: char| Ok(Node::Class(Class::char(c)));
        match c {
            'd' | 'D' | 'w' | 'W' | 's' | 'S' => Ok(Node::Class(perl_class(c))),
            'b' | 'B' => Err("word boundaries are not supported in globs".into()),
            'f' => ch('\x0C'),
            'n' => ch('\n'),
            'r' => ch('\r'),
            't' => ch('\t'),
            'v' => ch('\x0B'),
            'c' => match self.peek() {
                Some(l) if l.is_ascii_alphabetic() => {
                    self.pos += 1;
                    ch(char::from((l as u8) % 32))
                }
                _ => {
                    // Annex B: `\c` not followed by a letter is a literal backslash.
                    self.pos -= 1;
                    ch('\\')
                }
            },
            'x' => match self.hex(2) {
                Some(v) => Ok(Node::Class(Class::from_ranges([(v, v)]))),
                None => ch('x'),
            },
            'u' => match self.hex(4) {
                Some(v) if (0xD800..=0xDFFF).contains(&v) => {
                    Err("lone surrogate escapes are not supported".into())
                }
                Some(v) => Ok(Node::Class(Class::from_ranges([(v, v)]))),
                None => ch('u'),
            },
            'k' if self.named => Err("backreferences are not supported in globs".into()),
            '0'..='9' => self.decimal_escape(c),
            other => ch(other),
        }
    }

    fn decimal_escape(&mut self, first: char) -> Result<Node, String> {
        // A backreference if the number names an existing group; otherwise Annex B octal.
        let start = self.pos - 1;
        let mut end = self.pos;
        while self.chars.get(end).is_some_and(|c| c.is_ascii_digit()) {
            end += 1;
        }
        let text: String = self.chars[start..end].iter().collect();
        if first != '0' {
            if let Ok(n) = text.parse::<usize>() {
                if n <= self.captures {
                    return Err("backreferences are not supported in globs".into());
                }
            }
        }
        if first == '8' || first == '9' {
            return Ok(Node::Class(Class::char(first)));
        }
        let v = self.legacy_octal(first);
        Ok(Node::Class(Class::from_ranges([(v, v)])))
    }

    fn legacy_octal(&mut self, first: char) -> u32 {
        let mut v = first as u32 - '0' as u32;
        let max_len = if first <= '3' { 3 } else { 2 };
        let mut len = 1;
        while len < max_len {
            match self.peek() {
                Some(c @ '0'..='7') => {
                    v = v * 8 + (c as u32 - '0' as u32);
                    self.pos += 1;
                    len += 1;
                }
                _ => break,
            }
        }
        v
    }

    fn hex(&mut self, n: usize) -> Option<u32> {
        let digits: String = (0..n)
            .map(|i| self.peek_at(i))
            .collect::<Option<String>>()?;
        if !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        self.pos += n;
        u32::from_str_radix(&digits, 16).ok()
    }

    fn class(&mut self) -> Result<Class, String> {
        let negated = self.eat('^');
        let mut set = Class::from_ranges([]);
        loop {
            let c = self.peek().ok_or("unterminated character class")?;
            if c == ']' {
                self.pos += 1;
                break;
            }
            let lo = self.class_atom()?;
            if self.peek() == Some('-') && self.peek_at(1).is_some_and(|c| c != ']') {
                self.pos += 1;
                let hi = self.class_atom()?;
                match (&lo, &hi) {
                    (ClassAtom::Char(a), ClassAtom::Char(b)) => {
                        if a > b {
                            return Err("range out of order in character class".into());
                        }
                        set = set.union(&Class::from_ranges([(*a, *b)]));
                    }
                    _ => {
                        // Annex B: a range with a class escape is the three items.
                        set = set
                            .union(&lo.class())
                            .union(&Class::char('-'))
                            .union(&hi.class());
                    }
                }
            } else {
                set = set.union(&lo.class());
            }
        }
        Ok(if negated { set.negate() } else { set })
    }

    fn class_atom(&mut self) -> Result<ClassAtom, String> {
        let c = self.peek().ok_or("unterminated character class")?;
        self.pos += 1;
        if c != '\\' {
            return Ok(ClassAtom::Char(c as u32));
        }
        let e = self.peek().ok_or("unterminated character class")?;
        self.pos += 1;
        Ok(match e {
            'd' | 'D' | 'w' | 'W' | 's' | 'S' => ClassAtom::Set(perl_class(e)),
            'b' => ClassAtom::Char(8),
            'f' => ClassAtom::Char(0x0C),
            'n' => ClassAtom::Char(0x0A),
            'r' => ClassAtom::Char(0x0D),
            't' => ClassAtom::Char(0x09),
            'v' => ClassAtom::Char(0x0B),
            'c' => match self.peek() {
                Some(l) if l.is_ascii_alphanumeric() || l == '_' => {
                    self.pos += 1;
                    ClassAtom::Char((l as u32) % 32)
                }
                _ => {
                    self.pos -= 1;
                    ClassAtom::Char('\\' as u32)
                }
            },
            'x' => match self.hex(2) {
                Some(v) => ClassAtom::Char(v),
                None => ClassAtom::Char('x' as u32),
            },
            'u' => match self.hex(4) {
                Some(v) if (0xD800..=0xDFFF).contains(&v) => {
                    return Err("lone surrogate escapes are not supported".into())
                }
                Some(v) => ClassAtom::Char(v),
                None => ClassAtom::Char('u' as u32),
            },
            '0'..='7' => ClassAtom::Char(self.legacy_octal(e)),
            other => ClassAtom::Char(other as u32),
        })
    }
}

enum ClassAtom {
    Char(u32),
    Set(Class),
}

impl ClassAtom {
    fn class(&self) -> Class {
        match self {
            ClassAtom::Char(c) => Class::from_ranges([(*c, *c)]),
            ClassAtom::Set(s) => s.clone(),
        }
    }
}

fn perl_class(c: char) -> Class {
    let base = match c.to_ascii_lowercase() {
        'd' => Class::from_ranges([(0x30, 0x39)]),
        'w' => Class::from_ranges([(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]),
        _ => Class::from_ranges([
            (0x09, 0x0D),
            (0x20, 0x20),
            (0xA0, 0xA0),
            (0x1680, 0x1680),
            (0x2000, 0x200A),
            (0x2028, 0x2029),
            (0x202F, 0x202F),
            (0x205F, 0x205F),
            (0x3000, 0x3000),
            (0xFEFF, 0xFEFF),
        ]),
    };
    if c.is_ascii_uppercase() {
        base.negate()
    } else {
        base
    }
}
