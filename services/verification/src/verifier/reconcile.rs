//! [`Verifier::apply`]: the one path every status change takes.
//!
//! 0. Take this replica's lock on the Item and skip a webhook already processed (same stream
//!    message, or the same body within the dedupe window: see the `inbox` module).
//! 1. Read the target accounts and run the state machine on each (outside any transaction).
//! 2. If a decision asks for numbers, call `/auth/get` for those accounts (rate-limited: a
//!    webhook whose budget is spent fails at once with [`VerifierError::RateLimited`]).
//! 3. In one transaction: lock the Item row (a no-op write: a row lock on PostgreSQL, the write
//!    lock on SQLite, so changes to one Item are serialised across replicas), re-read each
//!    account and decide again (the state may have moved since step 1), write the new state
//!    with a version check, carry out the effects (numbers, purge, lock, outbox event), append
//!    the history and record the webhook as processed. A duplicate that committed meanwhile is
//!    seen right after the lock (the dedupe check is repeated there), and a concurrent
//!    redelivery of the same stream message fails on the unique key and rolls back. Commit.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::Context as _;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use super::change::{Applied, ChangeRequest, Report, Target, WebhookRef};
use super::inbox::WebhookOutcome;
use super::{Verifier, VerifierError};
use crate::crash::{CrashPoint, maybe_crash};
use crate::domain::{Decision, Effect, Event, transition};
use crate::events::{self, AccountEventFacts};
use crate::store::entities::item;
use crate::store::{self, Numbers, accounts, history, items};

impl Verifier {
    /// Applies `req` (see the module docs). Errors: unknown Item/account, Plaid failures of
    /// `/auth/get`, rate limiting, [`VerifierError::Conflict`] (retry) and
    /// [`VerifierError::Duplicate`] (already processed).
    #[tracing::instrument(skip_all, fields(item_id = %req.item_id, event = ?req.event, cause = %req.cause))]
    pub async fn apply(&self, req: &ChangeRequest) -> Result<Report, VerifierError> {
        // One change per Item at a time in this replica (see `locks`); a duplicate that waited
        // here is recognised before it calls Plaid.
        let _item_guard = self.item_locks.lock(&req.item_id).await;
        if let Some(w) = &req.webhook
            && self
                .duplicate_in(&self.db, &w.dedupe_key, w.stream_sequence, w.received_at)
                .await?
                .is_some()
        {
            return Err(VerifierError::Duplicate);
        }
        let item = items::find(&self.db, &req.item_id)
            .await?
            .ok_or_else(|| VerifierError::ItemNotFound(req.item_id.clone()))?;
        let targets = self.targets(&self.db, &req.item_id, &req.target).await?;

        // Plan outside the transaction, to know whether Plaid must be called first.
        let mut need_numbers = Vec::new();
        for account in &targets {
            if transition(account.state()?, req.event).needs_numbers() {
                need_numbers.push(account.row.account_id.clone());
            }
        }
        let fetched = if need_numbers.is_empty() {
            HashMap::new()
        } else {
            let token = items::access_token(&self.secrets, &item)?
                .ok_or_else(|| VerifierError::Revoked(item.item_id.clone()))?;
            // A webhook does not wait for rate-limit budget (the consumer hands it back with the
            // wait as its redelivery delay); an API call waits a little.
            let max_wait = if req.webhook.is_some() {
                Duration::ZERO
            } else {
                self.settings.api_rate_wait
            };
            let numbers = self
                .fetch_numbers(&item.item_id, &token, &need_numbers, max_wait)
                .await?;
            if self.crash_points_apply(req) {
                maybe_crash(self.settings.crash_at, CrashPoint::AfterAuthGet);
            }
            numbers
        };

        let report = self.commit(req, &item, &fetched).await?;
        if self.crash_points_apply(req) {
            maybe_crash(self.settings.crash_at, CrashPoint::AfterCommit);
        }
        Ok(report)
    }

    /// Fault injection applies to the `AUTOMATICALLY_VERIFIED` webhook handler only.
    fn crash_points_apply(&self, req: &ChangeRequest) -> bool {
        self.settings.crash_at.is_some()
            && req.event == Event::AutomaticallyVerified
            && req.webhook.is_some()
    }

    /// The accounts of the Item that `target` names, each read once (with its numbers flag).
    async fn targets(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        item_id: &str,
        target: &Target,
    ) -> Result<Vec<accounts::AccountRecord>, VerifierError> {
        let of_item = accounts::of_item(db, item_id).await?;
        match target {
            Target::AllOfItem => Ok(of_item),
            Target::Account(id) => of_item
                .into_iter()
                .find(|a| &a.row.account_id == id)
                .map(|a| vec![a])
                .ok_or_else(|| VerifierError::AccountNotFound(id.clone())),
            Target::Accounts(ids) => Ok(of_item
                .into_iter()
                .filter(|a| ids.contains(&a.row.account_id))
                .collect()),
        }
    }

