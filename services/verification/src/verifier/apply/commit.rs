//! Step 3 of a round: one transaction for every change of it. Under the Item row locks, the
//! dedupe is checked again and every target re-read and decided again; then all the writes of
//! the round go out as set statements (see [`Writes`]).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use penny_store::inbox::{self, InboxEntry};
use penny_store::outbox::OutboxMessage;
use tracing::Instrument as _;

use super::super::change::{Applied, ChangeRequest, Report};
use super::super::inbox::WebhookOutcome;
use super::super::{Verifier, VerifierError};
use super::Result;
use super::plan::{by_item, targets};
use crate::domain::{Decision, Effect, transition};
use crate::events::{self, AccountEventFacts};
use crate::store::{self, Numbers, SealedNumbers, accounts, history, items};

/// Every write of a round, gathered change by change and sent at once.
#[derive(Default)]
struct Writes<'a> {
    states: Vec<accounts::StateChange<'a>>,
    numbers: Vec<(String, String, SealedNumbers)>,
    purged_numbers: Vec<String>,
    purged_tokens: Vec<String>,
    locks: Vec<(String, Option<DateTime<Utc>>)>,
    events: Vec<OutboxMessage>,
    history: Vec<history::Transition<'a>>,
    inbox: Vec<InboxEntry>,
}

impl Verifier {
    /// Commits the changes `ready` of `reqs` (planned in `plans`, with `fetched` numbers) in
    /// one transaction; the outcome of each.
    pub(super) async fn commit(
        &self,
        reqs: &[ChangeRequest],
        ready: &[usize],
        fetched: &HashMap<usize, HashMap<String, Numbers>>,
    ) -> Vec<(usize, Result)> {
        if ready.is_empty() {
            return Vec::new();
        }
        match self.commit_round(reqs, ready, fetched).await {
            Ok(outcomes) => outcomes,
            Err(e) => {
                // A unique violation is a concurrent record of one of these webhooks: alone, it
                // is that duplicate; in a batch, each one is retried and recognised then.
                let e = match e {
                    VerifierError::Internal(inner) if is_unique_violation(&inner) => {
                        if ready.len() == 1 {
                            VerifierError::Duplicate
                        } else {
                            VerifierError::Conflict
                        }
                    }
                    other => other,
                };
                ready.iter().map(|&i| (i, Err(e.clone_kind()))).collect()
            }
        }
    }

    /// The round's transaction, in a `verification.commit` span linked to every change's span
    /// (one commit serves many webhooks: links, not a parent), and a `verification.db_commit`
    /// child of each change's span covering the same transaction.
    async fn commit_round(
        &self,
        reqs: &[ChangeRequest],
        ready: &[usize],
        fetched: &HashMap<usize, HashMap<String, Numbers>>,
    ) -> std::result::Result<Vec<(usize, Result)>, VerifierError> {
        let span = tracing::info_span!(parent: None, "verification.commit", changes = ready.len());
        // Each webhook's own trace holds its commit too: a child span per change, as long as
        // the shared transaction, linked to it.
        let mine: Vec<tracing::Span> = ready
            .iter()
            .map(|&i| {
                let change = tracing::info_span!(parent: &reqs[i].span, "verification.db_commit");
                penny_telemetry::add_link(&span, &reqs[i].span);
                penny_telemetry::add_link(&change, &span);
                change
            })
            .collect();
        let committed = self.commit_in(reqs, ready, fetched).instrument(span).await;
        drop(mine);
        committed
    }

    async fn commit_in(
        &self,
        reqs: &[ChangeRequest],
        ready: &[usize],
        fetched: &HashMap<usize, HashMap<String, Numbers>>,
    ) -> std::result::Result<Vec<(usize, Result)>, VerifierError> {
        let now = store::now();
        let mut item_ids: Vec<&str> = ready.iter().map(|&i| reqs[i].item_id.as_str()).collect();
        item_ids.sort_unstable();
        let txn = store::begin_write(&self.db)
            .await
            .map_err(VerifierError::db)?;
        items::lock_rows(&txn, &item_ids).await?;
        let duplicate = self.duplicates(&txn, reqs, ready).await?;
        let current = by_item(accounts::of_items(&txn, &item_ids).await?);

        let mut outcomes: Vec<(usize, Result)> = Vec::with_capacity(ready.len());
        let mut writes = Writes::default();
        for (&i, dup) in ready.iter().zip(duplicate) {
            if dup {
                outcomes.push((i, Err(VerifierError::Duplicate)));
                continue;
            }
            let req = &reqs[i];
            let numbers = fetched.get(&i);
            let mut mine = Writes::default();
            match self.decide(req, numbers, &current, &mut mine, now) {
                Ok(report) => {
                    writes.absorb(mine);
                    outcomes.push((i, Ok(report)));
                }
                Err(e) => outcomes.push((i, Err(e))),
            }
        }
        writes.execute(&txn, &self.outbox, now).await?;
        txn.commit().await.map_err(VerifierError::db)?;
        if outcomes.iter().any(|(_, o)| {
            o.as_ref()
                .is_ok_and(|r| r.applied.iter().any(|a| a.event_id.is_some()))
        }) {
            self.outbox.committed();
        }
        Ok(outcomes)
    }

