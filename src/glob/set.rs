//! [`GlobSet`]: many patterns compiled once, matched against a path in one pass.
//!
//! Like globset, identical bodies are compiled once and cheap shapes skip the regex engine:
//! an exact path, `dir/**`, `dir/` + anything, `dir/*`, `**/*.ext`, `*.ext` and "everything"
//! are hash lookups or suffix checks; every other body is one entry of a single anchored
//! `regex::RegexSet`, so the path is scanned once for all of them. Those shortcuts are exact
//! on *plain* paths (what git reports); any other path, and the rare picomatch pattern whose
//! lookaheads cannot be compiled away, runs on the exact matcher ([`super::pikevm`]).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use regex::{RegexSet, RegexSetBuilder};

use super::ir::{to_regex, Node};
use super::lower::{lower, Lowered};
use super::pikevm::Program;
use super::{github, gitlab, picomatch, Dialect, GlobError};

/// A compiled set of glob patterns of one dialect.
///
/// Build it once with [`GlobSet::new`]; [`GlobSet::matches_into`] then answers, for one
/// path, which pattern bodies match.
#[derive(Debug, Clone)]
pub struct GlobSet {
    /// Per pattern: the index of its distinct body.
    body_of: Vec<u32>,
    /// Per pattern: whether it was negated.
    negated: Vec<bool>,
    bodies: Vec<Body>,
    /// Exact paths, picomatch's "the path is the pattern" rule, and directory prefixes.
    lits: HashMap<Box<str>, Vec<(usize, Lit)>, BuildHasherDefault<FxHasher>>,
    /// `lit_lens[n]`: some key of `lits` is `n` bytes long (skips most lookups).
    lit_lens: Vec<bool>,
    /// `**/*SUFFIX` and `**SUFFIX`.
    suffixes: Vec<(Box<str>, usize)>,
    /// `*SUFFIX` (no `/` in the path).
    root_suffixes: Vec<(Box<str>, usize)>,
    /// Bodies that match every plain path.
    always: Vec<usize>,
    regex: Option<RegexSet>,
    /// Per regex of the set: what its match means.
    regex_targets: Vec<Vec<Target>>,
    /// Bodies that match iff one regex matches and another does not.
    and_nots: Vec<(usize, Option<usize>, Option<usize>)>,
    /// Bodies that need the exact matcher on every path.
    slow: Vec<usize>,
}

#[derive(Debug, Clone)]
struct Body {
    /// The exact semantics (lookaheads included); used for non-plain paths and slow bodies.
    exact: Program,
    /// picomatch only: the pattern text, which always matches itself, and whether the
    /// pattern is negated (then the body "matches" exactly when picomatch says no).
    picomatch: Option<(Box<str>, bool)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lit {
    /// The path equals the key.
    Exact,
    /// picomatch: the path equals the pattern text.
    Same,
    /// The path equals the key or starts with key + `/`.
    Dir,
    /// The path starts with the key (which ends with `/`).
    Prefix,
    /// The path starts with the key (which ends with `/`) and has no `/` after it.
    Child,
}

#[derive(Debug, Clone, Copy)]
enum Target {
    Body(usize),
    /// Part of an AND NOT pair; read back from the match slots.
    Pair,
}

/// A shape that needs no regex.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Fast {
    Never,
    Always,
    Exact(String),
    Dir(String),
    Prefix(String),
    Child(String),
    Suffix(String),
    RootSuffix(String),
}

