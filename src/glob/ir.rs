//! The intermediate representation every dialect compiles to: a small regular-expression
//! tree over Unicode scalar values, plus the JavaScript lookaheads picomatch emits.
//!
//! Look-free trees print as `regex` crate syntax ([`to_regex`]); any tree, lookaheads
//! included, runs on the exact matcher in [`super::pikevm`].

use std::fmt::Write as _;

const MAX_CHAR: u32 = 0x10_FFFF;

/// A set of characters as sorted, non-overlapping, non-adjacent inclusive ranges of code
/// points (surrogates never appear: they are not `char`s).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Class {
    ranges: Vec<(u32, u32)>,
}

impl Class {
    pub fn from_ranges(ranges: impl IntoIterator<Item = (u32, u32)>) -> Class {
        let mut ranges: Vec<(u32, u32)> = ranges
            .into_iter()
            .filter(|(a, b)| a <= b)
            .flat_map(|(a, b)| {
                // drop the surrogate block
                let mut out = Vec::with_capacity(2);
                if a < 0xD800 {
                    out.push((a, b.min(0xD7FF)));
                }
                if b > 0xDFFF {
                    out.push((a.max(0xE000), b.min(MAX_CHAR)));
                }
                out
            })
            .filter(|(a, b)| a <= b)
            .collect();
        ranges.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(ranges.len());
        for (a, b) in ranges {
            match merged.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        Class { ranges: merged }
    }

    pub fn char(c: char) -> Class {
        Class::from_ranges([(c as u32, c as u32)])
    }

    pub fn any() -> Class {
        Class::from_ranges([(0, MAX_CHAR)])
    }

    /// Every character except `/`.
    pub fn not_slash() -> Class {
        Class::char('/').negate()
    }

    /// JavaScript `.`: every character except the line terminators.
    pub fn js_dot() -> Class {
        Class::from_ranges([(0x0A, 0x0A), (0x0D, 0x0D), (0x2028, 0x2029)]).negate()
    }

    pub fn negate(&self) -> Class {
        let mut out = Vec::with_capacity(self.ranges.len() + 1);
        let mut next = 0u32;
        for &(a, b) in &self.ranges {
            if a > next {
                out.push((next, a - 1));
            }
            next = b + 1;
        }
        if next <= MAX_CHAR {
            out.push((next, MAX_CHAR));
        }
        Class::from_ranges(out)
    }

    pub fn union(&self, other: &Class) -> Class {
        Class::from_ranges(self.ranges.iter().chain(other.ranges.iter()).copied())
    }

    pub fn minus(&self, other: &Class) -> Class {
        self.negate().union(other).negate()
    }

    pub fn contains(&self, c: char) -> bool {
        let c = c as u32;
        self.ranges
            .binary_search_by(|&(a, b)| {
                if b < c {
                    std::cmp::Ordering::Less
                } else if a > c {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// The only character in the class, if it has exactly one.
    pub fn single(&self) -> Option<char> {
        match self.ranges.as_slice() {
            [(a, b)] if a == b => char::from_u32(*a),
            _ => None,
        }
    }

    /// True if the class holds every character other than (possibly) the JavaScript line
    /// terminators — "any character" on a path without line breaks.
    pub fn is_any_on_plain(&self) -> bool {
        Class::js_dot().minus(self).is_empty()
    }

    /// True if the class is exactly "anything but `/`" up to line terminators.
    pub fn is_not_slash_on_plain(&self) -> bool {
        !self.contains('/')
            && Class::js_dot()
                .minus(&Class::char('/'))
                .minus(self)
                .is_empty()
    }

    fn write_regex(&self, out: &mut String) {
        if let Some(c) = self.single() {
            out.push_str(&regex::escape(c.encode_utf8(&mut [0; 4])));
            return;
        }
        if self.ranges.is_empty() {
            // The regex crate accepts an empty class and it never matches.
            out.push_str("[^\\x{0}-\\x{10FFFF}]");
            return;
        }
        let complement = self.negate();
        if complement.ranges.is_empty() {
            out.push_str("(?s:.)");
        } else if complement.ranges.len() < self.ranges.len() {
            out.push_str("[^");
            complement.write_ranges(out);
            out.push(']');
        } else {
            out.push('[');
            self.write_ranges(out);
            out.push(']');
        }
    }

    fn write_ranges(&self, out: &mut String) {
        let one = |c: u32, out: &mut String| match char::from_u32(c) {
            Some(ch) if ch.is_ascii_alphanumeric() || ch == '/' || ch == '.' || ch == '_' => {
                out.push(ch)
            }
            _ => {
                let _ = write!(out, "\\x{{{c:X}}}");
            }
        };
        for &(a, b) in &self.ranges {
            one(a, out);
            if b != a {
                out.push('-');
                one(b, out);
            }
        }
    }
}

/// What a JavaScript lookahead emitted by picomatch tests. Recognised by its exact text, so
/// later passes can reason about it without re-deriving the meaning from the tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum LookKind {
    /// `(?=.)`: some character (not a line terminator) follows.
    OneChar,
    /// `(?!\.{1,2}(?:\/|$))`: the rest does not start with a `.` or `..` segment.
    NoDotsSlash,
    /// `(?!\.{0,1}(?:\/|$))`: the rest is not empty, `/...`, `.`, or `./...`.
    NoDotSlash,
    /// `(?!(?:^|\/)\.{1,2}(?:\/|$))`: no `.`/`..` segment starts here.
    NoDots,
    /// Any other lookahead (picomatch's `!(...)` extglob).
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Node {
    Empty,
    Class(Class),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
    },
    /// Start of the path.
    Start,
    /// End of the path.
    End,
    Look {
        negate: bool,
        kind: LookKind,
        node: Box<Node>,
    },
}

impl Node {
    /// A concatenation with nested concatenations flattened and empties dropped.
    pub fn concat(nodes: Vec<Node>) -> Node {
        let mut flat = Vec::with_capacity(nodes.len());
        for n in nodes {
            match n {
                Node::Concat(inner) => flat.extend(inner),
                Node::Empty => {}
                other => flat.push(other),
            }
        }
        match flat.len() {
            0 => Node::Empty,
            1 => flat.pop().unwrap_or(Node::Empty),
            _ => Node::Concat(flat),
        }
    }

    pub fn alt(mut nodes: Vec<Node>) -> Node {
        if nodes.len() == 1 {
            return nodes.pop().unwrap_or(Node::Empty);
        }
        Node::Alt(nodes)
    }

    pub fn star(node: Node) -> Node {
        Node::Repeat {
            node: Box::new(node),
            min: 0,
            max: None,
        }
    }

    pub fn opt(node: Node) -> Node {
        Node::Repeat {
            node: Box::new(node),
            min: 0,
            max: Some(1),
        }
    }

    pub fn has_look(&self) -> bool {
        match self {
            Node::Look { .. } => true,
            Node::Concat(v) | Node::Alt(v) => v.iter().any(Node::has_look),
            Node::Repeat { node, .. } => node.has_look(),
            _ => false,
        }
    }

    /// True if some character in the tree's classes is `c`.
    pub fn can_match_char(&self, c: char) -> bool {
        match self {
            Node::Class(cls) => cls.contains(c),
            Node::Concat(v) | Node::Alt(v) => v.iter().any(|n| n.can_match_char(c)),
            Node::Repeat { node, .. } => node.can_match_char(c),
            Node::Look { .. } | Node::Empty | Node::Start | Node::End => false,
        }
    }

    /// The number of characters every match consumes, if it is fixed.
    pub fn fixed_width(&self) -> Option<usize> {
        match self {
            Node::Empty | Node::Start | Node::End | Node::Look { .. } => Some(0),
            Node::Class(_) => Some(1),
            Node::Concat(v) => v.iter().map(Node::fixed_width).sum(),
            Node::Alt(v) => {
                let first = v.first()?.fixed_width()?;
                v.iter()
                    .all(|n| n.fixed_width() == Some(first))
                    .then_some(first)
            }
            Node::Repeat { node, min, max } => {
                let w = node.fixed_width()?;
                if w == 0 {
                    Some(0)
                } else if Some(*min) == *max {
                    Some(w * *min as usize)
                } else {
                    None
                }
            }
        }
    }
}

/// Prints a look-free tree in `regex` crate syntax (not anchored).
pub(crate) fn to_regex(node: &Node) -> String {
    let mut out = String::new();
    write_node(node, &mut out);
    out
}

fn write_node(node: &Node, out: &mut String) {
    match node {
        Node::Empty => {}
        Node::Class(c) => c.write_regex(out),
        Node::Concat(v) => {
            for n in v {
                if matches!(n, Node::Alt(_)) {
                    out.push_str("(?:");
                    write_node(n, out);
                    out.push(')');
                } else {
                    write_node(n, out);
                }
            }
        }
        Node::Alt(v) => {
            for (i, n) in v.iter().enumerate() {
                if i > 0 {
                    out.push('|');
                }
                write_node(n, out);
            }
        }
        Node::Repeat { node, min, max } => {
            out.push_str("(?:");
            write_node(node, out);
            out.push(')');
            match (min, max) {
                (0, None) => out.push('*'),
                (1, None) => out.push('+'),
                (0, Some(1)) => out.push('?'),
                (n, None) => {
                    let _ = write!(out, "{{{n},}}");
                }
                (n, Some(m)) => {
                    let _ = write!(out, "{{{n},{m}}}");
                }
            }
        }
        Node::Start => out.push_str("\\A"),
        Node::End => out.push_str("\\z"),
        // Callers only print look-free trees; a lookahead that slipped through must never
        // match rather than silently match everything.
        Node::Look { .. } => out.push_str("[^\\x{0}-\\x{10FFFF}]"),
    }
}
