//! Glob matching in three dialects, compiled into one fast multi-pattern matcher.
//!
//! - [`Dialect::Picomatch`]: picomatch 2.3.1 with `{dot: true}`, exactly as
//!   dorny/paths-filter matches its filters (braces, ranges, extglobs, POSIX classes and
//!   picomatch's own quirks).
//! - [`Dialect::Github`]: the path filters of GitHub Actions' `on.<push|pull_request>.paths`.
//! - [`Dialect::Gitlab`]: Ruby's `File.fnmatch?` with `FNM_PATHNAME | FNM_DOTMATCH |
//!   FNM_EXTGLOB`, as GitLab's `rules:changes` uses it.
//!
//! Every dialect compiles to one small regular-expression IR ([`ir`]); a [`GlobSet`] answers
//! for all its patterns at once. Negation and ordering (picomatch's `!x`, GitHub's
//! last-match-wins) are the caller's business: the set only reports which bodies match.

mod github;
mod gitlab;
mod ir;
mod jsregex;
mod lower;
mod picomatch;
mod pikevm;
mod set;

#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

pub use set::GlobSet;

/// Which glob syntax a pattern is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// dorny/paths-filter (picomatch 2.3.1, `dot: true`).
    Picomatch,
    /// GitHub Actions `paths` / `paths-ignore`.
    Github,
    /// GitLab `rules:changes` (Ruby `File.fnmatch?`).
    Gitlab,
}

impl FromStr for Dialect {
    type Err = String;

    fn from_str(s: &str) -> Result<Dialect, String> {
        match s {
            "picomatch" => Ok(Dialect::Picomatch),
            "github" => Ok(Dialect::Github),
            "gitlab" => Ok(Dialect::Gitlab),
            other => Err(format!(
                "unknown glob dialect '{other}' (expected picomatch, github or gitlab)"
            )),
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Picomatch => "picomatch",
            Dialect::Github => "github",
            Dialect::Gitlab => "gitlab",
        })
    }
}

/// A pattern that cannot be compiled, with the 0-based character index of the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobError {
    pub pattern: String,
    pub position: usize,
    pub message: String,
}

impl GlobError {
    fn new(pattern: &str, position: usize, message: impl Into<String>) -> GlobError {
        GlobError {
            pattern: pattern.to_string(),
            position,
            message: message.into(),
        }
    }
}

impl fmt::Display for GlobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid glob {} at character {}: {}",
            crate::error::quote(&self.pattern),
            self.position + 1,
            self.message
        )
    }
}

impl std::error::Error for GlobError {}