impl GlobSet {
    /// Compiles all patterns once. A leading `!` (picomatch, github) marks a negated
    /// pattern; the body is compiled without it. Cost: proportional to the total pattern
    /// length, plus one `RegexSet` build for the bodies that need a regex.
    pub fn new(dialect: Dialect, patterns: &[&str]) -> Result<GlobSet, GlobError> {
        let mut set = GlobSet {
            body_of: Vec::with_capacity(patterns.len()),
            negated: Vec::with_capacity(patterns.len()),
            bodies: Vec::new(),
            lits: HashMap::default(),
            lit_lens: Vec::new(),
            suffixes: Vec::new(),
            root_suffixes: Vec::new(),
            always: Vec::new(),
            regex: None,
            regex_targets: Vec::new(),
            and_nots: Vec::new(),
            slow: Vec::new(),
        };
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut regexes: Vec<String> = Vec::new();
        let mut regex_index: HashMap<String, usize> = HashMap::new();
        for &pattern in patterns {
            let (key, negated, tree, pm) = match dialect {
                Dialect::Picomatch => {
                    let compiled = picomatch::compile(pattern)?;
                    let tree = super::jsregex::parse(&format!("^(?:{})$", compiled.source))
                        .map_err(|e| {
                            GlobError::new(
                                pattern,
                                0,
                                format!("the pattern compiles to an invalid expression ({e})"),
                            )
                        })?;
                    let pm: Option<(Box<str>, bool)> = Some((Box::from(pattern), compiled.negated));
                    (pattern.to_string(), compiled.negated, tree, pm)
                }
                Dialect::Github => {
                    let (negated, tree) = github::compile(pattern)?;
                    let body = if negated { &pattern[1..] } else { pattern };
                    (body.to_string(), negated, tree, None)
                }
                Dialect::Gitlab => (pattern.to_string(), false, gitlab::compile(pattern)?, None),
            };
            if let Some(&b) = seen.get(&key) {
                set.body_of.push(b as u32);
                set.negated.push(negated);
                continue;
            }
            let b = set.bodies.len();
            seen.insert(key, b);
            set.body_of.push(b as u32);
            set.negated.push(negated);
            if let Some((text, _)) = &pm {
                set.lits
                    .entry(text.clone())
                    .or_default()
                    .push((b, Lit::Same));
            }
            set.bodies.push(Body {
                exact: Program::new(&tree),
                picomatch: pm,
            });
            let mut add_regex =
                |node: Node, target: Target, targets: &mut Vec<Vec<Target>>| -> usize {
                    // Lowered trees carry their own anchors (`neg` halves match a prefix).
                    let source = format!("\\A(?:{})", to_regex(&node));
                    let j = *regex_index.entry(source.clone()).or_insert_with(|| {
                        regexes.push(source);
                        targets.push(Vec::new());
                        regexes.len() - 1
                    });
                    targets[j].push(target);
                    j
                };
            match lower(&tree) {
                Lowered::Tree(node) => match node.as_ref().map_or(Some(Fast::Never), classify) {
                    Some(fast) => set.add_fast(fast, b),
                    None => {
                        let node = node.unwrap_or(Node::Empty);
                        add_regex(node, Target::Body(b), &mut set.regex_targets);
                    }
                },
                Lowered::AndNot { pos, neg } => {
                    let pos = pos.map(|n| add_regex(n, Target::Pair, &mut set.regex_targets));
                    let neg = neg.map(|n| add_regex(n, Target::Pair, &mut set.regex_targets));
                    set.and_nots.push((b, pos, neg));
                }
                Lowered::Slow => set.slow.push(b),
            }
        }
        let longest = set.lits.keys().map(|k| k.len()).max().unwrap_or(0);
        set.lit_lens = vec![false; longest + 1];
        for k in set.lits.keys() {
            set.lit_lens[k.len()] = true;
        }
        if !regexes.is_empty() {
            let regex = RegexSetBuilder::new(&regexes)
                .size_limit(256 << 20)
                .dfa_size_limit(64 << 20)
                .build()
                .map_err(|e| {
                    GlobError::new(
                        patterns.first().copied().unwrap_or(""),
                        0,
                        format!("the patterns are too complex to compile together ({e})"),
                    )
                })?;
            set.regex = Some(regex);
        }
        Ok(set)
    }

    fn add_fast(&mut self, fast: Fast, b: usize) {
        let (key, lit) = match fast {
            Fast::Never => return,
            Fast::Always => return self.always.push(b),
            Fast::Suffix(s) => return self.suffixes.push((s.into(), b)),
            Fast::RootSuffix(s) => return self.root_suffixes.push((s.into(), b)),
            Fast::Exact(s) => (s, Lit::Exact),
            Fast::Dir(s) => (s, Lit::Dir),
            Fast::Prefix(s) => (s, Lit::Prefix),
            Fast::Child(s) => (s, Lit::Child),
        };
        self.lits.entry(key.into()).or_default().push((b, lit));
    }

    /// The number of patterns.
    pub fn len(&self) -> usize {
        self.body_of.len()
    }

    /// True if the set has no patterns.
    pub fn is_empty(&self) -> bool {
        self.body_of.is_empty()
    }

    /// True if pattern `i` had a leading `!` (an odd number of them for picomatch; never for
    /// gitlab, where `!` is literal). Panics if `i >= len()`.
    pub fn is_negated(&self, i: usize) -> bool {
        self.negated[i]
    }

