//! Slack: the Web API with a bot token (post, update, thread replies, and finding a
//! thread again by its key), or an incoming webhook (post only).
//!
//! Threads: the parent message carries Slack message metadata (`event_type`
//! `shipgate_thread`, payload `{thread_key}`), invisible in the channel. A later call — in
//! another job or workflow — with the same key finds it in `conversations.history`
//! (or takes its `ts` from the `slack-ts` input, skipping the search), updates it and
//! replies in its thread. Two first calls racing are settled as sticky comments are
//! (see [`super::sticky`]): the newer parent is deleted.

use anyhow::{anyhow, bail, Context as _, Result};
use serde_json::{json, Value};

use super::sticky::{self, Notes};
use super::Sent;
use crate::http::{self, RetryPolicy};

/// Slack's Web API.
pub const DEFAULT_API: &str = "https://slack.com/api";
/// The metadata event type of thread parents.
pub const EVENT_TYPE: &str = "shipgate_thread";
/// Pages of channel history searched for a thread's parent (200 messages each).
const HISTORY_PAGES: usize = 5;

/// A Slack Web API client for one channel.
pub struct Slack<'a> {
    pub client: &'a reqwest::Client,
    pub api: String,
    pub token: String,
    pub channel: String,
    pub policy: RetryPolicy,
}

/// A message `ts` ("1700000000.000100") as a number that sorts by time.
pub fn ts_number(ts: &str) -> Option<u64> {
    let (secs, micros) = ts.split_once('.').unwrap_or((ts, "0"));
    let micros = format!("{micros:0<6}");
    Some(secs.parse::<u64>().ok()? * 1_000_000 + micros.get(..6)?.parse::<u64>().ok()?)
}

/// The `ts` for a number from [`ts_number`].
pub fn ts_text(n: u64) -> String {
    format!("{}.{:06}", n / 1_000_000, n % 1_000_000)
}

fn hint(error: &str) -> &'static str {
    match error {
        "not_in_channel" => " (invite the app to the channel: /invite @your-app)",
        "channel_not_found" => " (use the channel ID, e.g. C0123456789, and invite the app)",
        "invalid_auth" | "not_authed" | "token_revoked" => " (the bot token is wrong or revoked)",
        "missing_scope" => {
            " (the app needs chat:write, and channels:history / groups:history to find threads again)"
        }
        "message_not_found" => " (the thread parent was deleted; clear slack-ts to start a new thread)",
        "cant_update_message" => " (only messages the same app posted can be updated)",
        "invalid_blocks" | "invalid_blocks_format" => " (a template produced blocks Slack rejects)",
        _ => "",
    }
}

impl Slack<'_> {
    /// Calls a Web API method with a JSON body; fails on `ok: false`.
    async fn call(&self, method: &str, body: &Value) -> Result<Value> {
        let url = format!("{}/{method}", self.api.trim_end_matches('/'));
        let resp = http::send(&self.policy, || {
            self.client
                .post(&url)
                .bearer_auth(&self.token)
                .header("Content-Type", "application/json; charset=utf-8")
                .body(body.to_string())
        })
        .await
        .with_context(|| format!("calling Slack {method}"))?;
        Self::read(resp, method).await
    }

    async fn read(resp: reqwest::Response, method: &str) -> Result<Value> {
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        if !status.is_success() {
            bail!(
                "Slack {method} answered {status}: {}",
                crate::http::excerpt(&text)
            );
        }
        let answer: Value = serde_json::from_str(&text)
            .map_err(|e| anyhow!("Slack {method} answered something that is not JSON: {e}"))?;
        if answer.get("ok").and_then(Value::as_bool) != Some(true) {
            let error = answer
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("unknown_error");
            bail!("Slack {method} failed: {error}{}", hint(error));
        }
        Ok(answer)
    }

    /// Posts a message (a reply when `thread_ts` is given); returns the answer's channel
    /// id and ts.
    async fn post(&self, message: &Value, thread_ts: Option<&str>) -> Result<(String, String)> {
        let mut body = message.clone();
        body["channel"] = json!(self.channel);
        if let Some(ts) = thread_ts {
            body["thread_ts"] = json!(ts);
        }
        let answer = self.call("chat.postMessage", &body).await?;
        let ts = answer
            .get("ts")
            .and_then(Value::as_str)
            .ok_or_else(|| anyhow!("Slack chat.postMessage answered without a ts"))?;
        let channel = answer
            .get("channel")
            .and_then(Value::as_str)
            .unwrap_or(&self.channel);
        Ok((channel.to_string(), ts.to_string()))
    }

    async fn update(&self, ts: &str, message: &Value) -> Result<()> {
        let mut body = message.clone();
        body["channel"] = json!(self.channel);
        body["ts"] = json!(ts);
        self.call("chat.update", &body).await.map(drop)
    }

    /// The ts numbers of the thread parents for `key` in the channel's recent history.
    async fn parents(&self, key: &str) -> Result<Vec<u64>> {
        let base = format!("{}/conversations.history", self.api.trim_end_matches('/'));
        let mut cursor: Option<String> = None;
        let mut found = Vec::new();
        for _ in 0..HISTORY_PAGES {
            let mut url = reqwest::Url::parse(&base).context("invalid Slack API URL")?;
            url.query_pairs_mut()
                .append_pair("channel", &self.channel)
                .append_pair("limit", "200")
                .append_pair("include_all_metadata", "true");
            if let Some(c) = &cursor {
                url.query_pairs_mut().append_pair("cursor", c);
            }
            let resp = http::send(&self.policy, || {
                self.client.get(url.clone()).bearer_auth(&self.token)
            })
            .await
            .context("calling Slack conversations.history")?;
            let page = Self::read(resp, "conversations.history").await?;
            for m in page
                .get("messages")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let meta = m.get("metadata");
                let ours = meta
                    .and_then(|x| x.get("event_type"))
                    .and_then(Value::as_str)
                    == Some(EVENT_TYPE)
                    && meta
                        .and_then(|x| x.pointer("/event_payload/thread_key"))
                        .and_then(Value::as_str)
                        == Some(key);
                if let Some(ts) = m.get("ts").and_then(Value::as_str).filter(|_| ours) {
                    found.extend(ts_number(ts));
                }
            }
            cursor = page
                .pointer("/response_metadata/next_cursor")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(str::to_string);
            if cursor.is_none() {
                break;
            }
        }
        Ok(found)
    }
}