    async fn commit(
        &self,
        req: &ChangeRequest,
        item: &item::Model,
        fetched: &HashMap<String, Numbers>,
    ) -> Result<Report, VerifierError> {
        let now = store::now();
        let txn = store::begin_write(&self.db)
            .await
            .map_err(VerifierError::db)?;
        lock_item(&txn, &item.item_id, now).await?;
        // Checked again under the lock: an identical body from another stream message may have
        // committed since the check in `apply` (another replica).
        if let Some(w) = &req.webhook
            && self
                .duplicate_in(&txn, &w.dedupe_key, w.stream_sequence, w.received_at)
                .await?
                .is_some()
        {
            return Err(VerifierError::Duplicate);
        }

        let mut report = Report::default();
        let mut purge_token = false;
        let mut lock: Option<Option<chrono::DateTime<chrono::Utc>>> = None;
        for current in self.targets(&txn, &item.item_id, &req.target).await? {
            let id = current.row.account_id.clone();
            let before = current.state()?;
            let (next, effects) = match transition(before, req.event) {
                Decision::Ignore(reason) => {
                    report.ignored.push((id, reason));
                    continue;
                }
                Decision::Apply { state, effects } => (state, effects),
            };
            if !accounts::update_state(&txn, &current, next, req.plaid_status.as_deref(), now)
                .await?
            {
                return Err(VerifierError::Conflict);
            }
            let mut event_id = None;
            for effect in effects {
                match effect {
                    Effect::FetchNumbers => {
                        // Planned without numbers but needs them now: the state moved; retry.
                        let numbers = fetched.get(&id).ok_or(VerifierError::Conflict)?;
                        let sealed = self
                            .secrets
                            .seal_numbers(&id, numbers)
                            .map_err(anyhow::Error::new)?;
                        accounts::put_numbers(&txn, &id, &item.item_id, sealed, now).await?;
                    }
                    Effect::PurgeSecrets => {
                        accounts::delete_numbers(&txn, &id).await?;
                        purge_token = true;
                    }
                    Effect::LockItem => lock = Some(Some(now)),
                    Effect::UnlockItem => lock = Some(None),
                    Effect::Emit(kind) => {
                        let event = events::account_event(
                            &AccountEventFacts {
                                user_id: &current.row.user_id,
                                item_id: &item.item_id,
                                account_id: &id,
                                status: next.status(),
                                previous: before.status(),
                                cause: &req.cause,
                                mask: current.row.mask.as_deref(),
                                flow: current.flow()?,
                            },
                            now,
                        );
                        events::enqueue(&self.outbox, &txn, kind, &event).await?;
                        event_id = Some(event.event_id);
                    }
                }
            }
            history::append(
                &txn,
                history::Transition {
                    account_id: &id,
                    item_id: &item.item_id,
                    from: before.status(),
                    to: next.status(),
                    cause: &req.cause,
                    dedupe_key: req.webhook.as_ref().map(|w| w.dedupe_key.as_str()),
                    event_id: event_id.as_deref(),
                },
                now,
            )
            .await?;
            tracing::info!(
                account_id = %id,
                from = %before.status(),
                to = %next.status(),
                "account status changed"
            );
            report.applied.push(Applied {
                account_id: id,
                from: before.status(),
                to: next.status(),
                event_id,
            });
        }
        if purge_token {
            items::purge_token(&txn, &item.item_id, now).await?;
        }
        if let Some(locked_at) = lock {
            items::set_locked(&txn, &item.item_id, locked_at, now).await?;
        }
        if let Some(webhook) = &req.webhook {
            record_webhook(&txn, &item.item_id, webhook, &report, now).await?;
        }
        txn.commit().await.map_err(VerifierError::db)?;
        if report.applied.iter().any(|a| a.event_id.is_some()) {
            self.outbox.committed();
        }
        Ok(report)
    }
}

/// A no-op write on the Item row: serialises concurrent changes to one Item.
async fn lock_item(
    txn: &DatabaseTransaction,
    item_id: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<()> {
    item::Entity::update_many()
        .col_expr(item::Column::UpdatedAt, Expr::value(now))
        .filter(item::Column::ItemId.eq(item_id))
        .exec(txn)
        .await
        .context("locking the Item row")?;
    Ok(())
}

async fn record_webhook(
    txn: &DatabaseTransaction,
    item_id: &str,
    webhook: &WebhookRef,
    report: &Report,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), VerifierError> {
    let outcome = if report.applied.is_empty() {
        WebhookOutcome::Ignored
    } else {
        WebhookOutcome::Applied
    };
    let detail = (!report.ignored.is_empty()).then(|| {
        report
            .ignored
            .iter()
            .map(|(id, reason)| format!("{id}: {}", reason.as_str()))
            .collect::<Vec<_>>()
            .join("; ")
    });
    let entry = webhook.entry(Some(item_id), outcome, detail);
    penny_store::inbox::record(txn, entry, now)
        .await
        .map_err(|e| {
            if store::is_unique_violation(&e) {
                VerifierError::Duplicate
            } else {
                VerifierError::db(e)
            }
        })
}