    /// Resizes `out` to `len()` and sets `out[i]` to whether pattern `i`'s body (without its
    /// leading `!`) matches `path`. Callers apply negation and ordering themselves.
    ///
    /// For a negated picomatch pattern the body "matches" exactly when picomatch's negated
    /// matcher answers false, so `!out[i]` is picomatch's answer even in its corner cases
    /// (a path equal to the pattern text, a path with a line break).
    ///
    /// Cost: one pass over the path for all patterns (a few hash lookups, suffix checks and
    /// at most one `RegexSet` scan); no allocation once `out` has grown. Paths that are not
    /// plain (line breaks, empty or `.`/`..` segments) take the exact, slower matcher.
    pub fn matches_into(&self, path: &str, out: &mut Vec<bool>) {
        if self.is_empty() {
            out.clear();
            return;
        }
        let n = self.body_of.len();
        let nb = self.bodies.len();
        let nr = self.regex_targets.len();
        out.clear();
        out.resize(n + nb + nr, false);
        {
            let (_, scratch) = out.split_at_mut(n);
            let (raw, slots) = scratch.split_at_mut(nb);
            if is_plain(path) {
                self.match_plain(path, raw, slots);
            } else {
                self.match_exact(path, raw);
            }
        }
        for i in 0..n {
            out[i] = out[n + self.body_of[i] as usize];
        }
        out.truncate(n);
    }

    fn match_plain(&self, path: &str, raw: &mut [bool], slots: &mut [bool]) {
        let mut same: &[(usize, Lit)] = &[];
        let lookup = |key: &str| -> Option<&Vec<(usize, Lit)>> {
            if self.lit_lens.get(key.len()).copied().unwrap_or(false) {
                self.lits.get(key)
            } else {
                None
            }
        };
        if !self.lits.is_empty() {
            if let Some(entries) = lookup(path) {
                for &(b, lit) in entries {
                    if matches!(lit, Lit::Exact | Lit::Dir) {
                        raw[b] = true;
                    }
                }
                same = entries;
            }
            for (i, _) in path
                .match_indices('/')
                .take_while(|(i, _)| *i < self.lit_lens.len())
            {
                if let Some(entries) = lookup(&path[..i]) {
                    for &(b, lit) in entries {
                        if lit == Lit::Dir {
                            raw[b] = true;
                        }
                    }
                }
                if let Some(entries) = lookup(&path[..=i]) {
                    for &(b, lit) in entries {
                        if lit == Lit::Prefix || (lit == Lit::Child && !path[i + 1..].contains('/'))
                        {
                            raw[b] = true;
                        }
                    }
                }
            }
        }
        for (suffix, b) in &self.suffixes {
            if path.ends_with(&**suffix) {
                raw[*b] = true;
            }
        }
        if !self.root_suffixes.is_empty() && !path.contains('/') {
            for (suffix, b) in &self.root_suffixes {
                if path.ends_with(&**suffix) {
                    raw[*b] = true;
                }
            }
        }
        for &b in &self.always {
            raw[b] = true;
        }
        if let Some(regex) = &self.regex {
            if regex.matches_read_at(slots, path, 0) {
                for (j, targets) in self.regex_targets.iter().enumerate() {
                    if slots[j] {
                        for t in targets {
                            if let Target::Body(b) = t {
                                raw[*b] = true;
                            }
                        }
                    }
                }
            }
        }
        for &(b, pos, neg) in &self.and_nots {
            let pos = pos.is_some_and(|j| slots[j]);
            let neg = neg.is_some_and(|j| slots[j]);
            raw[b] = pos && !neg;
        }
        for &b in &self.slow {
            raw[b] = self.bodies[b].exact.is_match(path);
        }
        for &(b, lit) in same {
            if lit == Lit::Same {
                if let Some((_, negated)) = &self.bodies[b].picomatch {
                    raw[b] = !negated;
                }
            }
        }
    }

    /// Like [`GlobSet::matches_into`] but always on the exact matcher (the reference the
    /// fast paths and the `RegexSet` are tested against).
    #[cfg(test)]
    pub(crate) fn exact_matches(&self, path: &str) -> Vec<bool> {
        let mut raw = vec![false; self.bodies.len()];
        self.match_exact(path, &mut raw);
        self.body_of.iter().map(|&b| raw[b as usize]).collect()
    }

    fn match_exact(&self, path: &str, raw: &mut [bool]) {
        let line_break = path.contains(['\n', '\r', '\u{2028}', '\u{2029}']);
        for (b, body) in self.bodies.iter().enumerate() {
            let hit = body.exact.is_match(path);
            raw[b] = match &body.picomatch {
                // picomatch's negated matcher is `^(?!^(?:body)$).*$`: `.` stops at a line break.
                Some((text, true)) => **text != *path && (hit || line_break),
                Some((text, false)) => **text == *path || hit,
                None => hit,
            };
        }
    }
}

