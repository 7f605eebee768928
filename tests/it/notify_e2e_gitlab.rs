//! End to end under gitlab-ci-local: the GitLab notify example (examples/notify/gitlab-ci.yml)
//! includes gitlab-templates/notify.yml with inputs and runs the built binary with the shell
//! executor against a fake Slack. Checked: the inputs reach the binary as INPUT_* variables,
//! the first job's dotenv `SHIPGATE_slack_ts` carries the thread to the last job (no search),
//! the -success / -failure jobs pick the status, and the token never shows in the job logs.

use crate::support::notify as notify_support;

use crate::support::peers;

use std::process::Command;
use std::time::Duration;

use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer};

use notify_support::{FakeSlack, SLACK_TOKEN};
use peers::{clean_env, path_with, peer, root, run, shipgate, Outcome, Repo};

const LIMIT: Duration = Duration::from_secs(180);
const TEMPLATE: &str = "gitlab-templates/notify.yml";
const PUBLISHED_INCLUDE: &str =
    "- remote: https://raw.githubusercontent.com/shipgate/shipgate/v1/gitlab-templates/notify.yml";

/// The example pipeline, using the template from this checkout and the fake Slack, with a
/// deploy script that exits `deploy_exit`.
fn example_repo(slack_api: &str, deploy_exit: u8) -> Repo {
    let example = std::fs::read_to_string(root().join("examples/notify/gitlab-ci.yml"))
        .expect("read the GitLab example");
    assert!(example.contains(PUBLISHED_INCLUDE));
    assert!(example.contains("      targets: slack, gitlab-note, gitlab-status\n"));
    let pipeline = example
        .replace(PUBLISHED_INCLUDE, &format!("- local: {TEMPLATE}"))
        // No GitLab API here: Slack only, at the fake.
        .replace(
            "      targets: slack, gitlab-note, gitlab-status\n",
            &format!("      targets: slack\n      slack-api-url: {slack_api}\n"),
        );
    let repo = Repo::new();
    repo.copy_from_project(TEMPLATE)
        .write(".gitlab-ci.yml", pipeline)
        .write(
            "scripts/deploy.sh",
            format!("#!/bin/sh\necho \"deploying to $1\"\nexit {deploy_exit}\n"),
        )
        .write(".gitignore", ".gitlab-ci-local/\nshipgate-notify.env\n");
    repo.git(&["update-index", "--add", "--chmod=+x", "scripts/deploy.sh"]);
    std::fs::set_permissions(
        repo.path().join("scripts/deploy.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    repo.commit("pipeline");
    repo
}

fn gitlab_ci_local(repo: &Repo) -> Outcome {
    let bin_dir = shipgate().parent().expect("binary folder").to_path_buf();
    let mut cmd = Command::new(peer("gitlab-ci-local"));
    clean_env(&mut cmd)
        .env("PATH", path_with(&[&bin_dir]))
        .args(["--no-color", "--force-shell-executor"])
        .args(["--variable", &format!("SLACK_BOT_TOKEN={SLACK_TOKEN}")])
        .args(["--variable", "SHIPGATE_NOW=2026-11-22T12:00:00Z"])
        .current_dir(repo.path());
    let out = run(&mut cmd, LIMIT);
    println!("{}", out.dump());
    out
}

async fn fake_slack() -> (FakeSlack, MockServer) {
    let fake = FakeSlack::new();
    let server = MockServer::start().await;
    Mock::given(path_regex("^/api/"))
        .respond_with(fake.clone())
        .mount(&server)
        .await;
    (fake, server)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_successful_pipeline_starts_a_thread_and_finishes_it_without_searching() {
    let (fake, server) = fake_slack().await;
    let repo = example_repo(&format!("{}/api", server.uri()), 0);
    let out = tokio::task::spawn_blocking(move || {
        let out = gitlab_ci_local(&repo);
        drop(repo);
        out
    })
    .await
    .unwrap();
    out.assert_success();
    out.assert_lacks(SLACK_TOKEN);

    let st = fake.state();
    let parents: Vec<_> = st
        .messages
        .iter()
        .filter(|m| m.thread_ts.is_none())
        .collect();
    let replies: Vec<_> = st
        .messages
        .iter()
        .filter(|m| m.thread_ts.is_some())
        .collect();
    assert_eq!(parents.len(), 1, "{:?}", st.messages);
    assert_eq!(replies.len(), 1, "{:?}", st.messages);
    assert_eq!(
        replies[0].thread_ts.as_deref(),
        Some(parents[0].ts.as_str())
    );
    let parent_text = parents[0].body["text"].as_str().unwrap();
    assert!(
        parent_text.contains("to production succeeded"),
        "{parent_text}"
    );
    let key = &parents[0].body["metadata"]["event_payload"]["thread_key"];
    assert!(key.as_str().unwrap().starts_with("deploy-"), "{key}");
    // notify-start searched (before and after posting); notify-success had the ts.
    let searches = st
        .calls
        .iter()
        .filter(|(m, _)| m == "conversations.history")
        .count();
    assert_eq!(searches, 2);
    assert_eq!(
        st.calls.iter().filter(|(m, _)| m == "chat.update").count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_deploy_runs_the_failure_job_which_updates_the_same_thread() {
    let (fake, server) = fake_slack().await;
    let repo = example_repo(&format!("{}/api", server.uri()), 1);
    let out = tokio::task::spawn_blocking(move || {
        let out = gitlab_ci_local(&repo);
        drop(repo);
        out
    })
    .await
    .unwrap();
    assert!(!out.status.success(), "the deploy job failed");
    out.assert_lacks(SLACK_TOKEN);
    let st = fake.state();
    let parents: Vec<_> = st
        .messages
        .iter()
        .filter(|m| m.thread_ts.is_none())
        .collect();
    assert_eq!(parents.len(), 1, "{:?}", st.messages);
    let parent_text = parents[0].body["text"].as_str().unwrap();
    assert!(
        parent_text.contains("to production failed"),
        "{parent_text}"
    );
    let reply = st
        .messages
        .iter()
        .find(|m| m.thread_ts.is_some())
        .expect("a reply");
    assert!(reply.body["text"].as_str().unwrap().contains("failed"));
}