/// The channel as the sticky-comment algorithm sees it: thread parents for one key.
struct Thread<'a, 'b> {
    slack: &'a Slack<'b>,
    key: &'a str,
    marker: String,
}

impl Notes for Thread<'_, '_> {
    type Body = Value;

    async fn list(&self) -> Result<Vec<(u64, String)>> {
        let parents = self.slack.parents(self.key).await?;
        Ok(parents
            .into_iter()
            .map(|ts| (ts, self.marker.clone()))
            .collect())
    }

    async fn create(&self, message: &Value) -> Result<u64> {
        let (_, ts) = self.slack.post(message, None).await?;
        ts_number(&ts).ok_or_else(|| {
            anyhow!(
                "Slack answered an unexpected ts {}",
                crate::error::quote(&ts)
            )
        })
    }

    async fn update(&self, id: u64, message: &Value) -> Result<()> {
        self.slack.update(&ts_text(id), message).await
    }

    async fn delete(&self, id: u64) -> Result<()> {
        let body = json!({"channel": self.slack.channel, "ts": ts_text(id)});
        match self.slack.call("chat.delete", &body).await {
            Err(e) if e.to_string().contains("message_not_found") => Ok(()),
            other => other.map(drop),
        }
    }
}

/// The parent message with its thread metadata.
fn with_metadata(message: &Value, key: &str) -> Value {
    let mut m = message.clone();
    m["metadata"] = json!({"event_type": EVENT_TYPE, "event_payload": {"thread_key": key}});
    m
}

/// Sends through the Web API. With a parent (from `ts` or found by `key`): updates it and
/// replies in its thread. Without: posts a new parent.
pub async fn send_api(
    slack: &Slack<'_>,
    key: Option<&str>,
    ts: Option<&str>,
    message: &Value,
    reply: &Value,
) -> Result<Sent> {
    let parent = match key {
        Some(k) => with_metadata(message, k),
        None => message.clone(),
    };
    if let Some(ts) = ts {
        slack.update(ts, &parent).await?;
        slack.post(reply, Some(ts)).await?;
        return Ok(thread_sent(
            slack,
            ts,
            "updated the thread parent and replied",
        ));
    }
    let Some(key) = key else {
        let (channel, ts) = slack.post(message, None).await?;
        return Ok(Sent::delivered(format!("posted (ts {ts})"))
            .output("slack-ts", ts)
            .output("slack-channel", channel));
    };
    let thread = Thread {
        slack,
        key,
        marker: sticky::marker(key),
    };
    let done = sticky::upsert(&thread, &thread.marker, &parent).await?;
    let ts = ts_text(done.id);
    if done.created {
        return Ok(thread_sent(slack, &ts, "posted a new thread parent"));
    }
    slack.post(reply, Some(&ts)).await?;
    let what = if done.removed.is_empty() {
        "updated the thread parent and replied".to_string()
    } else {
        format!(
            "updated the thread parent and replied (removed {} duplicate parent(s) from concurrent runs)",
            done.removed.len()
        )
    };
    Ok(thread_sent(slack, &ts, &what))
}

fn thread_sent(slack: &Slack<'_>, ts: &str, what: &str) -> Sent {
    Sent::delivered(format!("{what} (ts {ts})"))
        .output("slack-ts", ts.to_string())
        .output("slack-channel", slack.channel.clone())
}

/// Sends through an incoming webhook (a reply when the parent's `ts` is known; webhooks
/// cannot update or search).
pub async fn send_webhook(
    client: &reqwest::Client,
    policy: &RetryPolicy,
    url: &str,
    ts: Option<&str>,
    message: &Value,
) -> Result<Sent> {
    let mut body = message.clone();
    if let Some(ts) = ts {
        body["thread_ts"] = json!(ts);
    }
    let text = body.to_string();
    let resp = http::send(policy, || {
        client
            .post(url)
            .header("Content-Type", "application/json; charset=utf-8")
            .body(text.clone())
    })
    .await
    .context("calling the Slack webhook")?;
    let status = resp.status();
    let answer = resp.text().await.unwrap_or_default();
    if !status.is_success() {
        let hint = match answer.trim() {
            "invalid_blocks" | "invalid_payload" => " (the message has blocks Slack rejects)",
            "no_service" | "no_team" | "team_disabled" => {
                " (the webhook was removed; create a new one)"
            }
            "channel_not_found" | "channel_is_archived" => " (the webhook's channel is gone)",
            _ => "",
        };
        bail!(
            "the Slack webhook answered {status}: {}{hint}",
            crate::http::excerpt(&answer)
        );
    }
    Ok(Sent::delivered(match ts {
        Some(ts) => format!("replied in thread {ts} through the webhook"),
        None => "posted through the webhook".to_string(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ts_round_trips_and_sorts() {
        let n = ts_number("1700000000.000100").unwrap();
        assert_eq!(ts_text(n), "1700000000.000100");
        assert!(ts_number("1700000000.000099").unwrap() < n);
        assert!(ts_number("1700000001.0").unwrap() > n);
        assert_eq!(ts_number("nope"), None);
    }
}
