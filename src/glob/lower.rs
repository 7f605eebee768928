//! Compiles picomatch's lookaheads away, so a pattern can join the `RegexSet`.
//!
//! The rewrite is exact on *plain* paths — what git reports: non-empty, no line breaks, no
//! leading, trailing or doubled `/`, no `.` or `..` segment. On such paths most of
//! picomatch's lookaheads are decided by what is known about the position: `(?=.)` right
//! after a `/` always holds (no trailing slash), `(?!\.{1,2}(?:\/|$))` at a segment start
//! always holds (no dot segments). A forward pass tracks, for every point of the tree, the
//! set of situations the position can be in ([`St`]), decides each lookahead from that set,
//! and distributes a preceding alternation over the rest of the sequence when the answer
//! differs between its branches (picomatch's `(?:\/…\/|\/|$)` before `(?=.)`).
//!
//! A `!(…)` extglob becomes two regexes, "without the lookahead" AND NOT "the lookahead's
//! body at the same place", when the place is unambiguous: after a fixed-width prefix, or as
//! a whole last segment. Anything else is reported as [`Lowered::Slow`] and runs on the exact
//! matcher. Non-plain paths never use these results.

use super::ir::{Class, LookKind, Node};

/// Situations a position in a plain path can be in (a bit set).
type St = u8;
const START: St = 1; // position 0
const SLASH: St = 2; // just after a `/`
const DOTSEG: St = 4; // just after a `.` that starts a segment
const OTHER: St = 8; // anything else before the end (no claim)
const END: St = 16; // at the end of the path

/// Upper bound on the size of a rewritten tree; larger rewrites fall back to the exact matcher.
const MAX_DISTRIBUTIONS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Lowered {
    /// One look-free tree, equivalent on plain paths. `None`: never matches a plain path.
    Tree(Option<Node>),
    /// Matches iff `pos` matches and `neg` does not.
    AndNot {
        pos: Option<Node>,
        neg: Option<Node>,
    },
    /// Needs the exact matcher.
    Slow,
}

#[derive(Debug)]
enum Fail {
    /// A lookahead holds for some incoming situations and fails for others.
    Mixed,
    /// A lookahead cannot be decided here.
    Unknown,
}

type Res = Result<(Option<Node>, St), Fail>;

/// Lowers an anchored pattern tree (`Start … End`).
pub(crate) fn lower(tree: &Node) -> Lowered {
    if !tree.has_look() {
        return Lowered::Tree(Some(peephole(tree.clone())));
    }
    let mut budget = MAX_DISTRIBUTIONS;
    match lower_node(tree, START, &mut budget) {
        Ok((node, _)) => Lowered::Tree(node.map(peephole)),
        Err(_) => decompose(tree),
    }
}

fn decompose(tree: &Node) -> Lowered {
    let items: Vec<Node> = match tree {
        Node::Concat(v) => v.clone(),
        other => vec![other.clone()],
    };
    let looks: Vec<usize> = items
        .iter()
        .enumerate()
        .filter(|(_, n)| {
            matches!(
                n,
                Node::Look {
                    kind: LookKind::Other,
                    ..
                }
            )
        })
        .map(|(i, _)| i)
        .collect();
    let [k] = looks.as_slice() else {
        return Lowered::Slow;
    };
    let k = *k;
    let Node::Look {
        negate: true,
        node: body,
        ..
    } = &items[k]
    else {
        return Lowered::Slow;
    };
    let prefix = &items[..k];
    let rest = &items[k + 1..];
    let body_items: Vec<Node> = match body.as_ref() {
        Node::Concat(v) => v.clone(),
        other => vec![other.clone()],
    };
    let anchored = matches!(body_items.last(), Some(Node::End));
    let mut neg_items: Vec<Node> = prefix.to_vec();
    neg_items.extend(body_items);
    if Node::Concat(prefix.to_vec()).fixed_width().is_some() {
        // The lookahead sits at a fixed offset: test its body there.
        if !anchored {
            neg_items.push(Node::star(Node::Class(Class::any())));
        }
    } else if in_last_segment(prefix, body, rest) {
        // The lookahead sits in the last segment, at a fixed offset from its start; its
        // body can only match up to the end of that segment.
        if !anchored {
            neg_items.push(Node::star(Node::Class(Class::not_slash())));
            neg_items.push(Node::End);
        }
    } else {
        return Lowered::Slow;
    }
    let pos = Node::concat(prefix.iter().chain(rest.iter()).cloned().collect());
    let neg = Node::concat(neg_items);
    let mut budget = MAX_DISTRIBUTIONS;
    let pos = match lower_node(&pos, START, &mut budget) {
        Ok((n, _)) => n.map(peephole),
        Err(_) => return Lowered::Slow,
    };
    let neg = match lower_node(&neg, START, &mut budget) {
        Ok((n, _)) => n.map(peephole),
        Err(_) => return Lowered::Slow,
    };
    Lowered::AndNot { pos, neg }
}

