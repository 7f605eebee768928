//! detect-changes run as the GitHub runner runs it, against real git repositories.

use crate::support as common;

use common::{shallow_clone, Action, TestRepo};
use serde_json::json;

const NULL: &str = "0000000000000000000000000000000000000000";

/// main: base commit; feature: a change set with odd names.
fn repo_with_feature() -> (TestRepo, String, String) {
    let repo = TestRepo::new();
    repo.write("src/app.ts", "1")
        .write("src/old.ts", "old")
        .write("docs/readme.md", "r")
        .write("README.md", "top");
    let base = repo.commit("base");
    repo.checkout_new("feature");
    repo.write("src/app.ts", "2")
        .remove("src/old.ts")
        .write("src/new file.ts", "n")
        .write("docs/it's \"quoted\".md", "q")
        .write("docs/café ☕.md", "u")
        .write("docs/readme.md", "r2");
    let head = repo.commit("feature work");
    (repo, base, head)
}

const FILTERS: &str =
    "src: 'src/**'\ndocs:\n  - 'docs/**'\nts:\n  - added: '**/*.ts'\nnothing: 'nope/**'\n";

#[test]
fn push_event_outputs_match_paths_filter() {
    let (repo, base, head) = repo_with_feature();
    let run = Action::github("detect-changes", repo.path())
        .input("filters", FILTERS)
        .input("list-files", "json")
        .env("GITHUB_REF", "refs/heads/feature")
        .event(
            "push",
            json!({"before": base, "after": head, "repository": {"default_branch": "main"}}),
        )
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let names: Vec<&str> = run.outputs.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "src",
            "src_count",
            "src_files",
            "docs",
            "docs_count",
            "docs_files",
            "ts",
            "ts_count",
            "ts_files",
            "nothing",
            "nothing_count",
            "nothing_files",
            "changes",
            "matrix"
        ]
    );
    assert_eq!(run.get("src"), "true");
    assert_eq!(run.get("src_count"), "3");
    assert_eq!(
        run.get("src_files"),
        r#"["src/app.ts","src/new file.ts","src/old.ts"]"#
    );
    assert_eq!(
        run.get("docs_files"),
        r#"["docs/café ☕.md","docs/it's \"quoted\".md","docs/readme.md"]"#
    );
    assert_eq!(run.get("ts_files"), r#"["src/new file.ts"]"#);
    assert_eq!(run.get("nothing"), "false");
    assert_eq!(run.get("nothing_files"), "[]");
    assert_eq!(run.get("changes"), r#"["src","docs","ts"]"#);
    assert_eq!(run.get("matrix"), r#"{"filter":["src","docs","ts"]}"#);
    assert!(run.summary.contains("| src | ✅ | 3 |"), "{}", run.summary);
    assert!(run.stdout.contains("::group::Filter src = true"));
}

#[test]
fn list_file_formats_are_byte_exact() {
    let (repo, base, _) = repo_with_feature();
    let cases = [
        (
            "csv",
            r#""docs/café ☕.md","docs/it's ""quoted"".md",docs/readme.md"#,
        ),
        (
            "shell",
            r#"'docs/café ☕.md' docs/it\''s "quoted".md' docs/readme.md"#,
        ),
        (
            "escape",
            r#"docs/caf\é\ \☕.md docs/it\'s\ \"quoted\".md docs/readme.md"#,
        ),
    ];
    for (format, expected) in cases {
        let run = Action::github("detect-changes", repo.path())
            .input("filters", "docs: 'docs/**'")
            .input("list-files", format)
            .input("base", &base)
            .run();
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.get("docs_files"), expected, "format {format}");
    }
    let none = Action::github("detect-changes", repo.path())
        .input("filters", "docs: 'docs/**'")
        .input("base", &base)
        .run();
    assert!(none.outputs.iter().all(|(k, _)| k != "docs_files"));
}

#[test]
fn filters_from_file_with_anchors_and_working_directory() {
    let (repo, base, _) = repo_with_feature();
    repo.write(
        ".github/filters.yml",
        "shared: &shared\n  - 'README.md'\nsrc:\n  - *shared\n  - 'src/**'\n",
    );
    let run = Action::github("detect-changes", repo.path().parent().unwrap())
        .input(
            "working-directory",
            repo.path().file_name().unwrap().to_str().unwrap(),
        )
        .input("filters", ".github/filters.yml")
        .input("base", &base)
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.get("shared"), "false");
    assert_eq!(run.get("src_count"), "3");
}

