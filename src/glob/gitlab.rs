//! The gitlab dialect: Ruby's `File.fnmatch?(glob, path, FNM_PATHNAME | FNM_DOTMATCH |
//! FNM_EXTGLOB)`, which GitLab's `rules:changes` calls for every changed path.
//!
//! Braces are expanded first, exactly like Ruby's `ruby_brace_expand` (so `{a}` is `a`, and
//! a `**/` produced by an expansion counts), then each expansion becomes one alternative:
//! `*`, `?` and `[...]` never match `/`, `**/` at a segment start is zero or more whole
//! segments, any other `**` is `*`, dotfiles match, `\` escapes, and `!` is an ordinary
//! character.

use super::ir::{Class, Node};
use super::GlobError;

/// Expansions beyond this are almost certainly a mistake and would slow every match.
const MAX_EXPANSIONS: usize = 1024;

pub(crate) fn compile(pattern: &str) -> Result<Node, GlobError> {
    if pattern.is_empty() {
        return Err(GlobError::new(pattern, 0, "empty pattern"));
    }
    let chars: Vec<char> = pattern.chars().collect();
    check_braces(pattern, &chars)?;
    let mut expansions = Vec::new();
    expand(&chars, &mut expansions, pattern)?;
    let mut alts = Vec::with_capacity(expansions.len());
    for exp in &expansions {
        alts.push(fnmatch(pattern, exp)?);
    }
    Ok(Node::concat(vec![Node::Start, Node::alt(alts), Node::End]))
}

/// Ruby never matches a pattern whose `{` has no `}`; say so instead.
fn check_braces(pattern: &str, chars: &[char]) -> Result<(), GlobError> {
    let mut open = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 1,
            '{' => open.push(i),
            '}' => {
                open.pop();
            }
            _ => {}
        }
        i += 1;
    }
    match open.first() {
        Some(&at) => Err(GlobError::new(
            pattern,
            at,
            "unclosed `{`; write `\\{` to match a literal brace",
        )),
        None => Ok(()),
    }
}

/// `ruby_brace_expand`: expands the first top-level `{...}`, then recurses on each result.
fn expand(chars: &[char], out: &mut Vec<Vec<char>>, pattern: &str) -> Result<(), GlobError> {
    let mut lbrace = None;
    let mut rbrace = None;
    let mut nest = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '{' {
            if nest == 0 {
                lbrace = Some(i);
            }
            nest += 1;
        }
        if c == '}' && lbrace.is_some() {
            nest -= 1;
            if nest == 0 {
                rbrace = Some(i);
                break;
            }
        }
        if c == '\\' {
            i += 1;
            if i >= chars.len() {
                break;
            }
        }
        i += 1;
    }
    let (Some(l), Some(r)) = (lbrace, rbrace) else {
        if lbrace.is_none() {
            out.push(chars.to_vec());
        }
        return Ok(());
    };
    let mut p = l;
    while p < r {
        p += 1;
        let t = p;
        let mut nest = 0i32;
        while p < r && !(chars[p] == ',' && nest == 0) {
            match chars[p] {
                '{' => nest += 1,
                '}' => nest -= 1,
                '\\' => {
                    p += 1;
                    if p == r {
                        break;
                    }
                }
                _ => {}
            }
            p += 1;
        }
        let mut buf: Vec<char> = chars[..l].to_vec();
        buf.extend_from_slice(&chars[t..p.min(r)]);
        buf.extend_from_slice(&chars[r + 1..]);
        expand(&buf, out, pattern)?;
        if out.len() > MAX_EXPANSIONS {
            return Err(GlobError::new(
                pattern,
                l,
                format!("braces expand to more than {MAX_EXPANSIONS} patterns"),
            ));
        }
    }
    Ok(())
}

/// One brace-free fnmatch pattern as an (unanchored) tree.
fn fnmatch(pattern: &str, chars: &[char]) -> Result<Node, GlobError> {
    let mut items = Vec::new();
    let mut i = 0;
    let mut seg_start = true;
    // Position in the original pattern is only known without braces; errors point at the
    // offending character of the expansion otherwise, which is the same for brace-free text.
    let at = |i: usize| i.min(pattern.chars().count().saturating_sub(1));
    while i < chars.len() {
        if seg_start {
            let mut globstar = false;
            while chars[i..].starts_with(&['*', '*', '/']) {
                i += 3;
                globstar = true;
            }
            if globstar {
                items.push(Node::star(Node::concat(vec![
                    Node::star(Node::Class(Class::not_slash())),
                    Node::Class(Class::char('/')),
                ])));
                continue;
            }
        }
        seg_start = false;
        match chars[i] {
            '*' => {
                while i < chars.len() && chars[i] == '*' {
                    i += 1;
                }
                items.push(Node::star(Node::Class(Class::not_slash())));
                continue;
            }
            '?' => items.push(Node::Class(Class::not_slash())),
            '[' => {
                let (class, next) = bracket(chars, i + 1).ok_or_else(|| {
                    GlobError::new(
                        pattern,
                        at(i),
                        "unclosed character class `[`; write `\\[` to match a literal bracket",
                    )
                })?;
                if class.is_empty() {
                    return Err(GlobError::new(pattern, at(i), "the character class `[]` never matches; write `\\[\\]` for literal brackets"));
                }
                items.push(Node::Class(class));
                i = next;
                continue;
            }
            '\\' => {
                i += 1;
                let Some(&c) = chars.get(i) else {
                    return Err(GlobError::new(
                        pattern,
                        at(i - 1),
                        "a trailing `\\` escapes nothing",
                    ));
                };
                items.push(Node::Class(Class::char(c)));
                seg_start = c == '/';
            }
            '/' => {
                items.push(Node::Class(Class::char('/')));
                seg_start = true;
            }
            c => items.push(Node::Class(Class::char(c))),
        }
        i += 1;
    }
    Ok(Node::concat(items))
}

/// Ruby's `bracket()`: the class starting after `[` and the index after its `]`, or `None`
/// if it is not closed. The class never holds `/` (FNM_PATHNAME).
fn bracket(chars: &[char], mut p: usize) -> Option<(Class, usize)> {
    let mut negated = false;
    if matches!(chars.get(p), Some('!' | '^')) {
        negated = true;
        p += 1;
    }
    let mut set = Class::from_ranges([]);
    loop {
        let c = *chars.get(p)?;
        if c == ']' {
            p += 1;
            break;
        }
        let (lo, after) = escaped(chars, p)?;
        p = after;
        if chars.get(p) == Some(&'-') && chars.get(p + 1).is_some_and(|&c| c != ']') {
            let (hi, after) = escaped(chars, p + 1)?;
            p = after;
            // Ruby matches either endpoint, then the inclusive range when it is in order.
            set = set
                .union(&Class::char(lo))
                .union(&Class::char(hi))
                .union(&Class::from_ranges([(lo as u32, hi as u32)]));
        } else {
            set = set.union(&Class::char(lo));
        }
    }
    let set = if negated { set.negate() } else { set };
    Some((set.minus(&Class::char('/')), p))
}

fn escaped(chars: &[char], p: usize) -> Option<(char, usize)> {
    if chars.get(p) == Some(&'\\') {
        chars.get(p + 1).map(|&c| (c, p + 2))
    } else {
        chars.get(p).map(|&c| (c, p + 1))
    }
}
