//! The vocabulary of the ledger: the two feeds ([`Feed`]), which way money moves
//! ([`Direction`]), and a transfer's lifecycle in each feed ([`Stage::allowed`]).

use serde::{Deserialize, Serialize};

/// Which product's event feed a transfer's events go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Feed {
    /// Auth micro-deposit events: `/bank_transfer/event/sync`, `BANK_TRANSFERS_EVENTS_UPDATE`.
    BankTransfer,
    /// Plaid Transfer: `/transfer/event/sync`, `TRANSFER_EVENTS_UPDATE`.
    Transfer,
}

impl Feed {
    /// Its position in per-feed tables.
    pub(super) fn index(self) -> usize {
        match self {
            Feed::BankTransfer => 0,
            Feed::Transfer => 1,
        }
    }

    /// The poke webhook's `(webhook_type, webhook_code)`.
    pub fn poke(self) -> (&'static str, &'static str) {
        match self {
            Feed::BankTransfer => ("BANK_TRANSFERS", "BANK_TRANSFERS_EVENTS_UPDATE"),
            Feed::Transfer => ("TRANSFER", "TRANSFER_EVENTS_UPDATE"),
        }
    }
}

/// Which way money moves, seen from the origination account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Money to the user (the micro-deposit).
    Credit,
    /// Money from the user (the legacy same-day clawback).
    Debit,
}

impl Direction {
    /// Plaid's `bank_transfer_type` / `transfer_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Credit => "credit",
            Direction::Debit => "debit",
        }
    }
}

/// Where a transfer is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Created, not yet sent.
    Pending,
    /// Posted.
    Posted,
    /// Settled (Transfer only).
    Settled,
    /// Funds available (Transfer only).
    FundsAvailable,
    /// Failed; no money moved.
    Failed,
    /// Cancelled by the client.
    Cancelled,
    /// Returned with an ACH return code: `reversed` in Bank Transfers, `returned` in Transfer.
    Returned,
}

impl Stage {
    /// The event type this stage is recorded as in `feed`.
    pub fn event_type(self, feed: Feed) -> &'static str {
        match (self, feed) {
            (Stage::Pending, _) => "pending",
            (Stage::Posted, _) => "posted",
            (Stage::Settled, _) => "settled",
            (Stage::FundsAvailable, _) => "funds_available",
            (Stage::Failed, _) => "failed",
            (Stage::Cancelled, _) => "cancelled",
            (Stage::Returned, Feed::BankTransfer) => "reversed",
            (Stage::Returned, Feed::Transfer) => "returned",
        }
    }

    /// Whether a transfer of `feed` may move from `self` to `to`. Plaid's own
    /// `/sandbox/*/simulate` rules, plus `cancelled` from `pending` (which only the control API
    /// and `/transfer/cancel` can do).
    pub fn allowed(self, to: Stage, feed: Feed) -> bool {
        use Stage::*;
        match feed {
            Feed::BankTransfer => matches!(
                (self, to),
                (Pending, Posted | Failed | Cancelled) | (Posted, Returned)
            ),
            Feed::Transfer => matches!(
                (self, to),
                (Pending, Posted | Failed | Cancelled)
                    | (Posted, Settled | Returned)
                    | (Settled, FundsAvailable | Returned)
                    | (FundsAvailable, Returned)
            ),
        }
    }
}
