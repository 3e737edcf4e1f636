//! The `spawn_app()` harness: the testkit [`Stack`] (real NATS, the real sandbox, the real
//! ingress in-process, so the sandbox's signed webhooks travel the production path, and SQLite
//! or PostgreSQL) with the verification service on port 0 and typed gRPC clients per scope.

mod app;
pub mod binary;
pub mod events;

use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream;
use penny_proto::v1 as pb;
use penny_testkit::{DeliveryOutcome, poll_until};

pub use app::{Linked, TestApp, app_config, spawn_app, spawn_on, start_stack};
pub use penny_testkit::{DbKind, Stack, TestDb, for_each_db};

/// Bearer tokens the test apps accept, one per scope plus one with all.
pub const LINK_TOKEN: &str = "test-link-token-0123456789";
pub const STATUS_TOKEN: &str = "test-status-token-0123456789";
pub const NUMBERS_TOKEN: &str = "test-numbers-token-0123456789";
pub const ALL_TOKEN: &str = "test-all-token-0123456789";

/// The `PENNY_VERIFICATION_API_TOKENS` value for the tokens above.
pub fn api_tokens() -> String {
    format!(
        "link:{LINK_TOKEN}:link,status:{STATUS_TOKEN}:status,numbers:{NUMBERS_TOKEN}:numbers,all:{ALL_TOKEN}:link+status+numbers"
    )
}

/// Waits until at least `n` events `penny.event.account.<what>` exist for the account.
pub async fn poll_events(
    js: &jetstream::Context,
    account_id: &str,
    what: &str,
    n: usize,
) -> anyhow::Result<Vec<pb::AccountEvent>> {
    poll_until(Duration::from_secs(20), || async {
        let found = events::events_of(js, account_id, what).await.ok()?;
        (found.len() >= n).then_some(found)
    })
    .await
    .with_context(|| format!("fewer than {n} {what} events for {account_id}"))
}

/// Waits until the service's webhook consumers (the numbers one and the prompt one) have handled
/// every webhook published so far.
pub async fn wait_webhooks_handled(stack: &Stack) -> anyhow::Result<()> {
    for consumer in ["verification", "verification-prompt"] {
        stack
            .wait_consumer_drained(penny_bus::PLAID_WEBHOOKS, consumer)
            .await?;
    }
    Ok(())
}

/// The outcomes of the sandbox's delivery attempts of webhooks with this `webhook_code`,
/// oldest first.
pub async fn delivery_outcomes(stack: &Stack, code: &str) -> anyhow::Result<Vec<DeliveryOutcome>> {
    Ok(stack
        .control
        .webhook_attempts(code)
        .await?
        .into_iter()
        .map(|a| a.outcome)
        .collect())
}

/// The webhook code of a processed-webhook record (its inbox kind is `<TYPE>/<CODE>`).
pub fn webhook_code(row: &penny_store::inbox::Model) -> String {
    row.kind
        .split_once('/')
        .map_or(row.kind.as_str(), |(_, code)| code)
        .to_owned()
}

/// An ITEM webhook body as Plaid sends it: `ERROR` with `ITEM_LOGIN_REQUIRED`, or another code
/// without an error.
pub fn item_webhook(code: &str, item_id: &str) -> Vec<u8> {
    let error = (code == "ERROR").then(|| {
        serde_json::json!({
            "display_message": null,
            "error_code": "ITEM_LOGIN_REQUIRED",
            "error_message": "the login details of this item have changed",
            "error_type": "ITEM_ERROR",
            "status": 400,
        })
    });
    serde_json::to_vec_pretty(&serde_json::json!({
        "webhook_type": "ITEM",
        "webhook_code": code,
        "item_id": item_id,
        "error": error,
        "environment": "sandbox",
    }))
    .unwrap_or_default()
}

/// An AUTH webhook body as Plaid sends it (2-space indented, like Plaid's).
pub fn auth_webhook(code: &str, item_id: &str, account_id: &str) -> Vec<u8> {
    serde_json::to_vec_pretty(&serde_json::json!({
        "webhook_type": "AUTH",
        "webhook_code": code,
        "item_id": item_id,
        "account_id": account_id,
        "environment": "sandbox",
        "error": null,
    }))
    .unwrap_or_default()
}
