//! GitHub Actions: starting a workflow (`workflow_dispatch`).

use reqwest::Method;
use serde_json::Value;

use super::client::Session;
use super::issues::hint;
use crate::forge::urlencode;

impl Session<'_> {
    /// Starts a workflow (`workflow_dispatch`) on `git_ref` with `inputs`.
    pub async fn dispatch(
        &self,
        repo: &str,
        workflow: &str,
        git_ref: &str,
        inputs: &Value,
    ) -> anyhow::Result<()> {
        let what = format!("starting workflow {workflow} on {git_ref}");
        let url = self.url(&format!(
            "/repos/{repo}/actions/workflows/{}/dispatches",
            urlencode(workflow)
        ));
        let body = serde_json::json!({ "ref": git_ref, "inputs": inputs });
        self.call(Method::POST, &url, Some(&body), &what, hint)
            .await
            .map(drop)
    }
}
