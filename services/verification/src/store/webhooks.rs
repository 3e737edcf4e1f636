//! The processed-webhook log: one row per handled webhook, keyed by its dedupe key.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use super::entities::processed_webhook;

/// How a webhook was handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// At least one account changed.
    Applied,
    /// Understood, but the state machine changed nothing (duplicate, stale, ...).
    Ignored,
    /// A webhook code this service does not act on.
    Unhandled,
}

impl WebhookOutcome {
    /// Column value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Ignored => "ignored",
            Self::Unhandled => "unhandled",
        }
    }
}

/// A row to record.
#[derive(Clone, Debug)]
pub struct ProcessedWebhook {
    /// Dedupe key.
    pub dedupe_key: String,
    /// Plaid `webhook_type`.
    pub webhook_type: String,
    /// Plaid `webhook_code`.
    pub webhook_code: String,
    /// Plaid `item_id`.
    pub item_id: Option<String>,
    /// Plaid `account_id`.
    pub account_id: Option<String>,
    /// Outcome.
    pub outcome: WebhookOutcome,
    /// Why (ignore reasons, unhandled code).
    pub detail: Option<String>,
    /// Stream sequence of the delivery.
    pub stream_sequence: Option<u64>,
}

/// Whether a webhook with this dedupe key was already processed.
pub async fn seen(db: &impl ConnectionTrait, dedupe_key: &str) -> anyhow::Result<bool> {
    Ok(processed_webhook::Entity::find_by_id(dedupe_key.to_owned())
        .one(db)
        .await
        .context("reading the processed-webhook log")?
        .is_some())
}

/// Records a processed webhook. Fails with a unique violation (see
/// [`super::is_unique_violation`]) when the key was recorded concurrently.
pub async fn record(
    db: &impl ConnectionTrait,
    webhook: ProcessedWebhook,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    processed_webhook::ActiveModel {
        dedupe_key: Set(webhook.dedupe_key),
        webhook_type: Set(webhook.webhook_type),
        webhook_code: Set(webhook.webhook_code),
        item_id: Set(webhook.item_id),
        account_id: Set(webhook.account_id),
        outcome: Set(webhook.outcome.as_str().to_owned()),
        detail: Set(webhook.detail),
        stream_sequence: Set(webhook.stream_sequence.and_then(|s| i64::try_from(s).ok())),
        processed_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}
