//! The pull-request REST path, against a stateful fake of GitHub's files endpoint.

use crate::support as common;

use common::{Action, TestRepo};
use serde_json::json;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Serves `total` files 100 per page with Link headers, as GitHub does (capped at 3,000).
struct Pages {
    total: usize,
    base: String,
}

impl Respond for Pages {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let page: usize = req
            .url
            .query_pairs()
            .find(|(k, _)| k == "page")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(1);
        let served = self.total.min(3000);
        let start = (page - 1) * 100;
        let end = (start + 100).min(served);
        let files: Vec<_> = (start..end)
            .map(|i| match i {
                0 => json!({"filename": "src/renamed.ts", "status": "renamed", "previous_filename": "src/old.ts"}),
                1 => json!({"filename": "docs/gone.md", "status": "removed"}),
                _ => json!({"filename": format!("pkg/file{i:05}.ts"), "status": "modified"}),
            })
            .collect();
        let mut resp = ResponseTemplate::new(200).set_body_json(files);
        if end < served {
            resp = resp.insert_header(
                "link",
                format!(
                    "<{}/repos/acme/widgets/pulls/7/files?per_page=100&page={}>; rel=\"next\"",
                    self.base,
                    page + 1
                )
                .as_str(),
            );
        }
        resp
    }
}

fn pr_event() -> serde_json::Value {
    json!({"number": 7, "pull_request": {"number": 7, "base": {"sha": "0123456789abcdef0123456789abcdef01234567"}}, "repository": {"full_name": "acme/widgets", "default_branch": "main"}})
}

fn run_api(server: &MockServer, cwd: &std::path::Path) -> common::Run {
    Action::github("detect-changes", cwd)
        .input(
            "filters",
            "src: 'src/**'\ndocs: [{deleted: 'docs/**'}]\npkg: 'pkg/**'",
        )
        .input("token", "ghs_faketoken0001")
        .input("use-api", "true")
        .env("GITHUB_API_URL", &server.uri())
        .env("GITHUB_REPOSITORY", "acme/widgets")
        .event("pull_request", pr_event())
        .run()
}

#[tokio::test(flavor = "multi_thread")]
async fn pull_request_files_are_paginated_and_renames_split() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/widgets/pulls/7/files"))
        .and(query_param("per_page", "100"))
        .and(header("authorization", "Bearer ghs_faketoken0001"))
        .respond_with(Pages {
            total: 250,
            base: server.uri(),
        })
        .expect(3)
        .mount(&server)
        .await;
    let repo = TestRepo::new();
    repo.write("x", "1");
    repo.commit("init");
    let run = run_api(&server, repo.path());
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.get("src_count"),
        "2",
        "a rename is an addition and a deletion"
    );
    assert_eq!(run.get("docs"), "true");
    assert_eq!(run.get("pkg_count"), "248");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_checkout_uses_the_api() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/widgets/pulls/7/files"))
        .respond_with(Pages {
            total: 3,
            base: server.uri(),
        })
        .mount(&server)
        .await;
    let empty = tempfile::tempdir().unwrap();
    let run = Action::github("detect-changes", empty.path())
        .input("filters", "src: 'src/**'")
        .input("token", "ghs_faketoken0001")
        .env("GITHUB_API_URL", &server.uri())
        .env("GITHUB_REPOSITORY", "acme/widgets")
        .event("pull_request", pr_event())
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.get("src_count"), "2");
}

#[tokio::test(flavor = "multi_thread")]
async fn server_error_is_retried_then_succeeds() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/widgets/pulls/7/files"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/widgets/pulls/7/files"))
        .respond_with(Pages {
            total: 3,
            base: server.uri(),
        })
        .mount(&server)
        .await;
    let repo = TestRepo::new();
    repo.commit("init");
    let run = run_api(&server, repo.path());
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.get("pkg_count"), "1");
}

#[tokio::test(flavor = "multi_thread")]
async fn api_failure_is_exit_1_never_a_result() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(403)
                .set_body_string("{\"message\":\"Resource not accessible by integration\"}"),
        )
        .mount(&server)
        .await;
    let repo = TestRepo::new();
    repo.commit("init");
    let run = run_api(&server, repo.path());
    assert_eq!(run.code, 1);
    assert!(run.output_file.is_empty());
    assert!(
        run.stdout.contains("::error::") && run.stdout.contains("pull-requests: read"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.starts_with("::add-mask::ghs_faketoken0001\n"));
    assert_eq!(
        run.stdout.matches("ghs_faketoken0001").count(),
        1,
        "only the mask command names the token"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn over_3000_files_falls_back_to_git_for_the_full_list() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/repos/acme/widgets/pulls/7/files"))
        .respond_with(Pages {
            total: 3500,
            base: server.uri(),
        })
        .mount(&server)
        .await;
    let repo = TestRepo::new();
    repo.write("seed", "0");
    let base = repo.commit("base");
    for i in 0..3500 {
        repo.write(&format!("pkg/file{i:05}.ts"), "x");
    }
    repo.commit("big change");
    let run = Action::github("detect-changes", repo.path())
        .input("filters", "pkg: 'pkg/**'")
        .input("token", "ghs_faketoken0001")
        .input("use-api", "true")
        .env("GITHUB_API_URL", &server.uri())
        .env("GITHUB_REPOSITORY", "acme/widgets")
        .event(
            "pull_request",
            json!({"number": 7, "pull_request": {"number": 7, "base": {"sha": base}}}),
        )
        .run();
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("3,000 files"), "{}", run.stdout);
    assert_eq!(run.get("pkg_count"), "3500");
}