/// A plain path: non-empty, no line break, no empty, `.` or `..` segment (so no leading,
/// trailing or doubled `/`). Every path git reports is plain unless it contains a newline.
pub(crate) fn is_plain(path: &str) -> bool {
    let bytes = path.as_bytes();
    if bytes.is_empty() {
        return false;
    }
    let mut seg_start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b'/' => {
                if !plain_segment(&bytes[seg_start..i]) {
                    return false;
                }
                seg_start = i + 1;
            }
            b'\n' | b'\r' => return false,
            // U+2028 / U+2029 are E2 80 A8 / E2 80 A9
            0xE2 if bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xA8 | 0xA9)) =>
            {
                return false
            }
            _ => {}
        }
    }
    plain_segment(&bytes[seg_start..])
}

fn plain_segment(seg: &[u8]) -> bool {
    !matches!(seg, b"" | b"." | b"..")
}

/// Recognises the look-free shapes that need no regex.
fn classify(node: &Node) -> Option<Fast> {
    let mut items: Vec<&Node> = match node {
        Node::Concat(v) => v.iter().collect(),
        other => vec![other],
    };
    while matches!(items.first(), Some(Node::Start)) {
        items.remove(0);
    }
    if !matches!(items.last(), Some(Node::End)) {
        return None;
    }
    items.pop();
    let items = merge_literals(&items)?;
    use Piece::*;
    Some(match items.as_slice() {
        [] => Fast::Never,
        [Lit(s)] => Fast::Exact(s.clone()),
        [Lit(s), DirTail] => Fast::Dir(s.clone()),
        [Lit(s), AnyStar] if s.ends_with('/') => Fast::Prefix(s.clone()),
        [Lit(s), NoSlashStar] if s.ends_with('/') => Fast::Child(s.clone()),
        [AnyStar] | [AnyDirs, NoSlashStar] => Fast::Always,
        [AnyStar, Lit(s)] | [AnyDirs, NoSlashStar, Lit(s)] if !s.contains('/') => {
            Fast::Suffix(s.clone())
        }
        [NoSlashStar, Lit(s)] if !s.contains('/') => Fast::RootSuffix(s.clone()),
        _ => return None,
    })
}

#[derive(Debug)]
enum Piece {
    Lit(String),
    /// Any run of characters.
    AnyStar,
    /// Any run of characters but `/`.
    NoSlashStar,
    /// `(?:.*/)?`: nothing, or anything ending in `/`.
    AnyDirs,
    /// `(?:/.*|$)`: the end, or `/` and anything.
    DirTail,
}

/// Turns a sequence into shape pieces, or `None` if some item is not one of them. The path
/// is plain, so "any character" ignores JavaScript's line terminators.
fn merge_literals(items: &[&Node]) -> Option<Vec<Piece>> {
    let mut out: Vec<Piece> = Vec::new();
    for item in items {
        let piece = piece(item)?;
        if let (Piece::Lit(s), Some(Piece::Lit(prev))) = (&piece, out.last_mut()) {
            prev.push_str(s);
            continue;
        }
        out.push(piece);
    }
    Some(out)
}

fn piece(node: &Node) -> Option<Piece> {
    match node {
        Node::Class(c) => c.single().map(|c| Piece::Lit(c.to_string())),
        Node::Concat(v) => {
            let mut s = String::new();
            for n in v {
                match n {
                    Node::Class(c) => s.push(c.single()?),
                    _ => return None,
                }
            }
            Some(Piece::Lit(s))
        }
        Node::Repeat {
            node,
            min: 0,
            max: None,
        } => match node.as_ref() {
            Node::Class(c) if c.is_any_on_plain() => Some(Piece::AnyStar),
            Node::Class(c) if c.is_not_slash_on_plain() => Some(Piece::NoSlashStar),
            _ => None,
        },
        Node::Repeat {
            node,
            min: 0,
            max: Some(1),
        } => {
            // (?:ANY* /)?
            match node.as_ref() {
                Node::Concat(v) if v.len() == 2 && is_any_star(&v[0]) && is_char(&v[1], '/') => {
                    Some(Piece::AnyDirs)
                }
                _ => None,
            }
        }
        Node::Alt(branches) if branches.len() == 2 => {
            let tail = |n: &Node| matches!(n, Node::Concat(v) if v.len() == 2 && is_char(&v[0], '/') && is_any_star(&v[1]));
            let (a, b) = (&branches[0], &branches[1]);
            ((tail(a) && matches!(b, Node::End)) || (tail(b) && matches!(a, Node::End)))
                .then_some(Piece::DirTail)
        }
        _ => None,
    }
}

fn is_any_star(node: &Node) -> bool {
    matches!(node, Node::Repeat { node, min: 0, max: None } if matches!(node.as_ref(), Node::Class(c) if c.is_any_on_plain()))
}

fn is_char(node: &Node, ch: char) -> bool {
    matches!(node, Node::Class(c) if c.single() == Some(ch))
}

/// FxHash (as in rustc): a fast, non-cryptographic hash for the short keys of `lits`.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}
