//! The rate-limit cost of a waiting gate: one simulated hour with no comments, default
//! polling (10 s at first), against the GitHub fake. Simulated time runs 720× faster, so
//! the hour takes about 5 s. `scripts/bench-gate` runs this and prints the figure.
//!
//! trstringer/manual-approval polls `GET …/comments` every 10 s: 360 requests in an hour,
//! every one counted against the primary rate limit (1,000/h per repository for
//! GITHUB_TOKEN). The gate polls the last page of comments with If-None-Match; a 304 does
//! not count.

use crate::support as common;
use crate::support::github_fake;

use common::Action;
use github_fake::GithubFake;

#[test]
fn a_one_hour_wait_costs_at_most_5_counted_requests() {
    let fake = GithubFake::start_at("acme/app", Some("2026-03-02T10:00:00Z"), 720.0);
    let dir = tempfile::tempdir().unwrap();
    let run = Action::github("gate", dir.path())
        .env("GITHUB_API_URL", &fake.url)
        .env("GITHUB_REPOSITORY", "acme/app")
        .env("GITHUB_RUN_ID", "7")
        .env("GITHUB_RUN_ATTEMPT", "1")
        .env("GITHUB_SHA", "abc123")
        .env("SHIPGATE_NOW", "2026-03-02T10:00:00Z")
        .env("SHIPGATE_TIME_SCALE", "720")
        .input("secret", "ghs_bench_token_0000")
        .input("approvers", "alice,bob,carol")
        .input("timeout", "1h")
        .run();
    assert_eq!(run.code, 4, "the hour ends in a timeout: {}", run.stdout);
    let log = fake.log();
    let counted: Vec<String> = log
        .iter()
        .filter(|l| l.counted())
        .map(|l| format!("{} {} → {}", l.method, l.path, l.status))
        .collect();
    let not_modified = log.iter().filter(|l| l.status == 304).count();
    let manual_approval = 3600 / 10;
    println!("gate benchmark: one simulated hour, no comments, 3 user approvers");
    println!("  manual-approval: {manual_approval} requests, {manual_approval} counted against the primary rate limit");
    println!(
        "  shipgate gate:   {} requests, {} counted, {} conditional 304s (not counted)",
        log.len(),
        counted.len(),
        not_modified
    );
    for c in &counted {
        println!("    counted: {c}");
    }
    assert!(counted.len() <= 5, "{counted:#?}");
    assert!(not_modified >= 55, "polls every ≤60 s: {not_modified}");
    assert_eq!(log.len(), counted.len() + not_modified);
}
