//! Micro-deposit transfers and their append-only event logs, one per Plaid product feed:
//! Bank Transfers (`/bank_transfer/event/sync`) and Transfer (`/transfer/event/sync`). Each feed
//! numbers its events from 1. A transfer lives in one feed; [`Ledger::transition`] moves it
//! along that feed's lifecycle ([`Stage::allowed`]) and appends the event.

mod lifecycle;
mod render;
pub mod shape;

use std::collections::HashMap;
use std::sync::RwLock;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use lifecycle::{Direction, Feed, Stage};
pub use render::{BankTransferPage, TransferPage};

/// `failure_reason` of a failed or returned transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureReason {
    /// ACH return code (`R01`...), only for returns.
    pub ach_return_code: Option<String>,
    /// What happened, in words.
    pub description: String,
}

/// A transfer's fixed facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferFacts {
    /// The transfer id (uuid).
    pub id: String,
    /// The receiving account.
    pub account_id: String,
    /// Credit or debit.
    pub direction: Direction,
    /// Decimal string, e.g. `"0.01"`.
    pub amount: String,
}

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Sequential within its feed, from 1.
    pub event_id: u64,
    /// Simulated time.
    pub at: DateTime<Utc>,
    /// What happened: a transfer's new stage, or a sweep.
    pub kind: EventKind,
    /// Set for failed and returned transfers.
    pub failure: Option<FailureReason>,
}

/// What an event records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    /// A transfer reached a stage.
    Transfer(TransferFacts, Stage),
    /// Funds swept from the client's Transfer balance (`sweep.posted`): no transfer, no account.
    Sweep {
        /// The sweep id.
        sweep_id: String,
        /// Signed decimal string.
        amount: String,
    },
}

/// Why a transition was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// No transfer with that id in that feed.
    #[error("transfer not found")]
    Unknown,
    /// Not a move the feed's lifecycle allows.
    #[error("cannot transition a transfer from {from:?} to {to:?}")]
    Invalid {
        /// Current stage.
        from: Stage,
        /// Requested stage.
        to: Stage,
    },
}

/// Which transfers [`Ledger::advance`] moves.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only this feed.
    pub feed: Option<Feed>,
    /// Only transfers to these accounts.
    pub account_ids: Option<Vec<String>>,
    /// Only these transfers.
    pub transfer_ids: Option<Vec<String>>,
    /// Only credits or only debits.
    pub direction: Option<Direction>,
    /// At most this many.
    pub limit: Option<usize>,
}

/// What [`Ledger::advance`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Advanced {
    /// Transfers moved (one event each).
    pub advanced: usize,
    /// Events appended to the Bank Transfers feed.
    pub bank_transfer_events: usize,
    /// Events appended to the Transfer feed.
    pub transfer_events: usize,
}

#[derive(Debug)]
struct Transfer {
    feed: Feed,
    facts: TransferFacts,
    stage: Stage,
}

#[derive(Debug, Default)]
struct Inner {
    logs: [Vec<Event>; 2],
    transfers: HashMap<String, Transfer>,
    /// Transfer ids in creation order (so bulk moves are reproducible).
    order: Vec<String>,
    /// Transfer ids of each account (a verify timer asks about one account among 50,000).
    by_account: HashMap<String, Vec<String>>,
    /// Event ids start after this (`--event-id-base`).
    base: u64,
}

impl Inner {
    fn push(
        &mut self,
        feed: Feed,
        kind: EventKind,
        failure: Option<FailureReason>,
        at: DateTime<Utc>,
    ) -> u64 {
        let log = &mut self.logs[feed.index()];
        let event_id = self.base + log.len() as u64 + 1;
        log.push(Event {
            event_id,
            at,
            kind,
            failure,
        });
        event_id
    }

    fn transition(
        &mut self,
        id: &str,
        to: Stage,
        failure: Option<FailureReason>,
        at: DateTime<Utc>,
    ) -> Result<(Feed, u64), TransitionError> {
        let transfer = self.transfers.get_mut(id).ok_or(TransitionError::Unknown)?;
        let (feed, from) = (transfer.feed, transfer.stage);
        if !from.allowed(to, feed) {
            return Err(TransitionError::Invalid { from, to });
        }
        transfer.stage = to;
        let facts = transfer.facts.clone();
        let failure = failure_for(to, failure);
        Ok((
            feed,
            self.push(feed, EventKind::Transfer(facts, to), failure, at),
        ))
    }
}

/// A returned transfer always has a code (R01 by default); a failed one never has one (Plaid:
/// `ach_return_code` is present only for returns).
fn failure_for(to: Stage, given: Option<FailureReason>) -> Option<FailureReason> {
    match to {
        Stage::Returned => Some(match given {
            Some(FailureReason {
                ach_return_code: Some(code),
                description,
            }) => FailureReason {
                description: if description.is_empty() {
                    format!("ACH return {code}")
                } else {
                    description
                },
                ach_return_code: Some(code),
            },
            _ => FailureReason {
                ach_return_code: Some("R01".into()),
                description: "Insufficient funds".into(),
            },
        }),
        Stage::Failed => Some(FailureReason {
            ach_return_code: None,
            description: given
                .map(|f| f.description)
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| "The transfer failed".into()),
        }),
        _ => None,
    }
}

