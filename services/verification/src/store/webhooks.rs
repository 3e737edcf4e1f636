//! The processed-webhook log (one row per handled webhook) and the dedupe window.
//!
//! A webhook is a duplicate of a processed one when their bodies have the same SHA-256 and
//! either
//! - it is the same PLAID_WEBHOOKS message (same stream sequence): a redelivery, recognised
//!   however late it comes; or
//! - the two were received within the dedupe window (72 h by default; Plaid retries one
//!   webhook for up to 24 h, so its retries fall inside).
//!
//! An identical body received after the window is processed again: an `ITEM/ERROR` with
//! `ITEM_LOGIN_REQUIRED` that legitimately recurs after a `LOGIN_REPAIRED` has the same bytes.
//! The state machine still makes a true duplicate a no-op.
//!
//! Concurrent duplicates: two deliveries of one stream message collide on the unique index
//! `(dedupe_key, stream_sequence)`; two different messages with the same body are serialised
//! by the Item row lock of [`crate::verifier::Verifier::apply`]'s transaction, inside which
//! the window is checked again before anything is written.

use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QueryOrder,
    Set,
};

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
    /// When it was received.
    pub received_at: DateTime<Utc>,
}

/// What the dedupe check looks for.
#[derive(Clone, Copy, Debug)]
pub struct Lookup<'a> {
    /// The SHA-256 of the body (hex).
    pub dedupe_key: &'a str,
    /// The stream sequence of this delivery (`None` for a direct call).
    pub stream_sequence: Option<u64>,
    /// When this delivery's webhook was received.
    pub received_at: DateTime<Utc>,
    /// The dedupe window (zero: only redeliveries of the same stream message are duplicates).
    pub window: Duration,
}

/// The processed webhook of which `lookup` is a duplicate, if any (see the module docs).
pub async fn find_duplicate(
    db: &impl ConnectionTrait,
    lookup: &Lookup<'_>,
) -> anyhow::Result<Option<processed_webhook::Model>> {
    use processed_webhook::Column;
    let window = TimeDelta::from_std(lookup.window).unwrap_or(TimeDelta::MAX);
    let from = lookup
        .received_at
        .checked_sub_signed(window)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let to = lookup
        .received_at
        .checked_add_signed(window)
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    let mut same = Condition::any();
    if !lookup.window.is_zero() {
        same = same.add(Column::ReceivedAt.between(from, to));
    }
    if let Some(seq) = lookup.stream_sequence.and_then(|s| i64::try_from(s).ok()) {
        same = same.add(Column::StreamSequence.eq(seq));
    }
    if same.is_empty() {
        return Ok(None);
    }
    processed_webhook::Entity::find()
        .filter(Column::DedupeKey.eq(lookup.dedupe_key))
        .filter(same)
        .order_by_desc(Column::ReceivedAt)
        .one(db)
        .await
        .context("reading the processed-webhook log")
}

/// Records a processed webhook. Fails with a unique violation (see
/// [`super::is_unique_violation`]) when the same stream message was recorded concurrently.
pub async fn record(
    db: &impl ConnectionTrait,
    webhook: ProcessedWebhook,
    now: DateTime<Utc>,
) -> Result<(), sea_orm::DbErr> {
    processed_webhook::ActiveModel {
        id: NotSet,
        dedupe_key: Set(webhook.dedupe_key),
        webhook_type: Set(webhook.webhook_type),
        webhook_code: Set(webhook.webhook_code),
        item_id: Set(webhook.item_id),
        account_id: Set(webhook.account_id),
        outcome: Set(webhook.outcome.as_str().to_owned()),
        detail: Set(webhook.detail),
        stream_sequence: Set(webhook.stream_sequence.and_then(|s| i64::try_from(s).ok())),
        received_at: Set(webhook.received_at),
        processed_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}
