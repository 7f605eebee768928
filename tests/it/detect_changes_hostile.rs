//! detect-changes under hostile input (issue 9): shallow clones that cannot be deepened,
//! output names the runner would reject or merge, unknown child-pipeline filters, file
//! names that attack a shell, bounded numbers, YAML bombs, and pipes as file inputs.

use crate::support as common;

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

/// Runs `printf '%s\0' <line>` in bash in an empty folder: the words it gets, and whether
/// anything was created there.
fn through_bash(line: &str) -> (Vec<Vec<u8>>, usize) {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!("printf '%s\\0' {line}"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "bash failed on: {line}");
    let mut words: Vec<Vec<u8>> = out.stdout.split(|b| *b == 0).map(<[u8]>::to_vec).collect();
    words.pop();
    (words, std::fs::read_dir(dir.path()).unwrap().count())
}

#[test]
fn shell_and_escape_lists_of_hostile_file_names_are_safe_in_a_run_script() {
    let names = [
        "h/ok\n$(touch pwned)",
        "h/it's\n$(touch pwned2)",
        "h/`touch pwned3`\nok",
        "h/a\u{2028}$(touch pwned4)",
        "h/tab\there",
        "h/plain.txt",
        "h/with space.md",
    ];
    let repo = TestRepo::new();
    repo.write("README.md", "r");
    let base = repo.commit("base");
    for n in names {
        repo.write(n, "x");
    }
    repo.commit("hostile names");
    let mut sorted: Vec<&str> = names.to_vec();
    sorted.sort();
    for format in ["shell", "escape"] {
        let run = Action::github("detect-changes", repo.path())
            .input("filters", "h: 'h/*'")
            .input("base", &base)
            .input("list-files", format)
            .run();
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
        let (words, created) = through_bash(run.get("h_files"));
        assert_eq!(
            created,
            0,
            "{format}: a command ran: {}",
            run.get("h_files")
        );
        let words: Vec<String> = words
            .into_iter()
            .map(|w| String::from_utf8(w).unwrap())
            .collect();
        let mut words_sorted = words.clone();
        words_sorted.sort();
        assert_eq!(words_sorted, sorted, "{format}: {}", run.get("h_files"));
    }
    // Plain names keep paths-filter's bytes exactly.
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "p: ['h/plain.txt', 'h/with space.md']")
        .input("base", &base)
        .input("list-files", "shell")
        .run();
    assert_eq!(run.get("p_files"), "h/plain.txt 'h/with space.md'");
}

/// A repository with one commit after `base`, for loader tests.
fn small_repo() -> (TestRepo, String) {
    let repo = TestRepo::new();
    repo.write("web/a.ts", "1");
    let base = repo.commit("base");
    repo.write("web/a.ts", "2");
    repo.commit("change");
    (repo, base)
}

/// An anchor of a 1 MB string aliased 10,000 times (10 GB expanded) under `key`.
fn alias_bomb(prefix: &str, list_key: &str) -> String {
    let mut yaml = format!("{prefix}: &a '{}'\n{list_key}:\n", "x".repeat(1_000_000));
    for _ in 0..10_000 {
        yaml.push_str("  - *a\n");
    }
    yaml
}

#[test]
fn an_alias_bomb_in_a_filters_file_is_exit_2_quickly_with_its_position() {
    let (repo, base) = small_repo();
    std::fs::write(repo.path().join("bomb.yml"), alias_bomb("seed", "web")).unwrap();
    let started = std::time::Instant::now();
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "bomb.yml")
        .input("base", &base)
        .run();
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    assert_bad_input(&run, "::error file=bomb.yml,line=");
    assert!(
        run.stdout.contains("expands to more than 64 MiB"),
        "{}",
        run.stdout
    );
}

#[test]
fn an_alias_bomb_in_a_child_pipeline_template_is_exit_2_quickly_with_its_position() {
    let (repo, base) = small_repo();
    let template = repo.path().join("jobs.yml");
    let mut yaml = alias_bomb(".big", "job");
    yaml = yaml
        .replace("job:\n", "job:\n  script:\n")
        .replace("  - *a", "    - *a");
    std::fs::write(&template, yaml).unwrap();
    let started = std::time::Instant::now();
    let run = Action::gitlab("detect-changes", repo.path())
        .input("filters", "web: 'web/**'")
        .input("base", &base)
        .input("child-pipeline-template", "jobs.yml")
        .run();
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let text = format!("{}{}", run.stdout, run.stderr);
    assert!(
        text.contains(
            "jobs.yml:70:7: input 'child-pipeline-template': the YAML expands to more than 64 MiB"
        ),
        "{text}"
    );
    assert!(
        !repo.path().join("shipgate.env").exists(),
        "nothing written"
    );
    assert!(
        !repo.path().join("shipgate-child.yml").exists(),
        "nothing written"
    );
}