#[test]
fn predicate_quantifier_every_excludes_negated() {
    let (repo, base, _) = repo_with_feature();
    let filters = "code: ['**', '!docs/**', '!**/*.md']";
    let some = Action::github("detect-changes", repo.path())
        .input("filters", filters)
        .input("base", &base)
        .run();
    let every = Action::github("detect-changes", repo.path())
        .input("filters", filters)
        .input("predicate-quantifier", "every")
        .input("base", &base)
        .run();
    assert_eq!(
        some.get("code_count"),
        "6",
        "under some, any rule matching is enough"
    );
    assert_eq!(every.get("code_count"), "3");
}

#[test]
fn first_push_of_a_branch_compares_with_default_branch() {
    let (repo, _, head) = repo_with_feature();
    let run = Action::github("detect-changes", repo.path())
        .input("filters", FILTERS)
        .env("GITHUB_REF", "refs/heads/feature")
        .input("base", "feature")
        .event(
            "push",
            json!({"before": NULL, "after": head, "repository": {"default_branch": "main"}}),
        )
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.get("src_count"), "3");
    assert!(run.stdout.contains("First push of a branch"));
}

#[test]
fn first_push_of_default_branch_lists_everything_as_added() {
    let repo = TestRepo::new();
    repo.write("a/x.txt", "1").write("b/y.txt", "2");
    let head = repo.commit("init");
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "a: 'a/**'\nadded: [{added: '**'}]")
        .env("GITHUB_REF", "refs/heads/main")
        .event(
            "push",
            json!({"before": NULL, "after": head, "repository": {"default_branch": "main"}}),
        )
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.get("a_count"), "1");
    assert_eq!(run.get("added_count"), "2");
}

#[test]
fn push_to_default_branch_uses_before_and_includes_every_pushed_commit() {
    let repo = TestRepo::new();
    repo.write("a.txt", "1");
    let before = repo.commit("one");
    repo.write("b.txt", "2");
    repo.commit("two");
    repo.write("c.txt", "3");
    let after = repo.commit("three");
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "any: '**'")
        .input("list-files", "csv")
        .env("GITHUB_REF", "refs/heads/main")
        .event(
            "push",
            json!({"before": before, "after": after, "repository": {"default_branch": "main"}}),
        )
        .run();
    assert_eq!(run.get("any_files"), "b.txt,c.txt");
}

#[test]
fn force_push_with_vanished_before_falls_back_with_warning() {
    let (repo, _, head) = repo_with_feature();
    let run = Action::github("detect-changes", repo.path())
        .input("filters", FILTERS)
        .input("base", "feature")
        .env("GITHUB_REF", "refs/heads/feature")
        .event(
            "push",
            json!({"before": "1111111111111111111111111111111111111111", "after": head, "forced": true, "repository": {"default_branch": "main"}}),
        )
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("::warning::The previous commit"),
        "{}",
        run.stdout
    );
    assert_eq!(run.get("src_count"), "3");
}

#[test]
fn force_push_compares_old_tip_with_new_tip() {
    let repo = TestRepo::new();
    repo.write("a.txt", "1");
    repo.commit("base");
    repo.checkout_new("topic");
    repo.write("gone.txt", "x");
    let old_tip = repo.commit("to be rewritten");
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.write("kept.txt", "y");
    let new_tip = repo.commit("rewritten");
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "any: '**'")
        .input("list-files", "json")
        .env("GITHUB_REF", "refs/heads/topic")
        .input("base", "topic")
        .event("push", json!({"before": old_tip, "after": new_tip, "forced": true, "repository": {"default_branch": "main"}}))
        .run();
    // What differs between what was pushed before and now: the dropped file and the new one.
    assert_eq!(run.get("any_files"), r#"["gone.txt","kept.txt"]"#);
}

#[test]
fn pull_request_without_token_uses_git_against_base_sha() {
    let (repo, base, _) = repo_with_feature();
    // GitHub checks out a merge commit of the PR head onto the base.
    repo.checkout("main");
    repo.write("main-only.txt", "m");
    let new_base = repo.commit("main moved on");
    repo.git(&["merge", "-q", "--no-ff", "-m", "merge", "feature"]);
    let run = Action::github("detect-changes", repo.path())
        .input("filters", FILTERS)
        .input("token", "")
        .event(
            "pull_request",
            json!({"number": 7, "pull_request": {"number": 7, "base": {"sha": new_base, "ref": "main"}}, "repository": {"default_branch": "main"}}),
        )
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.get("src_count"), "3");
    assert_eq!(run.get("docs_count"), "3");
    assert_ne!(base, new_base);
}

