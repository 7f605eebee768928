//! detect-changes under hostile input (issue 9): shallow clones that cannot be deepened,
//! output names the runner would reject or merge, unknown child-pipeline filters, file
//! names that attack a shell, bounded numbers, YAML bombs, and pipes as file inputs.

mod common;

use common::{git_in, shallow_clone, Action, Run, TestRepo};
use serde_json::json;

/// Bad input: exit 2, one `::error` line containing `needle`, nothing in GITHUB_OUTPUT.
fn assert_bad_input(run: &Run, needle: &str) {
    assert_eq!(
        run.code, 2,
        "stdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    assert!(
        run.output_file.is_empty(),
        "outputs were written: {}",
        run.output_file
    );
    let errors: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", run.stdout);
    assert!(
        errors[0].contains(needle),
        "{} does not contain {needle}",
        errors[0]
    );
}

/// main and feature diverged by several commits each; returns the repository.
fn diverged() -> TestRepo {
    let repo = TestRepo::new();
    repo.write("src/app.ts", "1").write("README.md", "r");
    repo.commit("base");
    repo.checkout_new("feature");
    repo.write("src/feature.ts", "f");
    repo.commit("feature work");
    repo.checkout("main");
    for i in 0..4 {
        repo.write(&format!("main/{i}.txt"), "m");
        repo.commit(&format!("main {i}"));
    }
    repo
}

/// A depth-1 clone of `feature` with `main` fetched at depth 1, so no merge base is local.
fn shallow_feature_with_main(origin: &std::path::Path) -> tempfile::TempDir {
    let clone = shallow_clone(origin, "feature", 1);
    git_in(
        clone.path(),
        &[
            "fetch",
            "-q",
            "--depth=1",
            "origin",
            "+refs/heads/main:refs/remotes/origin/main",
        ],
    );
    clone
}

fn push_feature(dir: &std::path::Path) -> Run {
    Action::github("detect-changes", dir)
        .input("filters", "src: 'src/**'\nmain: 'main/**'\n")
        .input("base", "main")
        .env("GITHUB_REF", "refs/heads/feature")
        .event("push", json!({"repository": {"default_branch": "main"}}))
        .run()
}

fn assert_shallow_failure(run: &Run) {
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.output_file.is_empty(), "{}", run.output_file);
    assert!(
        run.stdout.contains("fetch-depth: 0"),
        "the error says how to fetch more history: {}",
        run.stdout
    );
    assert!(!run.stdout.contains("comparing their trees directly"));
}

#[test]
fn shallow_clone_without_origin_is_an_error_not_a_tree_diff() {
    let repo = diverged();
    let origin = repo.bare_clone();
    let clone = shallow_feature_with_main(&origin.path().join("origin.git"));
    git_in(clone.path(), &["remote", "remove", "origin"]);
    assert_shallow_failure(&push_feature(clone.path()));
}

#[test]
fn shallow_clone_with_unreachable_origin_is_an_error_not_a_tree_diff() {
    let repo = diverged();
    let origin = repo.bare_clone();
    let clone = shallow_feature_with_main(&origin.path().join("origin.git"));
    let gone = clone.path().join("no-such-origin.git");
    git_in(
        clone.path(),
        &["remote", "set-url", "origin", gone.to_str().unwrap()],
    );
    assert_shallow_failure(&push_feature(clone.path()));
}

#[test]
fn shallow_clone_with_origin_is_still_deepened() {
    let repo = diverged();
    let origin = repo.bare_clone();
    let clone = shallow_feature_with_main(&origin.path().join("origin.git"));
    let run = push_feature(clone.path());
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.get("src"), "true");
    assert_eq!(
        run.get("main"),
        "false",
        "main's own commits are not this change"
    );
}

#[test]
fn unrelated_histories_in_a_full_clone_still_compare_trees() {
    let repo = TestRepo::new();
    repo.write("src/a.ts", "1");
    repo.commit("one");
    repo.git(&["checkout", "-q", "--orphan", "feature"]);
    repo.write("src/b.ts", "2");
    repo.commit("unrelated");
    let run = push_feature(repo.path());
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("comparing their trees directly"));
}

#[test]
fn numeric_inputs_are_bounded_whole_numbers() {
    let repo = diverged();
    repo.checkout("feature");
    let run = |name: &str, value: &str| {
        Action::github("detect-changes", repo.path())
            .input("filters", "src: 'src/**'")
            .input("base", "main")
            .input(name, value)
            .run()
    };
    for value in ["0", "-1", "1e3", "deep", "4294967297", "2147483648"] {
        assert_bad_input(
            &run("initial-fetch-depth", value),
            "input 'initial-fetch-depth': expected a whole number from 1 to 2147483647",
        );
    }
    for value in ["0", "99999999999999999999999", "4097", "1.5"] {
        assert_bad_input(
            &run("dir-names-max-depth", value),
            "input 'dir-names-max-depth': expected a whole number from 1 to 4096",
        );
    }
    let ok = run("dir-names-max-depth", "4096");
    assert_eq!(ok.code, 0, "{}", ok.stdout);
    assert_eq!(ok.get("src_dirs"), r#"["src"]"#);
    let ok = run("initial-fetch-depth", "2147483647");
    assert_eq!(ok.code, 0, "{}", ok.stdout);
}
