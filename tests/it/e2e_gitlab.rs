//! End to end under gitlab-ci-local: the GitLab 5-minute example
//! (examples/detect-changes/gitlab-ci.yml) includes gitlab-templates/detect-changes.yml with
//! inputs, extends its hidden jobs, and runs the built binary with the shell executor.
//! Checked: the dotenv variables in a later job's script, the JSON artifact, and the child
//! pipeline that holds only the jobs whose filters changed.
//!
//! gitlab-ci-local gives a failing child pipeline no say in the parent's exit code, so the
//! child's jobs are checked in the log, by name and by what they printed.

use crate::support::peers;

use std::process::Command;
use std::time::Duration;

use peers::{clean_env, path_with, peer, root, run, shipgate, Outcome, Repo};

const LIMIT: Duration = Duration::from_secs(180);
const TEMPLATE: &str = "gitlab-templates/detect-changes.yml";
const PUBLISHED_INCLUDE: &str =
    "- remote: https://raw.githubusercontent.com/shipgate/shipgate/v1/gitlab-templates/detect-changes.yml";

const CHILD_JOBS: &str = r#"backend-test:
  shipgate: {changes: [backend]}
  script:
    - echo "child backend-test ran"
frontend-test:
  shipgate:
    changes: [frontend]
  script:
    - echo "child frontend-test ran"
lint:
  script:
    - echo "child lint ran"
"#;

/// A repository whose `main` holds the example pipeline (including the template from this
/// checkout), with an `origin` remote whose `main` is that commit.
fn example_repo(child_jobs: &str) -> (Repo, String) {
    let example = std::fs::read_to_string(root().join("examples/detect-changes/gitlab-ci.yml"))
        .expect("read the GitLab example");
    assert!(
        example.contains(PUBLISHED_INCLUDE),
        "the example no longer includes the published template as expected"
    );
    let pipeline = example.replace(PUBLISHED_INCLUDE, &format!("- local: {TEMPLATE}"));
    let repo = Repo::new();
    // Included files must be tracked for gitlab-ci-local; the base commit has them all.
    repo.copy_from_project(TEMPLATE)
        .write(".gitlab-ci.yml", pipeline)
        .write(".gitlab/changed-jobs.yml", child_jobs)
        .write(
            ".gitignore",
            ".gitlab-ci-local/\nshipgate.env\nshipgate-changes.json\nshipgate-child.yml\n",
        )
        .write("src/main.rs", "fn main() {}\n")
        .write("web/app.js", "console.log('hi');\n")
        .write("README.md", "# demo\n");
    let base = repo.commit("base");
    repo.git(&[
        "remote",
        "add",
        "origin",
        "git@gitlab.example.com:acme/widgets.git",
    ]);
    repo.git(&["update-ref", "refs/remotes/origin/main", &base]);
    repo.git(&[
        "symbolic-ref",
        "refs/remotes/origin/HEAD",
        "refs/remotes/origin/main",
    ]);
    (repo, base)
}

/// Runs the whole pipeline with the shell executor (the template's `image:` is ignored and
/// the freshly built binary is found on PATH). `variables` override predefined ones.
fn gitlab_ci_local(repo: &Repo, variables: &[(&str, &str)]) -> Outcome {
    let bin_dir = shipgate().parent().expect("binary folder").to_path_buf();
    let mut cmd = Command::new(peer("gitlab-ci-local"));
    clean_env(&mut cmd)
        .env("PATH", path_with(&[&bin_dir]))
        .args(["--no-color", "--force-shell-executor"]);
    let mut names = Vec::new();
    for (name, value) in variables {
        cmd.args(["--variable", &format!("{name}={value}")]);
        names.push(*name);
    }
    if !names.is_empty() {
        cmd.args(["--ignore-predefined-vars", &names.join(",")]);
    }
    cmd.current_dir(repo.path());
    let out = run(&mut cmd, LIMIT);
    println!("{}", out.dump());
    out
}

/// The log lines a job printed (gitlab-ci-local prefixes them with the job name and `>`).
fn job_says(out: &Outcome, job: &str, text: &str) -> bool {
    out.stdout
        .lines()
        .any(|l| l.starts_with(job) && l.contains(" > ") && l.contains(text))
}

