//! A generic JSON webhook, optionally signed: `X-Shipgate-Signature-256: sha256=<hex>` is
//! the HMAC-SHA256 of the exact body bytes with the shared secret (GitHub's webhook
//! scheme, so existing verifiers work). `X-Shipgate-Delivery` is a random id per call.

use anyhow::{bail, Context as _, Result};
use serde_json::Value;

use super::Sent;
use crate::http::{self, Delivery, RetryPolicy};
use crate::platform::github::random_hex;

/// The signature header.
pub const SIGNATURE_HEADER: &str = "X-Shipgate-Signature-256";

/// `sha256=<hex HMAC-SHA256 of body with key>`.
pub fn signature(key: &str, body: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key.as_bytes());
    let tag = ring::hmac::sign(&key, body);
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

pub async fn send(
    client: &reqwest::Client,
    policy: &RetryPolicy,
    url: &str,
    secret: Option<&str>,
    payload: &Value,
) -> Result<Sent> {
    let body = payload.to_string();
    let signed = secret.map(|k| signature(k, body.as_bytes()));
    let delivery = random_hex();
    let resp = http::send(policy, || {
        let req = client
            .post(url)
            .header("Content-Type", "application/json; charset=utf-8")
            .header("X-Shipgate-Event", "notify")
            .header("X-Shipgate-Delivery", &delivery)
            .body(body.clone());
        match &signed {
            Some(sig) => req.header(SIGNATURE_HEADER, sig),
            None => req,
        }
    })
    .await
    .context("calling the webhook")?;
    let status = resp.status();
    match Delivery::of(status) {
        Some(Delivery::Accepted) => Ok(Sent::accepted("accepted, not confirmed (HTTP 202)")),
        Some(Delivery::Confirmed) => Ok(Sent::delivered(format!(
            "delivered (HTTP {})",
            status.as_u16()
        ))),
        None => {
            let text = resp.text().await.unwrap_or_default();
            bail!(
                "the webhook answered {status}: {}",
                crate::http::excerpt(&text)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_rfc_4231_vector() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
