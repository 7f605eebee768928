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
                "Input parameter 'predicate-quantifier' is set to invalid value {}. Valid values: every, some",
                crate::error::quote(s)
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
    /// Globs (unique indices) that match when their body matches.
    pos: Vec<usize>,
    /// Globs with a leading `!`: they match when their body does not.
    neg: Vec<usize>,
    /// All globs in written order with their negation (GitHub's ordered semantics).
    ordered: Vec<(usize, bool)>,
}

impl CompiledRule {
    #[inline]
    fn holds(&self, fbit: StatusMask, bits: &[bool]) -> bool {
        status_ok(self.mask, fbit)
            && (self.pos.iter().any(|&p| bits[p]) || self.neg.iter().any(|&p| !bits[p]))
    }
}

#[inline]
fn status_ok(mask: StatusMask, fbit: StatusMask) -> bool {
    mask == ANY || mask & fbit != 0
}

/// Appends a file index; the first push reserves room for every file left, so a filter
/// that matches thousands of files never reallocates (untouched capacity costs no memory).
#[inline]
fn push(list: &mut Vec<usize>, file: usize, total: usize) {
    if list.capacity() == 0 {
        list.reserve_exact(total - file);
    }
    list.push(file);
}

/// Filters compiled for matching.
///
/// Under `some` (picomatch and GitLab dialects) a filter matches a file when one of its
/// positive globs matches, or one of its `!` globs does not, with the rule's status. So
/// per file we look only at the globs that hit (and at each distinct `!` glob once) and
/// mark their filters: the cost follows the size of the result, not files × filters.
/// `every` and GitHub's ordered `!` need every rule, and are evaluated per filter.
pub struct Matcher {
    set: GlobSet,
    rules: Vec<Vec<CompiledRule>>,
    /// Per unique glob: the (filter, status mask) it marks when it matches (positive) or
    /// when it does not (negated); only for filters evaluated by marking.
    marks: Vec<Vec<(u32, StatusMask)>>,
    /// Unique negated globs that mark filters.
    negated: Vec<usize>,
    /// Filters evaluated rule by rule.
    dense: Vec<usize>,
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
    /// Compiles every distinct glob of every filter once.
    pub fn new(
        filters: &[Filter],
        dialect: Dialect,
        quantifier: Quantifier,
    ) -> Result<Matcher, PatternError> {
        let mut unique: Vec<&str> = Vec::new();
        let mut index: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        let mut where_: Vec<(usize, usize, usize)> = Vec::new();
        for (fi, filter) in filters.iter().enumerate() {
            for (ri, rule) in filter.rules.iter().enumerate() {
                for (pi, p) in rule.patterns.iter().enumerate() {
                    index.entry(p.as_str()).or_insert_with(|| {
                        unique.push(p);
                        where_.push((fi, ri, pi));
                        unique.len() - 1
                    });
                }
            }
        }
        let set = match GlobSet::new(dialect, &unique) {
            Ok(set) => set,
            Err(error) => {
                // Only on failure: find which glob it was, to point at it.
                let at = unique
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
        let marking = quantifier == Quantifier::Some && dialect != Dialect::Github;
        let mut marks: Vec<Vec<(u32, StatusMask)>> = vec![Vec::new(); unique.len()];
        let mut dense = Vec::new();
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
                for p in &rule.patterns {
                    let u = index[p.as_str()];
                    let negated = set.is_negated(u);
                    if negated {
                        r.neg.push(u)
                    } else {
                        r.pos.push(u)
                    }
                    r.ordered.push((u, negated));
                }
                rules.push(r);
            }
            let has_neg = rules.iter().any(|r| !r.neg.is_empty());
            // GitHub without `!` is "any glob matches": marking works there too.
            if marking || (dialect == Dialect::Github && !has_neg) {
                for r in &rules {
                    for &u in r.pos.iter().chain(&r.neg) {
                        marks[u].push((fi as u32, r.mask));
                    }
                }
            } else {
                dense.push(fi);
            }
            compiled.push(rules);
        }
        let negated = (0..unique.len())
            .filter(|&u| set.is_negated(u) && !marks[u].is_empty())
            .collect();
        Ok(Matcher {
            set,
            rules: compiled,
            marks,
            negated,
            dense,
            dialect,
            quantifier,
        })
    }

    /// For each filter, the indices of the files that match it (in file order).
    pub fn match_all(&self, files: &[Change]) -> Vec<Vec<usize>> {
        let total = files.len();
        let mut hits: Vec<Vec<usize>> = vec![Vec::new(); self.rules.len()];
        // The last file each filter was added for, so a file is listed once per filter.
        let mut stamp: Vec<usize> = vec![usize::MAX; self.rules.len()];
        let mut bits = Vec::with_capacity(self.set.len());
        let mut old_bits = Vec::with_capacity(self.set.len());
        let mut mark =
            |f: u32, mask: StatusMask, fbit: StatusMask, fi: usize, hits: &mut Vec<Vec<usize>>| {
                let f = f as usize;
                if stamp[f] != fi && status_ok(mask, fbit) {
                    stamp[f] = fi;
                    push(&mut hits[f], fi, total);
                }
            };
        for (fi, file) in files.iter().enumerate() {
            let fbit = file_bit(file.status.rule_name());
            self.set.matches_into(&file.path, &mut bits);
            let renamed = file.from.is_some();
            if let Some(from) = &file.from {
                self.set.matches_into(from, &mut old_bits);
            }
            for names in [Some(&bits), renamed.then_some(&old_bits)]
                .into_iter()
                .flatten()
            {
                for (u, _) in names
                    .iter()
                    .enumerate()
                    .filter(|(u, hit)| **hit && !self.set.is_negated(*u))
                {
                    for &(f, mask) in &self.marks[u] {
                        mark(f, mask, fbit, fi, &mut hits);
                    }
                }
                for &u in &self.negated {
                    if !names[u] {
                        for &(f, mask) in &self.marks[u] {
                            mark(f, mask, fbit, fi, &mut hits);
                        }
                    }
                }
            }
            for &f in &self.dense {
                let rules = &self.rules[f];
                let matched =
                    self.eval(rules, fbit, &bits) || (renamed && self.eval(rules, fbit, &old_bits));
                if matched {
                    push(&mut hits[f], fi, total);
                }
            }
        }
        hits
    }

    fn eval(&self, rules: &[CompiledRule], fbit: StatusMask, bits: &[bool]) -> bool {
        if self.dialect == Dialect::Github {
            // GitHub's paths semantics: globs in order, a later match overrides.
            let mut included = false;
            for rule in rules.iter().filter(|r| status_ok(r.mask, fbit)) {
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
    fn shared_globs_and_negated_status_rules_mark_every_owner() {
        let files = [
            change(Status::Added, "a.ts"),
            change(Status::Modified, "b.ts"),
            change(Status::Added, "c.md"),
        ];
        let yaml = "one: ['**/*.ts']\ntwo: ['**/*.ts']\nnew_non_md: [{added: '!**/*.md'}]\n";
        assert_eq!(
            run(yaml, Dialect::Picomatch, Quantifier::Some, &files),
            vec![vec![0, 1], vec![0, 1], vec![0]]
        );
    }

    #[test]
    fn quantifier_is_case_sensitive() {
        assert!("Every".parse::<Quantifier>().is_err());
    }
}