#[test]
fn push_pipeline_exports_dotenv_and_runs_only_the_changed_child_jobs() {
    let (repo, base) = example_repo(CHILD_JOBS);
    repo.write("src/main.rs", "fn main() { println!(\"hi\"); }\n")
        .write("src/util.rs", "pub fn f() {}\n");
    let head = repo.commit("change the backend");

    let out = gitlab_ci_local(&repo, &[("CI_COMMIT_BEFORE_SHA", &base)]);
    out.assert_success();
    assert!(
        job_says(&out, "report", r#"filters with changes: ["backend"]"#),
        "report job did not see SHIPGATE_changes\n{}",
        out.dump()
    );
    assert!(
        job_says(&out, "report", "backend files: src/main.rs,src/util.rs"),
        "{}",
        out.dump()
    );
    assert!(
        job_says(&out, "report", "the backend changed"),
        "{}",
        out.dump()
    );
    // The child pipeline: the backend job and the unconditional one, not the frontend job.
    out.assert_contains("child backend-test ran")
        .assert_contains("child lint ran")
        .assert_lacks("child frontend-test ran")
        .assert_lacks("-> frontend-test");
    assert!(
        out.stdout.contains("PASS  [changed-jobs] -> backend-test"),
        "{}",
        out.dump()
    );

    // The reports the detect job wrote (the shell executor runs in the work tree).
    let dotenv = std::fs::read_to_string(repo.path().join("shipgate.env")).expect("dotenv report");
    for line in [
        "SHIPGATE_backend=true",
        "SHIPGATE_backend_count=2",
        "SHIPGATE_frontend=false",
        "SHIPGATE_docs=false",
        r#"SHIPGATE_changes=["backend"]"#,
    ] {
        assert!(
            dotenv.lines().any(|l| l == line),
            "{line} missing from shipgate.env:\n{dotenv}"
        );
    }
    let json =
        std::fs::read_to_string(repo.path().join("shipgate-changes.json")).expect("JSON artifact");
    let json: serde_json::Value = serde_json::from_str(&json).expect("JSON artifact parses");
    assert!(
        json.to_string().contains("src/util.rs"),
        "JSON artifact lacks the files: {json}"
    );
    let child =
        std::fs::read_to_string(repo.path().join("shipgate-child.yml")).expect("child pipeline");
    let child: serde_json::Value = serde_saphyr::from_str(&child).expect("child pipeline is YAML");
    let jobs: Vec<&String> = child.as_object().expect("jobs").keys().collect();
    assert_eq!(jobs, ["backend-test", "lint"], "child pipeline jobs");
    assert!(
        child["backend-test"].get("shipgate").is_none(),
        "the shipgate key must be removed: {child}"
    );
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);
}

#[test]
fn merge_request_pipeline_compares_with_the_diff_base() {
    let (repo, base) = example_repo(CHILD_JOBS);
    repo.git(&["checkout", "-q", "-b", "feature"]);
    repo.write("web/app.js", "console.log('changed');\n")
        .write("docs/intro.md", "# Intro\n");
    repo.commit("frontend and docs");

    let out = gitlab_ci_local(
        &repo,
        &[
            ("CI_PIPELINE_SOURCE", "merge_request_event"),
            ("CI_MERGE_REQUEST_DIFF_BASE_SHA", &base),
            ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"),
        ],
    );
    out.assert_success();
    assert!(
        job_says(
            &out,
            "report",
            r#"filters with changes: ["frontend","docs"]"#
        ),
        "report job did not see SHIPGATE_changes\n{}",
        out.dump()
    );
    assert!(
        !job_says(&out, "report", "the backend changed"),
        "{}",
        out.dump()
    );
    out.assert_contains("child frontend-test ran")
        .assert_contains("child lint ran")
        .assert_lacks("child backend-test ran");
}

/// With no filter changed the child pipeline still has a job (GitLab rejects an empty one).
#[test]
fn nothing_changed_gives_a_child_pipeline_with_only_unconditional_jobs() {
    let (repo, base) = example_repo(CHILD_JOBS);
    repo.write("notes.txt", "no filter matches this\n");
    repo.commit("unrelated");

    let out = gitlab_ci_local(&repo, &[("CI_COMMIT_BEFORE_SHA", &base)]);
    out.assert_success();
    assert!(
        job_says(&out, "report", "filters with changes: []"),
        "{}",
        out.dump()
    );
    out.assert_contains("child lint ran")
        .assert_lacks("child backend-test ran")
        .assert_lacks("child frontend-test ran");
}

/// When no job of the template is selected the child pipeline gets a no-op job: GitLab
/// rejects a child pipeline without jobs, which would fail the trigger job.
#[test]
fn nothing_selected_gives_a_child_pipeline_with_a_no_op_job() {
    let only_conditional = CHILD_JOBS.replace(
        "lint:\n  script:",
        "lint:\n  shipgate: {changes: [docs]}\n  script:",
    );
    assert_ne!(only_conditional, CHILD_JOBS);
    let (repo, base) = example_repo(&only_conditional);
    repo.write("notes.txt", "no filter matches this\n");
    repo.commit("unrelated");

    let out = gitlab_ci_local(&repo, &[("CI_COMMIT_BEFORE_SHA", &base)]);
    out.assert_success();
    out.assert_contains("no filter changed, nothing to run")
        .assert_lacks("child lint ran")
        .assert_lacks("child backend-test ran")
        .assert_lacks("child frontend-test ran");
}

/// A child job that names a filter that does not exist (a typo) fails the detect job with
/// the job and the known names, instead of being dropped without a word.
#[test]
fn a_child_job_naming_an_unknown_filter_fails_the_detect_job() {
    let typo = CHILD_JOBS.replace("changes: [frontend]", "changes: [frontent]");
    assert_ne!(typo, CHILD_JOBS);
    let (repo, base) = example_repo(&typo);
    repo.write("web/app.js", "console.log('changed');\n");
    repo.commit("change the frontend");

    let out = gitlab_ci_local(&repo, &[("CI_COMMIT_BEFORE_SHA", &base)]);
    assert!(!out.status.success(), "{}", out.dump());
    out.assert_contains(
        "job 'frontend-test' names the unknown filter 'frontent' (known: 'backend', 'frontend', 'docs')",
    )
    .assert_lacks("child frontend-test ran")
    .assert_lacks("child lint ran");
}
