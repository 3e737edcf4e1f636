//! The burst: one `AUTH / AUTOMATICALLY_VERIFIED` webhook per account, published straight to
//! `PLAID_WEBHOOKS` with `penny_bus::publish_durable` as ingress publishes them (same subject,
//! headers and `Nats-Msg-Id`), many PubAcks outstanding at once. The time each one was sent is
//! kept per account, for the publish-to-commit latency.

use std::collections::HashMap;
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream;
use bytes::Bytes;
use chrono::{SecondsFormat, Utc};
use futures::{StreamExt as _, TryStreamExt as _};
use sha2::{Digest as _, Sha256};

use crate::fixture::Account;

/// Publishes awaiting their PubAck at once.
const IN_FLIGHT: usize = 256;
const ACK_TIMEOUT: Duration = Duration::from_secs(10);
pub const CODE: &str = "AUTOMATICALLY_VERIFIED";

/// The webhook body, as Plaid writes it (2-space indented JSON).
pub fn body(account: &Account) -> Bytes {
    let value = serde_json::json!({
        "webhook_type": "AUTH",
        "webhook_code": CODE,
        "item_id": account.item_id,
        "account_id": account.account_id,
        "environment": "sandbox",
        "error": null,
    });
    Bytes::from(serde_json::to_vec_pretty(&value).unwrap_or_default())
}

/// Publishes one webhook per account; returns when each was sent (µs since the epoch, by
/// account id). Each stream starts empty, so every message is new.
pub async fn publish(
    js: &jetstream::Context,
    accounts: &[Account],
) -> anyhow::Result<HashMap<String, i64>> {
    let subject = penny_bus::webhook_subject("AUTH", CODE);
    let bodies: Vec<(String, Bytes)> = accounts
        .iter()
        .map(|a| (a.account_id.clone(), body(a)))
        .collect();
    futures::stream::iter(bodies)
        .map(|(account_id, body)| {
            let subject = subject.clone();
            async move {
                let msg_id = hex::encode(Sha256::digest(&body));
                let now = Utc::now();
                let mut headers = HeaderMap::new();
                headers.insert(penny_bus::HDR_WEBHOOK_TYPE, "AUTH");
                headers.insert(penny_bus::HDR_WEBHOOK_CODE, CODE);
                headers.insert(
                    penny_bus::HDR_RECEIVED_AT,
                    now.to_rfc3339_opts(SecondsFormat::Micros, true),
                );
                let outcome = penny_bus::publish_durable(
                    js,
                    &subject,
                    headers,
                    body,
                    Some(&msg_id),
                    ACK_TIMEOUT,
                )
                .await?;
                anyhow::ensure!(
                    !outcome.duplicate,
                    "the stream dropped a webhook as a duplicate"
                );
                Ok((account_id, now.timestamp_micros()))
            }
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect()
        .await
}