#[test]
fn invalid_utf8_in_a_filters_file_or_template_has_a_line_and_column() {
    let (repo, base) = small_repo();
    std::fs::write(
        repo.path().join("f.yml"),
        b"web: 'web/**'\ndocs: 'd\xc3\xa9\xff/**'\n",
    )
    .unwrap();
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "f.yml")
        .input("base", &base)
        .run();
    assert_bad_input(&run, "::error file=f.yml,line=2,col=10::");
    assert!(
        run.stdout.contains("invalid UTF-8 (byte 0xff)"),
        "{}",
        run.stdout
    );

    std::fs::write(repo.path().join("t.yml"), b"job:\n  script: [\xfe]\n").unwrap();
    let run = Action::gitlab("detect-changes", repo.path())
        .input("filters", "web: 'web/**'")
        .input("base", &base)
        .input("child-pipeline-template", "t.yml")
        .run();
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let text = format!("{}{}", run.stdout, run.stderr);
    assert!(
        text.contains("t.yml:2:12: input 'child-pipeline-template': invalid UTF-8 (byte 0xfe)"),
        "{text}"
    );
}

#[test]
fn a_pipe_is_read_as_a_filters_file_and_as_a_template() {
    let (repo, base) = small_repo();
    let files = tempfile::tempdir().unwrap();
    let output = files.path().join("out");
    std::fs::write(&output, "").unwrap();
    // As a user writes it: process substitution, a /dev/fd/N path that is not a file.
    let script = format!(
        "exec {bin} detect-changes --base {base} --filters <(printf 'web: \"web/**\"\\n')",
        bin = common::bin()
    );
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(repo.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_OUTPUT", &output)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let outputs = common::parse_github_output(&std::fs::read_to_string(&output).unwrap());
    assert!(
        outputs.contains(&("web".to_string(), "true".to_string())),
        "{outputs:?}"
    );

    let script = format!(
        "exec {bin} detect-changes --base {base} --filters 'web: web/**' --child-pipeline-template <(printf 'build:\\n  shipgate: {{changes: [web]}}\\n  script: [make]\\n')",
        bin = common::bin()
    );
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(repo.path())
        .env("GITLAB_CI", "true")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let child = std::fs::read_to_string(repo.path().join("shipgate-child.yml")).unwrap();
    assert!(child.contains("\"build\""), "{child}");
}

#[test]
fn filter_names_the_runner_would_reject_are_exit_2_naming_filter_and_rule() {
    let (repo, base) = small_repo();
    let run = |filters: &str| {
        Action::github("detect-changes", repo.path())
            .input("filters", filters)
            .input("base", &base)
            .run()
    };
    assert_bad_input(
        &run("ok: 'web/**'\n'a=b': 'web/**'\n"),
        "input 'filters': line 2, column 1: filter 'a=b': an output name cannot contain '='",
    );
    assert_bad_input(
        &run("\"a\\nb\": 'web/**'\n"),
        "filter 'a\\nb': an output name cannot contain a control character",
    );
    assert_bad_input(
        &run("'': 'web/**'\n"),
        "filter '': an output name cannot be empty",
    );
    assert_bad_input(
        &run("'a<<b': 'web/**'\n"),
        "filter 'a<<b': an output name cannot contain '<<'",
    );
    repo.write(
        "f.yml",
        "web: 'web/**'\n\n  'x<': 'web/**'\n"
            .replace("\n  '", "\n'")
            .as_str(),
    );
    assert_bad_input(&run("f.yml"), "::error file=f.yml,line=3,col=1::");
    // `a<b` is a valid output name and stays one.
    let ok = run("'a<b': 'web/**'\n");
    assert_eq!(ok.code, 0, "{}", ok.stdout);
    assert_eq!(ok.get("a<b"), "true");
}

#[test]
fn two_names_that_become_one_output_are_exit_2_naming_both() {
    let (repo, base) = small_repo();
    // GitHub: a filter named like another's derived output, or differing only in case.
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "a: 'web/**'\na_count: 'x/**'\n")
        .input("base", &base)
        .run();
    assert_bad_input(
        &run,
        "output 'a_count' of filter 'a' and filter 'a_count' both become the output 'a_count'",
    );
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "Web: 'web/**'\nweb: 'x/**'\n")
        .input("base", &base)
        .run();
    assert_bad_input(
        &run,
        "filter 'Web' and filter 'web' both become the output 'web'",
    );
    // output-dir: `x/y` and `x_y` are both the file x_y.
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "x/y: 'web/**'\nx_y: 'x/**'\n")
        .input("base", &base)
        .input("output-dir", "lists")
        .run();
    assert_bad_input(
        &run,
        "filters 'x/y' and 'x_y' both write the output-dir file",
    );
    assert!(!repo.path().join("lists").exists(), "nothing written");
    let long = "l".repeat(300);
    let run = Action::github("detect-changes", repo.path())
        .input("filters", &format!("{long}: 'web/**'\n"))
        .input("base", &base)
        .input("output-dir", "lists")
        .run();
    assert_bad_input(
        &run,
        "its output-dir file name would be 305 bytes, over the 255",
    );
    assert!(!repo.path().join("lists").exists(), "nothing written");
    // GitLab: "a b" and a_b are both SHIPGATE_a_b.
    let run = Action::gitlab("detect-changes", repo.path())
        .input("filters", "'a b': 'web/**'\na_b: 'x/**'\n")
        .input("base", &base)
        .run();
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let text = format!("{}{}", run.stdout, run.stderr);
    assert!(
        text.contains(
            "filter 'a b' and filter 'a_b' both become the dotenv variable 'SHIPGATE_a_b'"
        ),
        "{text}"
    );
    assert!(
        !repo.path().join("shipgate.env").exists(),
        "nothing written"
    );
    // Distinct after sanitising: fine.
    let run = Action::gitlab("detect-changes", repo.path())
        .input("filters", "'a b': 'web/**'\nab: 'x/**'\n")
        .input("base", &base)
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn a_child_pipeline_job_naming_an_unknown_filter_is_exit_2_with_the_known_names() {
    let (repo, base) = small_repo();
    repo.write(
        "jobs.yml",
        "build-web:\n  shipgate: {changes: [web]}\n  script: [make web]\nbuild-api:\n  shipgate: {changes: [wbe]}\n  script: [make api]\n",
    );
    let run = Action::gitlab("detect-changes", repo.path())
        .input("filters", "web: 'web/**'\napi: 'api/**'\n")
        .input("base", &base)
        .input("child-pipeline-template", "jobs.yml")
        .run();
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let text = format!("{}{}", run.stdout, run.stderr);
    assert!(
        text.contains("jobs.yml:5:13: input 'child-pipeline-template': job 'build-api' names the unknown filter 'wbe' (known: 'web', 'api')"),
        "{text}"
    );
    assert!(
        !repo.path().join("shipgate-child.yml").exists(),
        "nothing written"
    );
}

