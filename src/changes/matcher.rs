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

struct CompiledRule {
    statuses: Option<Vec<String>>,
    /// Indices into the glob set.
    patterns: Vec<usize>,
}

/// Filters compiled for matching.
pub struct Matcher {
    set: GlobSet,
    filters: Vec<Vec<CompiledRule>>,
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
        let mut owners: Vec<(usize, usize, usize)> = Vec::new();
        let mut compiled = Vec::with_capacity(filters.len());
        for (fi, filter) in filters.iter().enumerate() {
            let mut rules = Vec::with_capacity(filter.rules.len());
            for (ri, rule) in filter.rules.iter().enumerate() {
                let mut idx = Vec::with_capacity(rule.patterns.len());
                for (pi, p) in rule.patterns.iter().enumerate() {
                    idx.push(patterns.len());
                    patterns.push(p);
                    owners.push((fi, ri, pi));
                }
                rules.push(CompiledRule {
                    statuses: rule.statuses.clone(),
                    patterns: idx,
                });
            }
            compiled.push(rules);
        }
        let set = match GlobSet::new(dialect, &patterns) {
            Ok(set) => set,
            Err(error) => {
                // Only on failure: find which glob it was, to point at it.
                let at = patterns
                    .iter()
                    .position(|p| GlobSet::new(dialect, &[p]).is_err())
                    .unwrap_or(0);
                let (filter, rule, pattern) = owners.get(at).copied().unwrap_or_default();
                return Err(PatternError {
                    filter,
                    rule,
                    pattern,
                    error,
                });
            }
        };
        Ok(Matcher {
            set,
            filters: compiled,
            dialect,
            quantifier,
        })
    }

    /// For each filter, the indices of the files that match it (in file order).
    pub fn match_all(&self, files: &[Change]) -> Vec<Vec<usize>> {
        let mut hits: Vec<Vec<usize>> = vec![Vec::new(); self.filters.len()];
        let mut bits = Vec::with_capacity(self.set.len());
        let mut old_bits = Vec::with_capacity(self.set.len());
        for (fi, file) in files.iter().enumerate() {
            self.set.matches_into(&file.path, &mut bits);
            let status = file.status.rule_name();
            if let Some(from) = &file.from {
                self.set.matches_into(from, &mut old_bits);
            }
            for (i, rules) in self.filters.iter().enumerate() {
                let mut matched = self.eval(rules, status, &bits);
                if !matched && file.from.is_some() {
                    matched = self.eval(rules, status, &old_bits);
                }
                if matched {
                    hits[i].push(fi);
                }
            }
        }
        hits
    }

    fn eval(&self, rules: &[CompiledRule], status: Option<&str>, bits: &[bool]) -> bool {
        let status_ok = |r: &CompiledRule| match &r.statuses {
            None => true,
            Some(list) => status.is_some_and(|s| list.iter().any(|x| x == s)),
        };
        if self.dialect == Dialect::Github {
            // GitHub's paths semantics: patterns in order, a later match overrides.
            let mut included = false;
            for rule in rules.iter().filter(|r| status_ok(r)) {
                for &p in &rule.patterns {
                    if bits[p] {
                        included = !self.set.is_negated(p);
                    }
                }
            }
            return included;
        }
        let rule_ok = |r: &CompiledRule| {
            status_ok(r)
                && r.patterns
                    .iter()
                    .any(|&p| bits[p] != self.set.is_negated(p))
        };
        match self.quantifier {
            Quantifier::Some => rules.iter().any(rule_ok),
            Quantifier::Every => rules.iter().all(rule_ok),
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
