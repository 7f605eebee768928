//! Microsoft Teams through a Workflows webhook ("When a Teams webhook request is
//! received"): one POST of an Adaptive Card in the attachments envelope.
//!
//! Workflows answer 202 Accepted before the flow runs, and a flow that fails later is not
//! reported back, so a 202 is reported as "accepted, not confirmed". A webhook cannot
//! update or thread a message: every call posts a new card.

use anyhow::{bail, Context as _, Result};
use serde_json::Value;

use super::Sent;
use crate::http::{self, Delivery, RetryPolicy};

pub async fn send(
    client: &reqwest::Client,
    policy: &RetryPolicy,
    url: &str,
    payload: &Value,
) -> Result<Sent> {
    // UTF-8 with the charset said: a body read as UTF-16 would count double against the
    // size limit.
    let body = payload.to_string();
    let resp = http::send(policy, || {
        client
            .post(url)
            .header("Content-Type", "application/json; charset=utf-8")
            .body(body.clone())
    })
    .await
    .context("calling the Teams webhook")?;
    let status = resp.status();
    match Delivery::of(status) {
        Some(Delivery::Accepted) => Ok(Sent::accepted(
            "accepted, not confirmed (HTTP 202: the flow runs later and does not report failures back)",
        )),
        Some(Delivery::Confirmed) => Ok(Sent::delivered(format!("delivered (HTTP {})", status.as_u16()))),
        None => {
            let text = resp.text().await.unwrap_or_default();
            let hint = match status.as_u16() {
                413 => format!(
                    " (Teams refuses bodies over about 28 KB; this one was {} bytes)",
                    body.len()
                ),
                400 => " (the flow rejected the body: it expects an Adaptive Card in the attachments envelope)".to_string(),
                401 | 403 | 404 => " (the webhook URL is wrong, or the flow was turned off or deleted)".to_string(),
                _ => String::new(),
            };
            bail!(
                "the Teams webhook answered {status}: {}{hint}",
                crate::http::excerpt(&text)
            )
        }
    }
}
