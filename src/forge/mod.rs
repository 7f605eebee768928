//! API clients for the forges. They know nothing of verbs.

pub mod github;
pub mod github_app;
pub mod github_gate;
pub mod gitlab;
pub mod gitlab_gate;