/// True if nothing after the prefix can match `/` and the prefix ends with a slash-free,
/// fixed-width tail that starts at a segment boundary: then the lookahead's position is the
/// last segment's start plus that width, the same for every match.
fn in_last_segment(prefix: &[Node], body: &Node, rest: &[Node]) -> bool {
    if body.can_match_char('/') || rest.iter().any(|n| n.can_match_char('/')) {
        return false;
    }
    let mut split = prefix.len();
    while split > 0
        && prefix[split - 1].fixed_width().is_some()
        && !prefix[split - 1].can_match_char('/')
    {
        split -= 1;
    }
    let mut budget = MAX_DISTRIBUTIONS;
    matches!(lower_node(&Node::concat(prefix[..split].to_vec()), START, &mut budget),
        Ok((Some(_), st)) if st & !(START | SLASH) == 0)
}

fn lower_node(node: &Node, st: St, budget: &mut usize) -> Res {
    match node {
        Node::Empty => Ok((Some(Node::Empty), st)),
        Node::Class(c) => {
            let out = class_step(c, st);
            Ok(if out == 0 {
                (None, 0)
            } else {
                (Some(node.clone()), out)
            })
        }
        // An assertion that is known to hold is dropped, so shapes such as `(?:^|.*/)` become
        // `(?:.*/)?` (the set anchors every regex at the start itself).
        Node::Start if st == START => Ok((Some(Node::Empty), START)),
        Node::Start => Ok(if st & START != 0 {
            (Some(Node::Start), START)
        } else {
            (None, 0)
        }),
        Node::End => Ok(if st & (OTHER | END) != 0 {
            (Some(Node::End), END)
        } else {
            (None, 0)
        }),
        Node::Concat(items) => lower_concat(items, st, budget),
        Node::Alt(branches) => {
            let mut live = Vec::new();
            let mut out = 0;
            for b in branches {
                if let (Some(n), o) = lower_node(b, st, budget)? {
                    live.push(n);
                    out |= o;
                }
            }
            Ok(if live.is_empty() {
                (None, 0)
            } else {
                (Some(alternation(live)), out)
            })
        }
        Node::Repeat {
            node: body,
            min,
            max,
        } => {
            let mut entry = st;
            let (lowered, body_out) = loop {
                let (n, o) = lower_node(body, entry, budget)?;
                if entry | o == entry {
                    break (n, o);
                }
                entry |= o;
            };
            match lowered {
                None if *min == 0 => Ok((Some(Node::Empty), st)),
                None => Ok((None, 0)),
                Some(n) => {
                    let out = if *min == 0 { st | body_out } else { body_out };
                    Ok((
                        Some(Node::Repeat {
                            node: Box::new(n),
                            min: *min,
                            max: *max,
                        }),
                        out,
                    ))
                }
            }
        }
        Node::Look { negate, kind, .. } => {
            let mut holds = 0;
            let mut fails = 0;
            for s in [START, SLASH, DOTSEG, OTHER, END] {
                if st & s == 0 {
                    continue;
                }
                match decide(*kind, s) {
                    Some(true) => holds |= s,
                    Some(false) => fails |= s,
                    None => return Err(Fail::Unknown),
                }
            }
            // `decide` answers for the lookahead's condition as written (negations included).
            let _ = negate;
            if fails == 0 {
                Ok((Some(Node::Empty), st))
            } else if holds == 0 {
                Ok((None, 0))
            } else {
                Err(Fail::Mixed)
            }
        }
    }
}