#[test]
fn model_names_that_become_one_output_are_exit_2_naming_both() {
    let repo = TestRepo::new();
    repo.write(
        ".shipgate.yml",
        "version: 1\ntiers: [stable]\nenvironments:\n  - name: prod\n    tiers: [stable]\ngroups:\n  web: { paths: ['web/**'] }\ncomponents:\n  a.b: { tier: stable, paths: ['a/**'] }\n  a-b: { tier: stable, paths: ['b/**'] }\n",
    );
    repo.write("a/x", "1");
    let base = repo.commit("base");
    repo.write("a/x", "2");
    repo.commit("change");
    let run = Action::gitlab("detect-changes", repo.path())
        .input("base", &base)
        .run();
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    let text = format!("{}{}", run.stdout, run.stderr);
    assert!(
        text.contains(
            "component 'a.b' and component 'a-b' both become the dotenv variable 'SHIPGATE_a_b'"
        ),
        "{text}"
    );
    // A component named like a group's filter.
    repo.write(
        ".shipgate.yml",
        "version: 1\ntiers: [stable]\nenvironments:\n  - name: prod\n    tiers: [stable]\ngroups:\n  web: { paths: ['web/**'] }\ncomponents:\n  group-web: { tier: stable, paths: ['a/**'] }\n",
    );
    let run = Action::github("detect-changes", repo.path())
        .input("base", &base)
        .run();
    assert_bad_input(
        &run,
        "component 'group-web' and group 'web' (filter 'group-web') both become the output 'group-web'",
    );
}

#[test]
fn user_values_in_messages_are_quoted_short_and_on_one_line() {
    let (repo, base) = small_repo();
    let long = "n".repeat(1_000);
    let run = Action::github("detect-changes", repo.path())
        .input("filters", &format!("{long}:\n"))
        .input("base", &base)
        .run();
    assert_bad_input(&run, "has no rules");
    assert!(run.stdout.len() < 800, "{} bytes", run.stdout.len());
    assert!(run.stdout.contains("…' (1000 bytes)"), "{}", run.stdout);
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "web: 'web/**'")
        .input("base", "no\nsuch::error::x")
        .run();
    assert_bad_input(&run, "unknown ref 'no\\nsuch::error::x'");
}

#[test]
fn a_huge_invalid_glob_is_quoted_short() {
    let (repo, base) = small_repo();
    repo.write("g.yml", format!("a: \"{}[\"\n", "x".repeat(100_000)));
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "g.yml")
        .input("base", &base)
        .run();
    assert_bad_input(&run, "::error file=g.yml,line=1,col=4::");
    assert!(run.stdout.contains("invalid glob 'xxx"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("…' (100001 bytes) at character 65537: pattern is longer than 65536"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.len() < 1_000, "{} bytes", run.stdout.len());
}
