//! An exact matcher for the IR, lookaheads included (a Pike VM: a breadth-first simulation
//! of the Thompson automaton, so time is O(path length × program size) per program run).
//!
//! It is the reference semantics: `GlobSet` uses it for the rare paths that are not plain
//! (line breaks, `.`/`..` or empty segments) and for patterns whose lookaheads cannot be
//! compiled away; the tests check the fast paths and the `RegexSet` against it.

use std::collections::HashMap;

use super::ir::{Class, Node};

#[derive(Debug, Clone)]
enum Inst {
    Class(Class),
    Split(usize, usize),
    Jmp(usize),
    Start,
    End,
    Look { prog: usize, negate: bool },
    Match,
}

/// A compiled IR tree: program 0 is the pattern, the others are its lookahead bodies.
#[derive(Debug, Clone)]
pub(crate) struct Program {
    progs: Vec<Vec<Inst>>,
}

impl Program {
    pub fn new(node: &Node) -> Program {
        let mut program = Program { progs: Vec::new() };
        program.add_prog(node);
        program
    }

    fn add_prog(&mut self, node: &Node) -> usize {
        let id = self.progs.len();
        self.progs.push(Vec::new());
        let mut insts = Vec::new();
        self.emit(node, &mut insts);
        insts.push(Inst::Match);
        self.progs[id] = insts;
        id
    }

    fn emit(&mut self, node: &Node, out: &mut Vec<Inst>) {
        match node {
            Node::Empty => {}
            Node::Class(c) => out.push(Inst::Class(c.clone())),
            Node::Start => out.push(Inst::Start),
            Node::End => out.push(Inst::End),
            Node::Concat(v) => v.iter().for_each(|n| self.emit(n, out)),
            Node::Alt(v) => {
                // split L1, next; L1: a; jmp end; next: split ...
                let mut jumps = Vec::new();
                for (i, n) in v.iter().enumerate() {
                    if i + 1 < v.len() {
                        let split = out.len();
                        out.push(Inst::Split(split + 1, 0));
                        self.emit(n, out);
                        jumps.push(out.len());
                        out.push(Inst::Jmp(0));
                        let next = out.len();
                        out[split] = Inst::Split(split + 1, next);
                    } else {
                        self.emit(n, out);
                    }
                }
                let end = out.len();
                for j in jumps {
                    out[j] = Inst::Jmp(end);
                }
            }
            Node::Repeat { node, min, max } => {
                for _ in 0..*min {
                    self.emit(node, out);
                }
                match max {
                    None => {
                        let split = out.len();
                        out.push(Inst::Split(split + 1, 0));
                        self.emit(node, out);
                        out.push(Inst::Jmp(split));
                        let end = out.len();
                        out[split] = Inst::Split(split + 1, end);
                    }
                    Some(max) => {
                        let mut splits = Vec::new();
                        for _ in *min..*max {
                            splits.push(out.len());
                            out.push(Inst::Split(0, 0));
                            self.emit(node, out);
                        }
                        let end = out.len();
                        for s in splits {
                            out[s] = Inst::Split(s + 1, end);
                        }
                    }
                }
            }
            Node::Look { negate, node, .. } => {
                let prog = self.add_prog(node);
                out.push(Inst::Look {
                    prog,
                    negate: *negate,
                });
            }
        }
    }

    /// True if the pattern matches `text` (program 0 run from position 0; the tree carries
    /// its own anchors).
    pub fn is_match(&self, text: &str) -> bool {
        let chars: Vec<char> = text.chars().collect();
        let mut memo = HashMap::new();
        self.run(0, &chars, 0, &mut memo)
    }

    fn run(
        &self,
        prog: usize,
        text: &[char],
        start: usize,
        memo: &mut HashMap<(usize, usize), bool>,
    ) -> bool {
        let insts = &self.progs[prog];
        let mut seen = vec![usize::MAX; insts.len()];
        let mut clist: Vec<usize> = Vec::new();
        let mut nlist: Vec<usize> = Vec::new();
        if self.add(prog, text, start, 0, &mut clist, &mut seen, memo) {
            return true;
        }
        let mut pos = start;
        while pos < text.len() && !clist.is_empty() {
            let c = text[pos];
            nlist.clear();
            for &pc in &clist {
                if let Inst::Class(cls) = &insts[pc] {
                    if cls.contains(c)
                        && self.add(prog, text, pos + 1, pc + 1, &mut nlist, &mut seen, memo)
                    {
                        return true;
                    }
                }
            }
            std::mem::swap(&mut clist, &mut nlist);
            pos += 1;
        }
        false
    }

    /// Follows the empty transitions from `pc` at `pos`; returns true on reaching `Match`.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &self,
        prog: usize,
        text: &[char],
        pos: usize,
        pc: usize,
        list: &mut Vec<usize>,
        seen: &mut [usize],
        memo: &mut HashMap<(usize, usize), bool>,
    ) -> bool {
        let insts = &self.progs[prog];
        let mut stack = vec![pc];
        while let Some(pc) = stack.pop() {
            if seen[pc] == pos {
                continue;
            }
            seen[pc] = pos;
            match &insts[pc] {
                Inst::Class(_) => list.push(pc),
                Inst::Match => return true,
                Inst::Jmp(t) => stack.push(*t),
                Inst::Split(a, b) => {
                    stack.push(*b);
                    stack.push(*a);
                }
                Inst::Start => {
                    if pos == 0 {
                        stack.push(pc + 1);
                    }
                }
                Inst::End => {
                    if pos == text.len() {
                        stack.push(pc + 1);
                    }
                }
                Inst::Look { prog: sub, negate } => {
                    let hit = match memo.get(&(*sub, pos)) {
                        Some(&hit) => hit,
                        None => {
                            let hit = self.run(*sub, text, pos, memo);
                            memo.insert((*sub, pos), hit);
                            hit
                        }
                    };
                    if hit != *negate {
                        stack.push(pc + 1);
                    }
                }
            }
        }
        false
    }
}
