//! Snapshots through insta, one way for every test: [`shipgate_snapshot!`] compares a text
//! with `<dir>/<name>.snap` after filtering what changes from run to run (temporary paths
//! always; commit SHAs and RFC 3339 times when the test asks, for outputs of unpinned runs).
//! A missing or different snapshot fails the test and leaves `<name>.snap.new` beside it;
//! review the change and accept it with `INSTA_UPDATE=always cargo test --test it <filter>`
//! (or `cargo insta review`).
//!
//! insta compares texts with their trailing whitespace trimmed; every snapshot here ends in
//! exactly one newline, and the macro checks that the value does too, so the comparison
//! stays exact.
#![allow(dead_code)]

use std::path::PathBuf;

/// What the snapshot leaves out.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// Temporary paths only (the inputs are pinned: SHAs and times are part of the check).
    TempPaths,
    /// Temporary paths, 40-hex commit SHAs and RFC 3339 times.
    Volatile,
}

/// The folder of a snapshot set, from the repository root.
pub fn dir(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// `value` with what changes between runs replaced by `[TEMP]`, `[SHA]` and `[TIME]`.
pub fn filtered(value: &str, filter: Filter) -> String {
    let temp = std::env::temp_dir();
    let temp = temp.to_string_lossy();
    let temp = temp.trim_end_matches('/');
    let pattern = format!(r"{}/[^\s\x22'`)]*", regex::escape(temp));
    let mut out = regex::Regex::new(&pattern)
        .unwrap()
        .replace_all(value, "[TEMP]")
        .into_owned();
    if filter == Filter::Volatile {
        out = regex::Regex::new(r"\b[0-9a-f]{40}\b")
            .unwrap()
            .replace_all(&out, "[SHA]")
            .into_owned();
        out =
            regex::Regex::new(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")
                .unwrap()
                .replace_all(&out, "[TIME]")
                .into_owned();
    }
    out
}

/// Panics unless `value` ends in exactly one newline (what insta's trimmed comparison
/// cannot see).
pub fn check_ending(name: &str, value: &str) {
    assert!(
        value.ends_with('\n') && value.trim_end().len() + 1 == value.len(),
        "snapshot {name}: the value must end in exactly one newline: {:?}",
        &value[value.trim_end().len()..]
    );
}

/// `shipgate_snapshot!(dir, name, value)`: compares `value` (a `&str`) with
/// `<dir>/<name>.snap`, `dir` relative to the repository root, temporary paths filtered.
/// `shipgate_snapshot!(dir, name, value, volatile)` filters SHAs and times as well.
#[macro_export]
macro_rules! shipgate_snapshot {
    ($dir:expr, $name:expr, $value:expr) => {
        $crate::shipgate_snapshot!(@ $dir, $name, $value, $crate::support::snapshot::Filter::TempPaths)
    };
    ($dir:expr, $name:expr, $value:expr, volatile) => {
        $crate::shipgate_snapshot!(@ $dir, $name, $value, $crate::support::snapshot::Filter::Volatile)
    };
    (@ $dir:expr, $name:expr, $value:expr, $filter:expr) => {{
        let name: &str = $name;
        let value = $crate::support::snapshot::filtered($value, $filter);
        $crate::support::snapshot::check_ending(name, &value);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path($crate::support::snapshot::dir($dir));
        settings.set_prepend_module_to_snapshot(false);
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!(name, value));
    }};
}

#[test]
fn the_filters_leave_out_temp_paths_and_on_request_shas_and_times() {
    let temp = std::env::temp_dir().join("shipgate-test-a1B2/src/app.rs");
    let text = format!(
        "at {} sha 0123456789abcdef0123456789abcdef01234567 at 2026-11-22T12:00:00Z\n",
        temp.display()
    );
    assert_eq!(
        filtered(&text, Filter::TempPaths),
        "at [TEMP] sha 0123456789abcdef0123456789abcdef01234567 at 2026-11-22T12:00:00Z\n"
    );
    assert_eq!(
        filtered(&text, Filter::Volatile),
        "at [TEMP] sha [SHA] at [TIME]\n"
    );
}
