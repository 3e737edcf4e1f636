//! Micro-deposit bank transfers and their append-only event log (`/bank_transfer/event/sync`).

use std::collections::HashMap;
use std::sync::RwLock;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::clock::rfc3339;

/// `BankTransferEvent.event_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventType {
    /// Recorded, not yet sent.
    Pending,
    /// Cancelled by the client.
    Cancelled,
    /// Failed, no money moved.
    Failed,
    /// Posted.
    Posted,
    /// Returned by the receiving bank (with an ACH return code).
    Reversed,
}

/// `BankTransferEvent.failure_reason`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureReason {
    /// ACH return code (`R01`...), only for `reversed`.
    pub ach_return_code: Option<String>,
    pub description: String,
}

/// One event: the 11 fields of Plaid's `BankTransferEvent` plus `receiver_details`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BankTransferEvent {
    /// Sequential id starting at 1.
    pub event_id: u64,
    /// `2006-01-02T15:04:05Z` (simulated time).
    pub timestamp: String,
    pub event_type: EventType,
    /// Account receiving the deposit.
    pub account_id: String,
    /// Transfer id (uuid).
    pub bank_transfer_id: String,
    /// Always null for micro-deposits.
    pub origination_account_id: Option<String>,
    /// `credit`: money to the user.
    pub bank_transfer_type: &'static str,
    /// `"0.01"`.
    pub bank_transfer_amount: &'static str,
    /// `"USD"`.
    pub bank_transfer_iso_currency_code: &'static str,
    /// Set for failed / reversed.
    pub failure_reason: Option<FailureReason>,
    /// `outbound`.
    pub direction: Option<&'static str>,
    /// Always null here. Not in the reference's list of 11 fields, but in Plaid's docs examples
    /// and required (nullable) by the official plaid-python 46 model.
    pub receiver_details: Option<()>,
}

/// Why a simulated transition was refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// No transfer with that id.
    #[error("bank_transfer_id not found")]
    Unknown,
    /// Not pending→posted, pending→failed or posted→reversed.
    #[error("cannot transition a bank transfer from {from:?} to {to:?}")]
    Invalid {
        /// Current state.
        from: EventType,
        /// Requested state.
        to: EventType,
    },
}

#[derive(Debug, Default)]
struct Inner {
    events: Vec<BankTransferEvent>,
    transfers: HashMap<String, (String, EventType)>,
}

/// The transfers and the event log.
#[derive(Debug, Default)]
pub struct BankTransfers {
    inner: RwLock<Inner>,
}

impl BankTransfers {
    fn push(
        inner: &mut Inner,
        account_id: &str,
        id: &str,
        ty: EventType,
        fr: Option<FailureReason>,
        now: DateTime<Utc>,
    ) {
        let event_id = inner.events.len() as u64 + 1;
        inner.events.push(BankTransferEvent {
            event_id,
            timestamp: rfc3339(now),
            event_type: ty,
            account_id: account_id.to_owned(),
            bank_transfer_id: id.to_owned(),
            origination_account_id: None,
            bank_transfer_type: "credit",
            bank_transfer_amount: "0.01",
            bank_transfer_iso_currency_code: "USD",
            failure_reason: fr,
            direction: Some("outbound"),
            receiver_details: None,
        });
    }

    /// Records a new pending $0.01 credit to `account_id`; returns its bank_transfer_id.
    pub fn record_pending(&self, account_id: &str, now: DateTime<Utc>) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        Self::push(&mut inner, account_id, &id, EventType::Pending, None, now);
        inner
            .transfers
            .insert(id.clone(), (account_id.to_owned(), EventType::Pending));
        id
    }

    /// Moves a transfer along (pending→posted|failed, posted→reversed) and records the event.
    pub fn transition(
        &self,
        bank_transfer_id: &str,
        to: EventType,
        failure_reason: Option<FailureReason>,
        now: DateTime<Utc>,
    ) -> Result<(), TransitionError> {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let (account_id, from) = inner
            .transfers
            .get(bank_transfer_id)
            .cloned()
            .ok_or(TransitionError::Unknown)?;
        let allowed = matches!(
            (from, to),
            (EventType::Pending, EventType::Posted)
                | (EventType::Pending, EventType::Failed)
                | (EventType::Posted, EventType::Reversed)
        );
        if !allowed {
            return Err(TransitionError::Invalid { from, to });
        }
        let fr = match to {
            EventType::Reversed => Some(failure_reason.unwrap_or(FailureReason {
                ach_return_code: Some("R01".into()),
                description: "Insufficient funds".into(),
            })),
            EventType::Failed => Some(FailureReason {
                // Plaid: ach_return_code is present only for reversed events.
                ach_return_code: None,
                description: failure_reason
                    .map(|f| f.description)
                    .unwrap_or_else(|| "The bank transfer failed".into()),
            }),
            _ => None,
        };
        Self::push(&mut inner, &account_id, bank_transfer_id, to, fr, now);
        inner
            .transfers
            .insert(bank_transfer_id.to_owned(), (account_id, to));
        Ok(())
    }

    /// Up to `count` events with `event_id > after_id`, in order.
    pub fn after(&self, after_id: u64, count: usize) -> Vec<BankTransferEvent> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let start = usize::try_from(after_id)
            .unwrap_or(usize::MAX)
            .min(inner.events.len());
        inner.events[start..].iter().take(count).cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle_and_sync() {
        let bt = BankTransfers::default();
        let now = Utc::now();
        let id = bt.record_pending("acc1", now);
        assert!(matches!(
            bt.transition(&id, EventType::Reversed, None, now),
            Err(TransitionError::Invalid { .. })
        ));
        bt.transition(&id, EventType::Posted, None, now)
            .expect("posted");
        let fr = FailureReason {
            ach_return_code: Some("R03".into()),
            description: "No account".into(),
        };
        bt.transition(&id, EventType::Reversed, Some(fr.clone()), now)
            .expect("reversed");
        assert!(bt.transition(&id, EventType::Posted, None, now).is_err());
        assert_eq!(
            bt.transition("nope", EventType::Posted, None, now),
            Err(TransitionError::Unknown)
        );

        let all = bt.after(0, 25);
        assert_eq!(
            all.iter().map(|e| e.event_id).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert_eq!(all[2].failure_reason, Some(fr));
        assert_eq!(bt.after(1, 1).len(), 1);
        assert_eq!(bt.after(1, 1)[0].event_id, 2);
        assert!(bt.after(3, 25).is_empty());
        assert!(bt.after(u64::MAX, 25).is_empty());
    }

    #[test]
    fn failed_has_no_return_code() {
        let bt = BankTransfers::default();
        let id = bt.record_pending("acc", Utc::now());
        let fr = FailureReason {
            ach_return_code: Some("R01".into()),
            description: "x".into(),
        };
        bt.transition(&id, EventType::Failed, Some(fr), Utc::now())
            .expect("failed");
        let ev = &bt.after(1, 1)[0];
        assert_eq!(
            ev.failure_reason
                .as_ref()
                .and_then(|f| f.ach_return_code.clone()),
            None
        );
    }
}