#[test]
fn pull_request_head_checkout_uses_merge_base() {
    let (repo, _, _) = repo_with_feature();
    repo.checkout("main");
    repo.write("main-only.txt", "m");
    let main_tip = repo.commit("main moved on");
    repo.checkout("feature");
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "any: '**'\nmain_only: main-only.txt")
        .event(
            "pull_request",
            json!({"pull_request": {"number": 1, "base": {"sha": main_tip}}}),
        )
        .run();
    assert_eq!(
        run.get("main_only"),
        "false",
        "changes on the base branch are not the PR's"
    );
    assert_eq!(run.get("any_count"), "6");
}

#[test]
fn merge_group_uses_base_and_head_sha() {
    let (repo, base, head) = repo_with_feature();
    repo.checkout("main");
    let run = Action::github("detect-changes", repo.path())
        .input("filters", FILTERS)
        .event(
            "merge_group",
            json!({"merge_group": {"base_sha": base, "head_sha": head}}),
        )
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.get("src_count"), "3");
}

#[test]
fn tag_on_default_branch_tip_has_no_changes_and_tag_elsewhere_has() {
    let (repo, _, _) = repo_with_feature();
    repo.checkout("main");
    repo.git(&["tag", "v1"]);
    repo.checkout("v1");
    let run = Action::github("detect-changes", repo.path())
        .input("filters", FILTERS)
        .env("GITHUB_REF", "refs/tags/v1")
        .event(
            "push",
            json!({"ref": "refs/tags/v1", "repository": {"default_branch": "main"}}),
        )
        .run();
    assert_eq!(run.get("changes"), "[]");
    repo.checkout("feature");
    repo.git(&["tag", "v2"]);
    repo.checkout("v2");
    let run = Action::github("detect-changes", repo.path())
        .input("filters", FILTERS)
        .env("GITHUB_REF", "refs/tags/v2")
        .event(
            "push",
            json!({"ref": "refs/tags/v2", "repository": {"default_branch": "main"}}),
        )
        .run();
    assert_eq!(run.get("src_count"), "3");
}

#[test]
fn schedule_on_default_branch_uses_last_commit_and_warns() {
    let repo = TestRepo::new();
    repo.write("a.txt", "1");
    repo.commit("one");
    repo.write("b.txt", "2");
    repo.commit("two");
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "any: '**'")
        .input("list-files", "csv")
        .input("base", "main")
        .env("GITHUB_REF", "refs/heads/main")
        .event("schedule", json!({"schedule": "0 0 * * *"}))
        .run();
    assert_eq!(run.get("any_files"), "b.txt");
    assert!(run.stdout.contains("::warning::'before' field is missing"));
}

#[test]
fn merge_commit_as_last_commit_reports_its_changes() {
    let (repo, _, _) = repo_with_feature();
    repo.checkout("main");
    repo.git(&["merge", "-q", "--no-ff", "-m", "merge feature", "feature"]);
    let run = Action::github("detect-changes", repo.path())
        .input("filters", FILTERS)
        .input("base", "main")
        .env("GITHUB_REF", "refs/heads/main")
        .event("workflow_dispatch", json!({}))
        .run();
    assert_eq!(
        run.get("src_count"),
        "3",
        "paths-filter reports 0 here; we diff the merge against its first parent"
    );
}

#[test]
fn base_head_reports_uncommitted_changes() {
    let (repo, _, _) = repo_with_feature();
    repo.write("src/app.ts", "dirty");
    repo.write("untracked.txt", "u");
    repo.git(&["add", "src/app.ts"]);
    repo.write("docs/readme.md", "unstaged");
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "any: '**'")
        .input("list-files", "json")
        .input("base", "HEAD")
        .run();
    assert_eq!(run.get("any_files"), r#"["docs/readme.md","src/app.ts"]"#);
}

#[test]
fn shallow_clone_is_deepened_from_origin() {
    let (repo, _, _) = repo_with_feature();
    // Put a few more commits on main after feature branched, so depth 1 is not enough.
    repo.checkout("main");
    for i in 0..5 {
        repo.write(&format!("main/{i}.txt"), "m");
        repo.commit(&format!("main {i}"));
    }
    let origin = repo.bare_clone();
    let origin_path = origin.path().join("origin.git");
    let clone = shallow_clone(&origin_path, "feature", 1);
    let run = Action::github("detect-changes", clone.path())
        .input("filters", FILTERS)
        .input("initial-fetch-depth", "1")
        .env("GITHUB_REF", "refs/heads/feature")
        .event(
            "push",
            json!({"before": NULL, "repository": {"default_branch": "main"}}),
        )
        .run();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.get("src_count"), "3");
    assert_eq!(run.get("docs_count"), "3");
}

