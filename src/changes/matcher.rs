//! Matches changed files against all filters in one pass per file.
//!
//! Every glob of every filter goes into one [`GlobSet`]; per file we ask it once which
//! globs match, then evaluate each filter's rules from those bits. Cost: one set lookup
//! per file (and per old name of a rename) plus a few bit tests per rule.

use std::str::FromStr;

use super::filters::Filter;
use crate::git::Change;
use crate::glob::{Dialect, GlobError, GlobSet};

/// How a filter's rules combine for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quantifier {
    /// The file matches the filter if any rule matches (default).
    Some,
    /// The file matches the filter only if every rule matches.
    Every,
}

impl FromStr for Quantifier {
    type Err = String;

    /// Case-sensitive, as paths-filter.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "some" => Ok(Quantifier::Some),
            "every" => Ok(Quantifier::Every),
            _ => Err(format!(
                "Input parameter 'predicate-quantifier' is set to invalid value '{s}'. Valid values: every, some"
            )),
        }
    }
}

/// A status set as a bit mask (see [`status_bit`]); `ANY` for rules without statuses.
type StatusMask = u8;
const ANY: StatusMask = u8::MAX;

/// The bit of a rule status name; unknown names get a bit no file ever has.
fn status_bit(name: &str) -> StatusMask {
    match name {
        "added" => 1,
        "modified" => 2,
        "deleted" => 4,
        "renamed" => 8,
        "copied" => 16,
        "changed" => 32,
        "unchanged" => 64,
        _ => 128,
    }
}

/// The bit of a file's status (0 for kinds paths-filter leaves without a status).
fn file_bit(status: Option<&str>) -> StatusMask {
    status.map(status_bit).filter(|b| *b != 128).unwrap_or(0)
}

struct CompiledRule {
    mask: StatusMask,
    /// Globs that match when their body matches.
    pos: Vec<usize>,
    /// Globs with a leading `!`: they match when their body does not.
    neg: Vec<usize>,
    /// All globs in written order with their negation (GitHub's ordered semantics).
    ordered: Vec<(usize, bool)>,
}

impl CompiledRule {
    #[inline]
    fn holds(&self, fbit: StatusMask, bits: &[bool]) -> bool {
        (self.mask & fbit != 0 || self.mask == ANY)
            && (self.pos.iter().any(|&p| bits[p]) || self.neg.iter().any(|&p| !bits[p]))
    }
}

struct CompiledFilter {
    rules: Vec<CompiledRule>,
    /// No negated glob and `some`: the filter matches exactly when one of its globs
    /// matches (with its status), so only globs that hit need looking at.
    sparse: bool,
}

/// Filters compiled for matching.
pub struct Matcher {
    set: GlobSet,
    filters: Vec<CompiledFilter>,
    /// For each glob: the (filter, rule) it belongs to, for sparse filters only.
    owners: Vec<Option<(u32, u32)>>,
    dialect: Dialect,
    quantifier: Quantifier,
}

/// A glob that failed to compile, with where it is (filter, rule and glob index).
#[derive(Debug)]
pub struct PatternError {
    pub filter: usize,
    pub rule: usize,
    pub pattern: usize,
    pub error: GlobError,
}

impl Matcher {
    /// Compiles every glob of every filter once.
    pub fn new(
        filters: &[Filter],
        dialect: Dialect,
        quantifier: Quantifier,
    ) -> Result<Matcher, PatternError> {
        let mut patterns: Vec<&str> = Vec::new();
        let mut where_: Vec<(usize, usize, usize)> = Vec::new();
        for (fi, filter) in filters.iter().enumerate() {
            for (ri, rule) in filter.rules.iter().enumerate() {
                for (pi, p) in rule.patterns.iter().enumerate() {
                    patterns.push(p);
                    where_.push((fi, ri, pi));
                }
            }
        }
        let set = match GlobSet::new(dialect, &patterns) {
            Ok(set) => set,
            Err(error) => {
                // Only on failure: find which glob it was, to point at it.
                let at = patterns
                    .iter()
                    .position(|p| GlobSet::new(dialect, &[p]).is_err())
                    .unwrap_or(0);
                let (filter, rule, pattern) = where_.get(at).copied().unwrap_or_default();
                return Err(PatternError {
                    filter,
                    rule,
                    pattern,
                    error,
                });
            }
        };
        let mut owners = vec![None; patterns.len()];
        let mut next = 0;
        let mut compiled = Vec::with_capacity(filters.len());
        for (fi, filter) in filters.iter().enumerate() {
            let mut rules = Vec::with_capacity(filter.rules.len());
            for rule in &filter.rules {
                let mask = match &rule.statuses {
                    None => ANY,
                    Some(list) => list.iter().fold(0, |m, s| m | status_bit(s)),
                };
                let mut r = CompiledRule {
                    mask,
                    pos: Vec::new(),
                    neg: Vec::new(),
                    ordered: Vec::new(),
                };
                for _ in &rule.patterns {
                    let negated = set.is_negated(next);
                    if negated {
                        r.neg.push(next)
                    } else {
                        r.pos.push(next)
                    }
                    r.ordered.push((next, negated));
                    next += 1;
                }
                rules.push(r);
            }
            let has_neg = rules.iter().any(|r| !r.neg.is_empty());
            let sparse = !has_neg && (quantifier == Quantifier::Some || dialect == Dialect::Github);
            if sparse {
                for (ri, r) in rules.iter().enumerate() {
                    for &p in &r.pos {
                        owners[p] = Some((fi as u32, ri as u32));
                    }
                }
            }
            compiled.push(CompiledFilter { rules, sparse });
        }
        Ok(Matcher {
            set,
            filters: compiled,
            owners,
            dialect,
            quantifier,
        })
    }