    /// Decides one change against the accounts read in the transaction and gathers its writes
    /// into `w`; an error fails this change only (its writes are dropped).
    fn decide<'a>(
        &self,
        req: &'a ChangeRequest,
        fetched: Option<&HashMap<String, Numbers>>,
        current: &'a HashMap<String, Vec<accounts::AccountRecord>>,
        w: &mut Writes<'a>,
        now: DateTime<Utc>,
    ) -> std::result::Result<Report, VerifierError> {
        let item_id = req.item_id.as_str();
        let mut report = Report::default();
        for account in targets(current, item_id, &req.target)? {
            let id = account.row.account_id.clone();
            let before = account.state()?;
            let (next, effects) = match transition(before, req.event) {
                Decision::Ignore(reason) => {
                    report.ignored.push((id, reason));
                    continue;
                }
                Decision::Apply { state, effects } => (state, effects),
            };
            w.states.push(accounts::StateChange {
                current: account,
                next,
                plaid_status: req.plaid_status.as_deref(),
            });
            let mut event_id = None;
            for effect in effects {
                match effect {
                    Effect::FetchNumbers => {
                        // Planned without numbers but needs them now: the state moved; retry.
                        let numbers = fetched
                            .and_then(|f| f.get(&id))
                            .ok_or(VerifierError::Conflict)?;
                        let sealed = self
                            .secrets
                            .seal_numbers(&id, numbers)
                            .map_err(anyhow::Error::new)?;
                        w.numbers.push((id.clone(), item_id.to_owned(), sealed));
                    }
                    Effect::PurgeSecrets => {
                        w.purged_numbers.push(id.clone());
                        w.purged_tokens.push(item_id.to_owned());
                    }
                    Effect::PurgeNumbers => w.purged_numbers.push(id.clone()),
                    Effect::LockItem => w.locks.push((item_id.to_owned(), Some(now))),
                    Effect::UnlockItem => w.locks.push((item_id.to_owned(), None)),
                    Effect::Emit(kind) => {
                        let event = events::account_event(
                            &AccountEventFacts {
                                user_id: &account.row.user_id,
                                item_id,
                                account_id: &id,
                                status: next.status(),
                                previous: before.status(),
                                cause: &req.cause,
                                mask: account.row.mask.as_deref(),
                                flow: account.flow()?,
                            },
                            now,
                        );
                        w.events
                            .push(events::message(kind, &event).traced_by(&req.span));
                        event_id = Some(event.event_id);
                    }
                }
            }
            w.history.push(history::Transition {
                account_id: &account.row.account_id,
                item_id,
                from: before.status(),
                to: next.status(),
                cause: &req.cause,
                dedupe_key: req.webhook.as_ref().map(|w| w.dedupe_key.as_str()),
                event_id: event_id.clone(),
            });
            tracing::info!(
                parent: &req.span,
                account_id = %account.row.account_id,
                from = %before.status(),
                to = %next.status(),
                "account status changed"
            );
            report.applied.push(Applied {
                account_id: account.row.account_id.clone(),
                from: before.status(),
                to: next.status(),
                event_id,
            });
        }
        if let Some(webhook) = &req.webhook {
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
            w.inbox.push(webhook.entry(Some(item_id), outcome, detail));
        }
        Ok(report)
    }
}

impl<'a> Writes<'a> {
    /// Takes in the writes of one more change.
    fn absorb(&mut self, other: Writes<'a>) {
        self.states.extend(other.states);
        self.numbers.extend(other.numbers);
        self.purged_numbers.extend(other.purged_numbers);
        self.purged_tokens.extend(other.purged_tokens);
        self.locks.extend(other.locks);
        self.events.extend(other.events);
        self.history.extend(other.history);
        self.inbox.extend(other.inbox);
    }

    /// Sends every write through `txn`: one statement per kind of write (Item locks and purges,
    /// rare, one per Item).
    async fn execute(
        self,
        txn: &sea_orm::DatabaseTransaction,
        outbox: &penny_store::Outbox,
        now: DateTime<Utc>,
    ) -> std::result::Result<(), VerifierError> {
        if !accounts::update_states(txn, &self.states, now).await? {
            return Err(VerifierError::Conflict);
        }
        for account_id in &self.purged_numbers {
            accounts::delete_numbers(txn, account_id).await?;
        }
        accounts::put_numbers_many(txn, self.numbers, now).await?;
        let mut purged = self.purged_tokens;
        purged.sort_unstable();
        purged.dedup();
        for item_id in &purged {
            items::purge_token(txn, item_id, now).await?;
        }
        for (item_id, locked_at) in &self.locks {
            items::set_locked(txn, item_id, *locked_at, now).await?;
        }
        outbox
            .enqueue_many(txn, self.events)
            .await
            .map_err(VerifierError::db)?;
        history::append_many(txn, &self.history, now).await?;
        inbox::record_many(txn, self.inbox, now)
            .await
            .map_err(|e| VerifierError::Internal(anyhow::Error::new(e)))?;
        Ok(())
    }
}

/// Whether `e` is (caused by) a unique-key violation.
fn is_unique_violation(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|cause| cause.downcast_ref::<sea_orm::DbErr>())
        .any(store::is_unique_violation)
}
