//! Replays every committed fuzz corpus file (fuzz/corpus/<target>/*) through the same
//! harness the libFuzzer targets run (fuzz/src/lib.rs), on the stable toolchain. A crash
//! the fuzzer found and we fixed is kept as a corpus file, so it stays fixed.

#[path = "../../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod harness;

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("no corpus at {}: {e}", dir.display()))
        .map(|e| e.expect("corpus entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "the corpus of {target} is empty");
    // On a thread with the main thread's 8 MiB stack, as the binary runs the parsers (a
    // test thread has 2 MiB, which 64 levels of YAML nesting can exhaust in a debug build).
    let target = target.to_string();
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(move || {
            for file in &files {
                let data = std::fs::read(file).expect("corpus file");
                let outcome = std::panic::catch_unwind(|| run(&data));
                assert!(
                    outcome.is_ok(),
                    "{target}: {} breaks the harness",
                    file.display()
                );
            }
        })
        .expect("replay thread")
        .join()
        .expect("the replay holds");
}

#[test]
fn filters_yaml_corpus() {
    replay("filters_yaml", harness::filters_yaml);
}

#[test]
fn model_yaml_corpus() {
    replay("model_yaml", harness::model_yaml);
}

#[test]
fn glob_picomatch_corpus() {
    replay("glob_picomatch", harness::glob_picomatch);
}

#[test]
fn glob_github_corpus() {
    replay("glob_github", harness::glob_github);
}

#[test]
fn glob_gitlab_corpus() {
    replay("glob_gitlab", harness::glob_gitlab);
}

#[test]
fn time_rules_corpus() {
    replay("time_rules", harness::time_rules);
}

#[test]
fn list_formats_corpus() {
    replay("list_formats", harness::list_formats);
}