fn lower_concat(items: &[Node], st: St, budget: &mut usize) -> Res {
    let mut out = Vec::with_capacity(items.len());
    let mut cur = st;
    for (j, item) in items.iter().enumerate() {
        match lower_node(item, cur, budget) {
            Ok((None, _)) => return Ok((None, 0)),
            Ok((Some(n), o)) => {
                out.push(n);
                cur = o;
            }
            Err(Fail::Mixed) => {
                // Split the nearest earlier alternation so that each branch carries the rest
                // of the sequence with its own, narrower set of situations.
                let Some(i) = items[..j].iter().rposition(|n| matches!(n, Node::Alt(_))) else {
                    return Err(Fail::Mixed);
                };
                if *budget == 0 {
                    return Err(Fail::Unknown);
                }
                *budget -= 1;
                let Node::Alt(branches) = &items[i] else {
                    unreachable!("matched above")
                };
                let distributed = Node::Alt(
                    branches
                        .iter()
                        .map(|b| {
                            let mut seq = vec![b.clone()];
                            seq.extend(items[i + 1..].iter().cloned());
                            Node::concat(seq)
                        })
                        .collect(),
                );
                let mut seq: Vec<Node> = items[..i].to_vec();
                seq.push(distributed);
                return lower_concat(&seq, st, budget);
            }
            Err(e) => return Err(e),
        }
    }
    Ok((Some(Node::concat(out)), cur))
}

/// An alternation with `(?:|x)` written as `(?:x)?`, the form the fast shapes expect.
fn alternation(mut branches: Vec<Node>) -> Node {
    if branches.len() == 2 {
        let empty = branches.iter().position(|b| *b == Node::Empty);
        if let Some(e) = empty {
            return Node::opt(branches.swap_remove(1 - e));
        }
    }
    Node::alt(branches)
}

/// Where a character from `c` can lead from the situations in `st`.
fn class_step(c: &Class, st: St) -> St {
    let live = st & !END;
    if live == 0 {
        return 0;
    }
    let mut out = 0;
    let seg_start = live & (START | SLASH);
    // A plain path never has `/` at the start, after `/`, or after a segment-opening `.`.
    if c.contains('/') && live & OTHER != 0 {
        out |= SLASH;
    }
    if c.contains('.') {
        if seg_start != 0 {
            out |= DOTSEG;
        }
        if live & (DOTSEG | OTHER) != 0 {
            out |= OTHER;
        }
    }
    if !c
        .minus(&Class::from_ranges([
            ('/' as u32, '/' as u32),
            ('.' as u32, '.' as u32),
        ]))
        .is_empty()
    {
        out |= OTHER;
    }
    out
}

/// Whether a picomatch lookahead holds in situation `s` of a plain path; `None` if it
/// depends on more than the situation.
fn decide(kind: LookKind, s: St) -> Option<bool> {
    match kind {
        // (?=.): a character follows
        LookKind::OneChar => match s {
            START | SLASH | DOTSEG => Some(true),
            END => Some(false),
            _ => None,
        },
        // (?!\.{1,2}(?:\/|$)): no `.`/`..` segment starts here
        LookKind::NoDotsSlash => match s {
            START | SLASH | END => Some(true),
            _ => None,
        },
        // (?!\.{0,1}(?:\/|$)): not at the end, not before `/`, `.`+end or `./`
        LookKind::NoDotSlash => match s {
            START | SLASH | DOTSEG => Some(true),
            END => Some(false),
            _ => None,
        },
        // (?!(?:^|\/)\.{1,2}(?:\/|$)): plain paths have no dot segments
        LookKind::NoDots => Some(true),
        LookKind::Other => None,
    }
}

/// Drops an optional `/` right before the end: plain paths never end with `/`.
fn peephole(node: Node) -> Node {
    let Node::Concat(mut items) = node else {
        return node;
    };
    let n = items.len();
    if n >= 2 && matches!(items[n - 1], Node::End) && is_optional_slash(&items[n - 2]) {
        items.remove(n - 2);
    }
    Node::concat(items)
}

fn is_optional_slash(node: &Node) -> bool {
    matches!(node, Node::Repeat { node, min: 0, max: Some(1) }
        if matches!(node.as_ref(), Node::Class(c) if c.single() == Some('/')))
}
