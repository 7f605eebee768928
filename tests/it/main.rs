//! The one integration-test binary: every scenario file is a module here, so the suite links
//! once. `support/` holds what the scenarios share (the repository builder, running the
//! binary as a runner does, the fakes of each service, the test peers).

mod support;

mod config_validate;
mod detect_changes;
mod detect_changes_api;
mod detect_changes_gitlab;
mod detect_changes_hostile;
mod detect_changes_model;
mod e2e_act;
mod e2e_gitlab;
mod e2e_gitlab_gate;
mod fuzz_corpus;
mod gate_bench;
mod gate_github;
mod gate_gitlab;
mod gate_gitlab_api;
mod github_openapi;
mod handover;
mod hostile_matrix;
mod inputs_table;
mod notify_e2e_gitlab;
mod notify_github;
mod notify_gitlab;
mod notify_payloads;
mod notify_secrets;
mod notify_slack;
mod notify_teams;
mod packaging;
mod plan_examples;
mod plan_formats;
mod platform_log;
