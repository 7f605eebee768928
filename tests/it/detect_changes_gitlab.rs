//! detect-changes inside GitLab CI: CI_* context, dotenv report, JSON artifact, child pipeline.

use crate::support as common;

use common::{Action, TestRepo};

const NULL: &str = "0000000000000000000000000000000000000000";

fn repo() -> (TestRepo, String, String) {
    let repo = TestRepo::new();
    repo.write("web/index.ts", "1")
        .write("api/main.go", "1")
        .write("README.md", "r");
    let base = repo.commit("base");
    repo.checkout_new("feature");
    repo.write("web/index.ts", "2").write("web/new.ts", "n");
    let head = repo.commit("web change");
    (repo, base, head)
}

const FILTERS: &str = "web: 'web/**'\napi-service: 'api/**'\n";

#[test]
fn merge_request_pipeline_uses_diff_base_sha() {
    let (repo, base, head) = repo();
    let run = Action::gitlab("detect-changes", repo.path())
        .input("filters", FILTERS)
        .env("CI_PIPELINE_SOURCE", "merge_request_event")
        .env("CI_MERGE_REQUEST_DIFF_BASE_SHA", &base)
        .env("CI_COMMIT_SHA", &head)
        .env("CI_COMMIT_REF_NAME", "feature")
        .env("CI_DEFAULT_BRANCH", "main")
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.report(),
        "SHIPGATE_web=true\nSHIPGATE_web_count=2\nSHIPGATE_api_service=false\nSHIPGATE_api_service_count=0\nSHIPGATE_changes=[\"web\"]\nSHIPGATE_matrix={\"filter\":[\"web\"]}\n"
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.path().join("shipgate-changes.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        json["filters"][0]["files"],
        serde_json::json!(["web/index.ts", "web/new.ts"])
    );
    assert!(
        run.stdout.contains("section_start:"),
        "log sections: {}",
        run.stdout
    );
    assert!(
        run.output_file.is_empty(),
        "nothing goes to GITHUB_OUTPUT on GitLab"
    );
}

#[test]
fn branch_pipeline_uses_before_sha() {
    let (repo, base, head) = repo();
    repo.checkout("main");
    repo.git(&["merge", "-q", "--ff-only", "feature"]);
    let run = Action::gitlab("detect-changes", repo.path())
        .input("filters", FILTERS)
        .input("list_files", "csv")
        .env("CI_PIPELINE_SOURCE", "push")
        .env("CI_COMMIT_BEFORE_SHA", &base)
        .env("CI_COMMIT_SHA", &head)
        .env("CI_COMMIT_BRANCH", "main")
        .env("CI_DEFAULT_BRANCH", "main")
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.report()
            .contains("SHIPGATE_web_files=web/index.ts,web/new.ts\n"),
        "{}",
        run.report()
    );
}

#[test]
fn new_branch_compares_with_merge_base_not_always_true() {
    let (repo, _, head) = repo();
    let run = Action::gitlab("detect-changes", repo.path())
        .input("filters", FILTERS)
        .env("CI_PIPELINE_SOURCE", "push")
        .env("CI_COMMIT_BEFORE_SHA", NULL)
        .env("CI_COMMIT_SHA", &head)
        .env("CI_COMMIT_BRANCH", "feature")
        .env("CI_DEFAULT_BRANCH", "main")
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let env = run.report();
    assert!(
        env.contains("SHIPGATE_web=true\n") && env.contains("SHIPGATE_api_service=false\n"),
        "{env}"
    );
}

#[test]
fn compare_to_like_rules_changes() {
    let (repo, _, _) = repo();
    let run = Action::gitlab("detect-changes", repo.path())
        .input("filters", FILTERS)
        .input("compare_to", "main")
        .input("dotenv_prefix", "CHG_")
        .env("CI_PIPELINE_SOURCE", "web")
        .env("CI_DEFAULT_BRANCH", "main")
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.report().starts_with("CHG_web=true\nCHG_web_count=2\n"),
        "{}",
        run.report()
    );
}

#[test]
fn child_pipeline_keeps_only_changed_jobs() {
    let (repo, base, head) = repo();
    repo.write(
        "ci/jobs.yml",
        "stages: [build]\nbuild-web:\n  stage: build\n  shipgate: {changes: [web]}\n  script: [echo web]\nbuild-api:\n  stage: build\n  shipgate: {changes: [api-service]}\n  script: [echo api]\n",
    );
    let run = Action::gitlab("detect-changes", repo.path())
        .input("filters", FILTERS)
        .input("child_pipeline_template", "ci/jobs.yml")
        .env("CI_PIPELINE_SOURCE", "merge_request_event")
        .env("CI_MERGE_REQUEST_DIFF_BASE_SHA", &base)
        .env("CI_COMMIT_SHA", &head)
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let child: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.path().join("shipgate-child.yml")).unwrap(),
    )
    .unwrap();
    assert!(child.get("build-web").is_some());
    assert!(child.get("build-api").is_none());
}

#[test]
fn many_filters_fit_dotenv_limits_and_json_has_all() {
    let (repo, base, head) = repo();
    let filters: String = (0..30).map(|i| format!("f{i}: 'web/**'\n")).collect();
    let run = Action::gitlab("detect-changes", repo.path())
        .input("filters", &filters)
        .env("CI_PIPELINE_SOURCE", "merge_request_event")
        .env("CI_MERGE_REQUEST_DIFF_BASE_SHA", &base)
        .env("CI_COMMIT_SHA", &head)
        .run();
    assert_eq!(run.code, 0);
    assert_eq!(
        run.report().lines().count(),
        20,
        "GitLab's default dotenv limit is 20 variables"
    );
    assert!(run.stdout.contains("left out"), "{}", run.stdout);
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.path().join("shipgate-changes.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["filters"].as_array().unwrap().len(), 30);
}

#[test]
fn bad_input_writes_no_reports() {
    let (repo, _, _) = repo();
    let run = Action::gitlab("detect-changes", repo.path())
        .input("filters", "a: [")
        .env("CI_PIPELINE_SOURCE", "push")
        .run();
    assert_eq!(run.code, 2);
    assert!(!repo.path().join("shipgate.env").exists());
    assert!(
        run.stderr.contains("error: input 'filters': line 1"),
        "{}",
        run.stderr
    );
}
