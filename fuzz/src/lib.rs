//! Fuzz harnesses for shipgate's parsers of user input. Each function takes the fuzzer's
//! bytes and panics only when a property is broken: a parser that panics, an error that
//! points outside its input, a formatted list that does not read back as the same names.
//!
//! The `fuzz_targets/` binaries call these under libFuzzer (`scripts/fuzz`), and
//! `tests/it/fuzz_corpus.rs` in the main crate replays every committed corpus file through them
//! on the stable toolchain, so a finding stays fixed.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

use shipgate::changes::format::ListFormat;
use shipgate::gate::cron::{Cron, FreezePeriod};
use shipgate::gate::time::{format_duration, parse_duration, Freeze, Window};
use shipgate::glob::{Dialect, GlobSet};

/// Instants the time rules are evaluated at: the epoch, a DST change in Europe, a leap day,
/// a year's last second and a date far ahead.
const INSTANTS: [i64; 5] = [
    0,
    1_711_846_800,
    1_709_164_800,
    1_798_761_599,
    4_102_444_800,
];

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// How many lines YAML sees: `\n`, `\r\n` and a lone `\r` each end one (YAML 1.2 §5.4).
fn yaml_lines(text: &str) -> u64 {
    let bytes = text.as_bytes();
    let breaks = bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count();
    breaks as u64 + 1
}

/// The filters YAML of detect-changes: parses or fails with a position inside the text.
pub fn filters_yaml(data: &[u8]) {
    let Some(yaml) = text(data) else { return };
    if let Err(e) = shipgate::changes::filters::parse(yaml) {
        let lines = yaml_lines(yaml) + 1;
        assert!(
            e.line <= lines,
            "error line {} past the end ({lines} lines): {}",
            e.line,
            e.message
        );
        assert!(
            !e.message.contains('\n'),
            "multi-line error: {:?}",
            e.message
        );
    }
}

/// The pipeline model (`.shipgate.yml`): loads or fails with exit 2, one line per problem.
pub fn model_yaml(data: &[u8]) {
    let Some(yaml) = text(data) else { return };
    if let Err(failure) = shipgate::config::from_str(yaml, "fuzz.yml") {
        assert_eq!(failure.exit_code(), 2, "{failure}");
        for leaf in failure.leaves() {
            let line = leaf.to_string();
            assert!(!line.contains(['\n', '\r']), "multi-line error: {line:?}");
        }
    }
}

fn glob(data: &[u8], dialect: Dialect) {
    let Some(input) = text(data) else { return };
    let mut lines: Vec<&str> = input.split('\n').collect();
    let path = lines.pop().unwrap_or_default();
    let patterns: Vec<&str> = lines.into_iter().take(8).collect();
    if patterns.is_empty() {
        return;
    }
    let set = match GlobSet::new(dialect, &patterns) {
        Ok(set) => set,
        Err(e) => {
            let chars = e.pattern.chars().count();
            assert!(
                e.position <= chars,
                "error position {} past the pattern ({chars} chars): {e}",
                e.position
            );
            let _ = e.to_string();
            return;
        }
    };
    assert_eq!(set.len(), patterns.len());
    let mut all = Vec::new();
    set.matches_into(path, &mut all);
    assert_eq!(all.len(), patterns.len());
    // Each pattern answers the same inside the deduplicated set as on its own: the fast
    // paths, the shared RegexSet and the slot bookkeeping agree with a one-pattern set.
    let mut one = Vec::new();
    for (i, pattern) in patterns.iter().enumerate() {
        let single = GlobSet::new(dialect, &[pattern]).expect("compiled inside a set");
        single.matches_into(path, &mut one);
        assert_eq!(
            one[0], all[i],
            "pattern {pattern:?} on {path:?}: alone {} in the set {}",
            one[0], all[i]
        );
        assert_eq!(single.is_negated(0), set.is_negated(i));
    }
}

/// picomatch (paths-filter) globs.
pub fn glob_picomatch(data: &[u8]) {
    glob(data, Dialect::Picomatch)
}

/// GitHub `paths` globs.
pub fn glob_github(data: &[u8]) {
    glob(data, Dialect::Github)
}

/// GitLab `rules:changes` globs (Ruby fnmatch).
pub fn glob_gitlab(data: &[u8]) {
    glob(data, Dialect::Gitlab)
}

/// Durations, deployment windows, freezes and GitLab freeze-period crons.
pub fn time_rules(data: &[u8]) {
    let Some(line) = text(data) else { return };
    let instants = INSTANTS.map(|s| jiff::Timestamp::from_second(s).expect("in range"));
    if let Ok(d) = parse_duration(line) {
        // Whole seconds round-trip through the text the gate prints.
        let whole = std::time::Duration::from_secs(d.as_secs());
        assert_eq!(
            parse_duration(&format_duration(whole)),
            Ok(whole),
            "{line:?}"
        );
    }
    if let Ok(w) = Window::parse(line, "UTC") {
        for t in instants {
            let _ = w.contains(t);
            let _ = w.local(t);
        }
    }
    if let Ok(f) = Freeze::parse_line(line, "Europe/London") {
        for t in instants {
            let _ = f.contains(t);
        }
        let _ = f.describe();
    }
    if let Ok(c) = Cron::parse(line) {
        let tz = jiff::tz::TimeZone::UTC;
        for t in instants {
            let _ = c.previous(t, &tz);
            let _ = c.next(t, &tz);
        }
    }
    if let Some((start, end)) = line.split_once('|') {
        if let Ok(p) = FreezePeriod::new(start, end, "America/New_York") {
            for t in instants {
                let _ = p.active_until(t);
            }
        }
    }
}

fn scratch_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("shipgate-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("scratch dir");
        dir
    })
}

/// What bash makes of `printf '%s\0' <rendered>` run in an empty folder: the words, and
/// whether anything appeared in the folder (a command ran).
fn bash_words(rendered: &str) -> (Vec<u8>, bool) {
    let dir = scratch_dir();
    let script = format!("printf '%s\\0' {rendered}");
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(dir)
        .output()
        .expect("bash runs");
    let touched = std::fs::read_dir(dir)
        .map(|mut d| d.next().is_some())
        .unwrap_or(true);
    if touched {
        let _ = std::fs::remove_dir_all(dir);
        let _ = std::fs::create_dir_all(dir);
    }
    (out.stdout, touched)
}

/// The `list-files` formats. `json` reads back as the same names; `shell` and `escape`,
/// spliced into a bash script as a `run:` step does, give back exactly the same bytes and
/// run nothing.
pub fn list_formats(data: &[u8]) {
    let Some(input) = text(data) else { return };
    // Git paths cannot contain NUL and are never empty.
    let names: Vec<&str> = input
        .split('\0')
        .filter(|n| !n.is_empty())
        .take(6)
        .collect();
    if names.is_empty() {
        return;
    }
    let json = ListFormat::Json.render(names.iter().copied());
    let back: Vec<String> = serde_json::from_str(&json).expect("json format is JSON");
    assert_eq!(back, names);
    let _ = ListFormat::Csv.render(names.iter().copied());
    let mut expected = Vec::new();
    for n in &names {
        expected.extend_from_slice(n.as_bytes());
        expected.push(0);
    }
    for format in [ListFormat::Shell, ListFormat::Escape] {
        let rendered = format.render(names.iter().copied());
        let (words, touched) = bash_words(&rendered);
        assert!(!touched, "{format:?} output ran a command: {rendered:?}");
        assert_eq!(
            String::from_utf8_lossy(&words),
            String::from_utf8_lossy(&expected),
            "{format:?} output {rendered:?} does not read back as {names:?}"
        );
    }
}