/// The transfers and the event logs.
#[derive(Debug, Default)]
pub struct Ledger {
    inner: RwLock<Inner>,
}

impl Ledger {
    /// An empty ledger whose event ids start at `base + 1` in each feed.
    pub fn with_event_id_base(base: u64) -> Self {
        Self {
            inner: RwLock::new(Inner {
                base,
                ..Inner::default()
            }),
        }
    }

    /// Records a new pending transfer in `feed`; returns its id.
    pub fn create(
        &self,
        feed: Feed,
        account_id: &str,
        direction: Direction,
        amount: &str,
        now: DateTime<Utc>,
    ) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        let facts = TransferFacts {
            id: id.clone(),
            account_id: account_id.to_owned(),
            direction,
            amount: amount.to_owned(),
        };
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        inner.push(
            feed,
            EventKind::Transfer(facts.clone(), Stage::Pending),
            None,
            now,
        );
        inner.transfers.insert(
            id.clone(),
            Transfer {
                feed,
                facts,
                stage: Stage::Pending,
            },
        );
        inner.order.push(id.clone());
        inner
            .by_account
            .entry(account_id.to_owned())
            .or_default()
            .push(id.clone());
        id
    }

    /// Whether a micro-deposit credit to `account_id` bounced (failed, cancelled or returned):
    /// such a deposit can never be matched, so its account is never verified automatically.
    pub fn credit_bounced(&self, account_id: &str) -> bool {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let Some(ids) = inner.by_account.get(account_id) else {
            return false;
        };
        ids.iter()
            .filter_map(|id| inner.transfers.get(id))
            .any(|t| {
                t.facts.direction == Direction::Credit
                    && matches!(t.stage, Stage::Failed | Stage::Cancelled | Stage::Returned)
            })
    }

    /// Moves transfer `id` of `feed` to `to` and records the event; returns its event id.
    pub fn transition(
        &self,
        feed: Feed,
        id: &str,
        to: Stage,
        failure: Option<FailureReason>,
        now: DateTime<Utc>,
    ) -> Result<u64, TransitionError> {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        match inner.transfers.get(id) {
            Some(t) if t.feed == feed => {}
            _ => return Err(TransitionError::Unknown),
        }
        inner
            .transition(id, to, failure, now)
            .map(|(_, event_id)| event_id)
    }

    /// Moves every selected transfer whose lifecycle allows it to `to` (the others are left
    /// alone), in creation order, one event each.
    pub fn advance(
        &self,
        selection: &Selection,
        to: Stage,
        failure: Option<&FailureReason>,
        now: DateTime<Utc>,
    ) -> Advanced {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let accounts: Option<std::collections::HashSet<&str>> = selection
            .account_ids
            .as_ref()
            .map(|ids| ids.iter().map(String::as_str).collect());
        let candidates: Vec<String> = match &selection.transfer_ids {
            Some(ids) => ids.clone(),
            None => inner.order.clone(),
        };
        let mut done = Advanced::default();
        for id in candidates {
            if selection.limit.is_some_and(|n| done.advanced >= n) {
                break;
            }
            let Some(t) = inner.transfers.get(&id) else {
                continue;
            };
            let wanted = selection.feed.is_none_or(|f| f == t.feed)
                && selection.direction.is_none_or(|d| d == t.facts.direction)
                && accounts
                    .as_ref()
                    .is_none_or(|a| a.contains(t.facts.account_id.as_str()))
                && t.stage.allowed(to, t.feed);
            if !wanted {
                continue;
            }
            if let Ok((feed, _)) = inner.transition(&id, to, failure.cloned(), now) {
                done.advanced += 1;
                match feed {
                    Feed::BankTransfer => done.bank_transfer_events += 1,
                    Feed::Transfer => done.transfer_events += 1,
                }
            }
        }
        done
    }

    /// Records a sweep in the Transfer feed; returns its event id.
    pub fn sweep(&self, amount: &str, now: DateTime<Utc>) -> u64 {
        let kind = EventKind::Sweep {
            sweep_id: uuid::Uuid::new_v4().to_string(),
            amount: amount.to_owned(),
        };
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        inner.push(Feed::Transfer, kind, None, now)
    }

    /// Runs `f` on up to `count` events of `feed` with `event_id > after_id`, and whether more
    /// follow them, under the read lock (so pages are rendered without copying the log).
    pub fn page<R>(
        &self,
        feed: Feed,
        after_id: u64,
        count: usize,
        f: impl FnOnce(&[Event], bool) -> R,
    ) -> R {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let log = &inner.logs[feed.index()];
        let start = usize::try_from(after_id.saturating_sub(inner.base))
            .unwrap_or(usize::MAX)
            .min(log.len());
        let end = start.saturating_add(count).min(log.len());
        f(&log[start..end], end < log.len())
    }

    /// `(events, transfers)` of `feed`.
    pub fn counts(&self, feed: Feed) -> (usize, usize) {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let transfers = inner.transfers.values().filter(|t| t.feed == feed).count();
        (inner.logs[feed.index()].len(), transfers)
    }
}

#[cfg(test)]
mod tests;