    /// For each filter, the indices of the files that match it (in file order).
    pub fn match_all(&self, files: &[Change]) -> Vec<Vec<usize>> {
        let mut hits: Vec<Vec<usize>> = vec![Vec::new(); self.filters.len()];
        // The last file each filter was added for, so a file is listed once per filter.
        let mut stamp: Vec<usize> = vec![usize::MAX; self.filters.len()];
        let dense: Vec<usize> = (0..self.filters.len())
            .filter(|&i| !self.filters[i].sparse)
            .collect();
        let mut bits = Vec::with_capacity(self.set.len());
        let mut old_bits = Vec::with_capacity(self.set.len());
        for (fi, file) in files.iter().enumerate() {
            let fbit = file_bit(file.status.rule_name());
            self.set.matches_into(&file.path, &mut bits);
            if let Some(from) = &file.from {
                self.set.matches_into(from, &mut old_bits);
            }
            // Sparse filters: only the globs that hit.
            for names in [Some(&bits), file.from.as_ref().map(|_| &old_bits)]
                .into_iter()
                .flatten()
            {
                for (p, _) in names.iter().enumerate().filter(|(_, hit)| **hit) {
                    if let Some((f, r)) = self.owners[p] {
                        let (f, r) = (f as usize, r as usize);
                        let mask = self.filters[f].rules[r].mask;
                        if stamp[f] != fi && (mask & fbit != 0 || mask == ANY) {
                            stamp[f] = fi;
                            hits[f].push(fi);
                        }
                    }
                }
            }
            for &f in &dense {
                let rules = &self.filters[f].rules;
                let mut matched = self.eval(rules, fbit, &bits);
                if !matched && file.from.is_some() {
                    matched = self.eval(rules, fbit, &old_bits);
                }
                if matched {
                    hits[f].push(fi);
                }
            }
        }
        hits
    }

    fn eval(&self, rules: &[CompiledRule], fbit: StatusMask, bits: &[bool]) -> bool {
        if self.dialect == Dialect::Github {
            // GitHub's paths semantics: globs in order, a later match overrides.
            let mut included = false;
            for rule in rules.iter().filter(|r| r.mask & fbit != 0 || r.mask == ANY) {
                for &(p, negated) in &rule.ordered {
                    if bits[p] {
                        included = !negated;
                    }
                }
            }
            return included;
        }
        match self.quantifier {
            Quantifier::Some => rules.iter().any(|r| r.holds(fbit, bits)),
            Quantifier::Every => rules.iter().all(|r| r.holds(fbit, bits)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::changes::filters::parse;
    use crate::git::Status;

    fn change(status: Status, path: &str) -> Change {
        Change {
            status,
            path: path.into(),
            from: None,
        }
    }

    fn run(yaml: &str, dialect: Dialect, q: Quantifier, files: &[Change]) -> Vec<Vec<usize>> {
        let (filters, _) = parse(yaml).unwrap();
        Matcher::new(&filters, dialect, q).unwrap().match_all(files)
    }

    #[test]
    fn statuses_limit_rules() {
        let files = [
            change(Status::Added, "src/a"),
            change(Status::Modified, "src/b"),
            change(Status::Deleted, "src/c"),
        ];
        let hits = run(
            "x:\n  - added|deleted: 'src/**'\n",
            Dialect::Picomatch,
            Quantifier::Some,
            &files,
        );
        assert_eq!(hits, vec![vec![0, 2]]);
    }

    #[test]
    fn negation_under_some_and_every() {
        let files = [
            change(Status::Modified, "src/a.ts"),
            change(Status::Modified, "src/b.md"),
            change(Status::Modified, "x.txt"),
        ];
        let yaml = "x: ['src/**', '!**/*.md']\n";
        // Under `some` any rule is enough: 'src/**' takes src/b.md, and '!**/*.md' alone
        // takes every non-md file (paths-filter's famous gotcha).
        assert_eq!(
            run(yaml, Dialect::Picomatch, Quantifier::Some, &files),
            vec![vec![0, 1, 2]]
        );
        assert_eq!(
            run(yaml, Dialect::Picomatch, Quantifier::Every, &files),
            vec![vec![0]]
        );
    }

    #[test]
    fn every_with_status_rule_and_empty_list() {
        let files = [change(Status::Added, "a"), change(Status::Modified, "a")];
        assert_eq!(
            run("x: []\n", Dialect::Picomatch, Quantifier::Every, &files),
            vec![vec![0, 1]]
        );
        assert_eq!(
            run("x: []\n", Dialect::Picomatch, Quantifier::Some, &files),
            vec![Vec::<usize>::new()]
        );
    }

    #[test]
    fn github_last_match_wins() {
        let files = [
            change(Status::Modified, "docs/a.md"),
            change(Status::Modified, "docs/README.md"),
        ];
        let yaml = "x: ['docs/**', '!docs/README.md']\n";
        assert_eq!(
            run(yaml, Dialect::Github, Quantifier::Some, &files),
            vec![vec![0]]
        );
        let yaml = "x: ['docs/**', '!docs/*.md', 'docs/README.md']\n";
        assert_eq!(
            run(yaml, Dialect::Github, Quantifier::Some, &files),
            vec![vec![1]]
        );
    }

    #[test]
    fn renames_match_old_or_new_name() {
        let files = [Change {
            status: Status::Renamed,
            path: "new/a".into(),
            from: Some("old/a".into()),
        }];
        assert_eq!(
            run(
                "o: 'old/**'\nn: 'new/**'\n",
                Dialect::Picomatch,
                Quantifier::Some,
                &files
            ),
            vec![vec![0], vec![0]]
        );
    }

    #[test]
    fn quantifier_is_case_sensitive() {
        assert!("Every".parse::<Quantifier>().is_err());
    }
}