#[test]
fn shallow_clone_fetches_missing_before_commit() {
    let repo = TestRepo::new();
    repo.write("a.txt", "1");
    let before = repo.commit("one");
    repo.write("b.txt", "2");
    repo.commit("two");
    let origin = repo.bare_clone();
    let clone = shallow_clone(&origin.path().join("origin.git"), "main", 1);
    let run = Action::github("detect-changes", clone.path())
        .input("filters", "any: '**'")
        .input("list-files", "csv")
        .env("GITHUB_REF", "refs/heads/main")
        .event(
            "push",
            json!({"before": before, "repository": {"default_branch": "main"}}),
        )
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.get("any_files"), "b.txt");
}

#[test]
fn renames_on_request_and_delete_plus_add_by_default() {
    let repo = TestRepo::new();
    repo.write("old/name.txt", "same content here\n".repeat(20).as_str());
    let base = repo.commit("one");
    std::fs::create_dir_all(repo.path().join("new")).unwrap();
    repo.git(&["mv", "old/name.txt", "new/name.txt"]);
    repo.commit("rename");
    let default = Action::github("detect-changes", repo.path())
        .input(
            "filters",
            "old: 'old/**'\nnew: 'new/**'\nren: [{renamed: '**'}]",
        )
        .input("list-files", "json")
        .input("base", &base)
        .run();
    assert_eq!(default.get("old_files"), r#"["old/name.txt"]"#);
    assert_eq!(default.get("new_files"), r#"["new/name.txt"]"#);
    assert_eq!(default.get("ren"), "false");
    let renames = Action::github("detect-changes", repo.path())
        .input(
            "filters",
            "old: 'old/**'\nnew: 'new/**'\nren: [{renamed: '**'}]",
        )
        .input("renames", "true")
        .input("base", &base)
        .run();
    assert_eq!(renames.get("ren"), "true");
    assert_eq!(
        renames.get("old"),
        "true",
        "a rename out of a filter changes it"
    );
    assert_eq!(
        renames.get("ren_renamed"),
        r#"[{"from":"old/name.txt","to":"new/name.txt"}]"#
    );
}

#[test]
fn type_change_matches_plain_globs_only() {
    let repo = TestRepo::new();
    repo.write("thing", "file");
    let base = repo.commit("file");
    repo.remove("thing");
    std::os::unix::fs::symlink("target", repo.path().join("thing")).unwrap();
    repo.commit("now a link");
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "plain: thing\nmodified: [{modified: thing}]")
        .input("base", &base)
        .run();
    assert_eq!(run.get("plain"), "true");
    assert_eq!(run.get("modified"), "false");
}

#[test]
fn newline_in_file_name_survives_json_and_heredoc_output() {
    let repo = TestRepo::new();
    repo.write("a.txt", "1");
    let base = repo.commit("one");
    repo.write("weird\nname.txt", "x");
    repo.commit("two");
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "any: '*'")
        .input("list-files", "json")
        .input("base", &base)
        .run();
    assert_eq!(run.get("any_files"), r#"["weird\nname.txt"]"#);
    let escape = Action::github("detect-changes", repo.path())
        .input("filters", "any: '*'")
        .input("list-files", "escape")
        .input("base", &base)
        .run();
    // paths-filter writes `weird\<newline>name.txt`, a line continuation that loses the
    // newline; ANSI-C quoting round-trips it (issue 9 #10).
    assert_eq!(escape.get("any_files"), "$'weird\\nname.txt'");
}

#[test]
fn dirs_output_dir_and_matrix_extras() {
    let (repo, base, _) = repo_with_feature();
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "all: '**'")
        .input("list-dirs", "true")
        .input("dir-names-max-depth", "1")
        .input("output-dir", "out")
        .input("base", &base)
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.get("all_dirs"), r#"["docs","src"]"#);
    let path = run.get("all_files_path");
    let written = std::fs::read_to_string(repo.path().join(path)).unwrap();
    assert!(written.starts_with(r#"["docs/café ☕.md""#), "{written}");
}

#[test]
fn filter_named_changes_suppresses_changes_output() {
    let (repo, base, _) = repo_with_feature();
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "changes: 'src/**'")
        .input("base", &base)
        .run();
    assert_eq!(run.get("changes"), "true");
    assert_eq!(
        run.outputs.iter().filter(|(k, _)| k == "changes").count(),
        1
    );
}

#[test]
fn flag_wins_over_input_variable() {
    let (repo, base, _) = repo_with_feature();
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "src: 'src/**'")
        .input("list-files", "json")
        .arg("--list-files")
        .arg("csv")
        .input("base", &base)
        .run();
    assert_eq!(
        run.get("src_files"),
        r#"src/app.ts,"src/new file.ts",src/old.ts"#
    );
}

