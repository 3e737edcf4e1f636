//! The processed-webhook log, kept in penny-store's inbox under [`INBOX_CONSUMER`]: the dedupe
//! check before and under the Item lock, and the record written with the change (or alone, for
//! a webhook this service does not act on).
//!
//! A webhook is a duplicate of a processed one when their bodies have the same SHA-256 and
//! either it is the same PLAID_WEBHOOKS message (a redelivery, recognised however late), or the
//! two were received within the dedupe window (72 h by default; Plaid retries one webhook for
//! up to 24 h). An identical body received after the window is processed again: an
//! `ITEM/ERROR` with `ITEM_LOGIN_REQUIRED` that legitimately recurs after a `LOGIN_REPAIRED`
//! has the same bytes, and the state machine still makes a true duplicate a no-op.
//!
//! Concurrent duplicates: two deliveries of one stream message collide on the inbox's unique
//! key; two messages with the same body are serialised by the Item row lock of
//! [`Verifier::apply`]'s transaction, inside which the window is checked again.

use penny_store::inbox::{self, InboxEntry, Lookup};
use sea_orm::ConnectionTrait;

use super::{Verifier, VerifierError, WebhookRef};
use crate::store;

/// The inbox consumer holding the webhook log (one per database, whatever the durable
/// consumer's name, so every replica and every consumer name sees the same log).
pub const INBOX_CONSUMER: &str = "webhooks";

/// What processing a webhook did.
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
    /// The inbox's `outcome` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::Ignored => "ignored",
            Self::Unhandled => "unhandled",
        }
    }
}

impl WebhookRef {
    /// Its inbox entry for `item_id` with `outcome`.
    pub(super) fn entry(
        &self,
        item_id: Option<&str>,
        outcome: WebhookOutcome,
        detail: Option<String>,
    ) -> InboxEntry {
        InboxEntry {
            consumer: INBOX_CONSUMER.to_owned(),
            key: self.dedupe_key.clone(),
            stream_sequence: self.stream_sequence,
            received_at: self.received_at,
            kind: format!("{}/{}", self.webhook_type, self.webhook_code),
            aggregate_id: item_id.map(str::to_owned),
            entity_id: self.account_id.clone(),
            outcome: outcome.as_str().to_owned(),
            detail,
        }
    }
}

impl Verifier {
    /// The processed webhook that a delivery with this body hash, stream sequence and receipt
    /// time duplicates, if any.
    pub async fn duplicate_of(
        &self,
        dedupe_key: &str,
        stream_sequence: Option<u64>,
        received_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<inbox::Model>, VerifierError> {
        self.duplicate_in(&self.db, dedupe_key, stream_sequence, received_at)
            .await
    }

    /// [`Verifier::duplicate_of`] through `db` (the pool, or the change's transaction).
    pub(super) async fn duplicate_in(
        &self,
        db: &impl ConnectionTrait,
        dedupe_key: &str,
        stream_sequence: Option<u64>,
        received_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<inbox::Model>, VerifierError> {
        let lookup = Lookup {
            consumer: INBOX_CONSUMER,
            key: dedupe_key,
            stream_sequence,
            received_at,
            window: self.settings.dedupe_window,
        };
        inbox::seen(db, &lookup).await.map_err(VerifierError::db)
    }

    /// For each change `which` of `reqs`: whether its webhook was already processed (one query
    /// for all of them through `db`, the pool or the round's transaction). Changes without a
    /// webhook are never duplicates.
    pub(super) async fn duplicates(
        &self,
        db: &impl ConnectionTrait,
        reqs: &[super::ChangeRequest],
        which: &[usize],
    ) -> Result<Vec<bool>, VerifierError> {
        let lookups: Vec<(usize, Lookup<'_>)> = which
            .iter()
            .enumerate()
            .filter_map(|(pos, &i)| {
                reqs[i].webhook.as_ref().map(|w| {
                    (
                        pos,
                        Lookup {
                            consumer: INBOX_CONSUMER,
                            key: &w.dedupe_key,
                            stream_sequence: w.stream_sequence,
                            received_at: w.received_at,
                            window: self.settings.dedupe_window,
                        },
                    )
                })
            })
            .collect();
        let mut out = vec![false; which.len()];
        if lookups.is_empty() {
            return Ok(out);
        }
        let only: Vec<Lookup<'_>> = lookups.iter().map(|(_, l)| *l).collect();
        let seen = inbox::seen_many(db, &only)
            .await
            .map_err(VerifierError::db)?;
        for ((pos, _), found) in lookups.iter().zip(seen) {
            out[*pos] = found.is_some();
        }
        Ok(out)
    }

    /// Records a webhook this service does not act on (so a redelivery is recognised and the
    /// log shows it arrived), unless it duplicates one already recorded
    /// ([`VerifierError::Duplicate`]). A concurrent record of the same delivery counts as done.
    pub async fn record_unhandled(
        &self,
        webhook: &WebhookRef,
        item_id: Option<&str>,
        reason: String,
    ) -> Result<(), VerifierError> {
        if self
            .duplicate_of(
                &webhook.dedupe_key,
                webhook.stream_sequence,
                webhook.received_at,
            )
            .await?
            .is_some()
        {
            return Err(VerifierError::Duplicate);
        }
        let entry = webhook.entry(item_id, WebhookOutcome::Unhandled, Some(reason));
        match inbox::record(&self.db, entry, store::now()).await {
            Ok(()) => Ok(()),
            Err(e) if store::is_unique_violation(&e) => Ok(()),
            Err(e) => Err(VerifierError::db(e)),
        }
    }
}
