//! The github dialect: the filter patterns of `on.<push|pull_request>.paths`, as GitHub's
//! "Filter pattern cheat sheet" defines them.
//!
//! `*` is any run of characters but `/`; `**` is any run including `/` (also inside a
//! segment: `**.js`), and `**/` at a segment start may also match nothing (`**/README.md`
//! matches `README.md`, `docs/**/*.md` matches `docs/README.md`); `?` makes the preceding
//! character optional and `+` repeats it; `[...]` is one character from a set or range
//! (`[!...]`/`[^...]` negate it, never matching `/`); `\` escapes; a leading `!` negates the
//! pattern; everything else, braces included, is literal.

use super::ir::{Class, Node};
use super::GlobError;

/// The pattern body (without its leading `!`) as an anchored tree, and whether it had one.
pub(crate) fn compile(pattern: &str) -> Result<(bool, Node), GlobError> {
    let chars: Vec<char> = pattern.chars().collect();
    if chars.is_empty() {
        return Err(GlobError::new(pattern, 0, "empty pattern"));
    }
    let negated = chars[0] == '!';
    let start = usize::from(negated);
    if start == chars.len() {
        return Err(GlobError::new(pattern, 0, "nothing follows `!`"));
    }
    let mut items: Vec<Node> = Vec::new();
    let mut i = start;
    let mut seg_start = true;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '*' => {
                let run = chars[i..].iter().take_while(|&&c| c == '*').count();
                i += run;
                if run == 1 {
                    items.push(Node::star(Node::Class(Class::not_slash())));
                } else if seg_start && chars.get(i) == Some(&'/') {
                    i += 1;
                    items.push(Node::opt(Node::concat(vec![
                        Node::star(Node::Class(Class::any())),
                        Node::Class(Class::char('/')),
                    ])));
                    seg_start = true;
                    continue;
                } else {
                    items.push(Node::star(Node::Class(Class::any())));
                }
                seg_start = false;
                continue;
            }
            '?' | '+' => {
                let Some(prev) = items.pop() else {
                    return Err(GlobError::new(
                        pattern,
                        i,
                        format!("`{c}` repeats the preceding character, and there is none"),
                    ));
                };
                items.push(if c == '?' {
                    Node::opt(prev)
                } else {
                    Node::Repeat {
                        node: Box::new(prev),
                        min: 1,
                        max: None,
                    }
                });
                i += 1;
                continue;
            }
            '[' => {
                let (class, next) = bracket(pattern, &chars, i)?;
                items.push(Node::Class(class));
                i = next;
                seg_start = false;
                continue;
            }
            '\\' => {
                let Some(&e) = chars.get(i + 1) else {
                    return Err(GlobError::new(
                        pattern,
                        i,
                        "a trailing `\\` escapes nothing",
                    ));
                };
                items.push(Node::Class(Class::char(e)));
                seg_start = e == '/';
                i += 2;
                continue;
            }
            _ => {
                items.push(Node::Class(Class::char(c)));
                seg_start = c == '/';
            }
        }
        i += 1;
    }
    let mut seq = vec![Node::Start];
    seq.extend(items);
    seq.push(Node::End);
    Ok((negated, Node::concat(seq)))
}

fn bracket(pattern: &str, chars: &[char], open: usize) -> Result<(Class, usize), GlobError> {
    let mut p = open + 1;
    let negated = matches!(chars.get(p), Some('!' | '^'));
    if negated {
        p += 1;
    }
    let mut set = Class::from_ranges([]);
    let mut empty = true;
    loop {
        let Some(&c) = chars.get(p) else {
            return Err(GlobError::new(
                pattern,
                open,
                "unclosed character class `[`; write `\\[` to match a literal bracket",
            ));
        };
        if c == ']' && !empty {
            p += 1;
            break;
        }
        if c == ']' {
            return Err(GlobError::new(pattern, open, "empty character class `[]`"));
        }
        let (lo, next) = escaped(pattern, chars, p)?;
        p = next;
        if chars.get(p) == Some(&'-') && chars.get(p + 1).is_some_and(|&c| c != ']') {
            let (hi, next) = escaped(pattern, chars, p + 1)?;
            if hi < lo {
                return Err(GlobError::new(
                    pattern,
                    p,
                    format!("range `{lo}-{hi}` is out of order"),
                ));
            }
            set = set.union(&Class::from_ranges([(lo as u32, hi as u32)]));
            p = next;
        } else {
            set = set.union(&Class::char(lo));
        }
        empty = false;
    }
    let set = if negated { set.negate() } else { set };
    Ok((set.minus(&Class::char('/')), p))
}

fn escaped(pattern: &str, chars: &[char], p: usize) -> Result<(char, usize), GlobError> {
    if chars[p] == '\\' {
        match chars.get(p + 1) {
            Some(&c) => Ok((c, p + 2)),
            None => Err(GlobError::new(
                pattern,
                p,
                "a trailing `\\` escapes nothing",
            )),
        }
    } else {
        Ok((chars[p], p + 1))
    }
}