#[test]
fn token_is_masked_and_never_printed() {
    let (repo, base, _) = repo_with_feature();
    let secret = "ghs_supersecrettoken123";
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "src: 'src/**'")
        .input("token", secret)
        .input("base", &base)
        .run();
    assert!(
        run.stdout.starts_with(&format!("::add-mask::{secret}\n")),
        "{}",
        run.stdout
    );
    assert_eq!(run.stdout.matches(secret).count(), 1);
    assert!(
        !run.stderr.contains(secret)
            && !run.output_file.contains(secret)
            && !run.summary.contains(secret)
    );
}

/// Bad input: a one-line `::error::` naming the input, exit 2, nothing in GITHUB_OUTPUT.
fn assert_bad_input(run: &common::Run, needle: &str) {
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

#[test]
fn bad_inputs_fail_with_exit_2_and_no_outputs() {
    let (repo, base, _) = repo_with_feature();
    repo.write("bad.yml", "a: 'x'\nb:\n  - [unclosed\n");
    repo.write("list.yml", "- a\n- b\n");
    let run = |filters: &str, extra: &[(&str, &str)]| {
        let mut a = Action::github("detect-changes", repo.path())
            .input("filters", filters)
            .input("base", &base);
        for (k, v) in extra {
            a = a.input(k, v);
        }
        a.run()
    };
    assert_bad_input(&run("a: [x\n", &[]), "input 'filters': line 1");
    assert_bad_input(&run("bad.yml", &[]), "::error file=bad.yml,line=");
    assert_bad_input(&run("list.yml", &[]), "Root element is not an object");
    assert_bad_input(&run("a: 5\n", &[]), "Unexpected element type 'number'");
    assert_bad_input(
        &run("a:\n  - added: 7\n", &[]),
        "Expected [key:string]= pattern:string",
    );
    assert_bad_input(
        &run("a: x", &[("list-files", "yaml")]),
        "'list-files' is set to invalid value 'yaml'",
    );
    assert_bad_input(
        &run("a: x", &[("predicate-quantifier", "all")]),
        "Valid values: every, some",
    );
    assert_bad_input(&run("a: 'src/[unclosed'", &[]), "invalid glob");
    assert_bad_input(
        &run("missing.yml", &[]),
        "Configuration file 'missing.yml' not found",
    );
    assert_bad_input(
        &run("a: x", &[("glob-dialect", "bash")]),
        "unknown glob dialect 'bash'",
    );
    assert_bad_input(
        &run("a: x", &[("initial-fetch-depth", "deep")]),
        "initial-fetch-depth",
    );
    let unknown = Action::github("detect-changes", repo.path())
        .input("filters", "a: x")
        .input("base", "no-such-branch")
        .run();
    assert_bad_input(&unknown, "unknown ref 'no-such-branch'");
}

#[test]
fn invalid_glob_in_file_points_at_its_line_and_column() {
    let (repo, base, _) = repo_with_feature();
    repo.write(
        "f.yml",
        "ok: 'src/**'\nbad:\n  - 'docs/**'\n  - 'x/[oops'\n",
    );
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "f.yml")
        .input("base", &base)
        .run();
    assert_bad_input(&run, "::error file=f.yml,line=4,col=5::");
}

#[test]
fn not_a_repository_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let run = Action::github("detect-changes", dir.path())
        .input("filters", "a: x")
        .input("base", "main")
        .run();
    assert_bad_input(&run, "not inside a git repository");
}

#[test]
fn local_json_output() {
    let (repo, base, _) = repo_with_feature();
    let out = Action::local("detect-changes", repo.path())
        .args(&[
            "--output",
            "json",
            "--filters",
            "src: 'src/**'",
            "--base",
            &base,
        ])
        .run();
    out.expect_code(0);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["changes"], json!(["src"]));
    assert_eq!(doc["filters"][0]["count"], 3);
    assert_eq!(doc["files"].as_array().unwrap().len(), 6);
    assert_eq!(doc["outputs"]["src"], "true");
}
