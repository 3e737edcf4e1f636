//! A micro-deposit's lifecycle: the [`Stage`] each Plaid event reports, the [`DepositState`]
//! the API and domain events show, and [`step`], which says whether an event moves a deposit
//! and whether that move is announced.
//!
//! Plaid's events arrive in `event_id` order, one feed at a time. The rules:
//! - `pending` → `posted` (Transfer: → `settled` → `funds_available`, all shown as POSTED);
//! - any live stage → `reversed` (Bank Transfers) / `returned` (Transfer), shown as REVERSED,
//!   even days after posting or settling;
//! - `pending` → `failed` or `cancelled`;
//! - REVERSED, FAILED and CANCELLED are final: a later event for the transfer is recorded in the
//!   ledger and ignored here;
//! - anything going backwards (`posted` after `settled`, `pending` after `posted`) or repeating
//!   is ignored.
//!
//! Announced (a domain event): reaching POSTED (once), REVERSED, FAILED, CANCELLED.

use std::fmt;
use std::str::FromStr;

use penny_proto::v1 as pb;

/// What a Plaid event says happened to a transfer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// Created, not yet sent.
    Pending,
    /// Posted.
    Posted,
    /// Settled (Transfer only).
    Settled,
    /// Funds available (Transfer only).
    FundsAvailable,
    /// Returned with an ACH return code (`reversed` / `returned`).
    Reversed,
    /// Failed; no money moved.
    Failed,
    /// Cancelled.
    Cancelled,
}

impl Stage {
    /// Every stage.
    pub const ALL: [Stage; 7] = [
        Stage::Pending,
        Stage::Posted,
        Stage::Settled,
        Stage::FundsAvailable,
        Stage::Reversed,
        Stage::Failed,
        Stage::Cancelled,
    ];

    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Pending => "pending",
            Stage::Posted => "posted",
            Stage::Settled => "settled",
            Stage::FundsAvailable => "funds_available",
            Stage::Reversed => "reversed",
            Stage::Failed => "failed",
            Stage::Cancelled => "cancelled",
        }
    }

    /// The state shown for it.
    pub fn state(self) -> DepositState {
        match self {
            Stage::Pending => DepositState::Pending,
            Stage::Posted | Stage::Settled | Stage::FundsAvailable => DepositState::Posted,
            Stage::Reversed => DepositState::Reversed,
            Stage::Failed => DepositState::Failed,
            Stage::Cancelled => DepositState::Cancelled,
        }
    }

    /// How far along a live deposit is (final stages have none).
    fn progress(self) -> Option<u8> {
        match self {
            Stage::Pending => Some(0),
            Stage::Posted => Some(1),
            Stage::Settled => Some(2),
            Stage::FundsAvailable => Some(3),
            Stage::Reversed | Stage::Failed | Stage::Cancelled => None,
        }
    }
}

impl FromStr for Stage {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Stage::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown stage {s:?}"))
    }
}

/// A deposit's state as the API and domain events show it (`penny.v1.DepositState`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DepositState {
    /// Not yet posted.
    Pending,
    /// Posted (or later: settled, funds available).
    Posted,
    /// Returned by the receiving bank.
    Reversed,
    /// Failed.
    Failed,
    /// Cancelled.
    Cancelled,
}

impl DepositState {
    /// The protobuf enum.
    pub fn to_proto(self) -> pb::DepositState {
        match self {
            DepositState::Pending => pb::DepositState::Pending,
            DepositState::Posted => pb::DepositState::Posted,
            DepositState::Reversed => pb::DepositState::Reversed,
            DepositState::Failed => pb::DepositState::Failed,
            DepositState::Cancelled => pb::DepositState::Cancelled,
        }
    }

    /// The subject suffix of its domain event (`penny.event.deposit.<what>`), when announced.
    pub fn subject_suffix(self) -> &'static str {
        match self {
            DepositState::Pending => "pending",
            DepositState::Posted => "posted",
            DepositState::Reversed => "reversed",
            DepositState::Failed => "failed",
            DepositState::Cancelled => "cancelled",
        }
    }
}

/// Which way the money moves (`penny.v1.DepositDirection`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Into the user's account.
    Credit,
    /// Out of it (the legacy clawback).
    Debit,
}

impl Direction {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Credit => "credit",
            Direction::Debit => "debit",
        }
    }

    /// The protobuf enum.
    pub fn to_proto(self) -> pb::DepositDirection {
        match self {
            Direction::Credit => pb::DepositDirection::Credit,
            Direction::Debit => pb::DepositDirection::Debit,
        }
    }
}

impl FromStr for Direction {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "credit" => Ok(Direction::Credit),
            "debit" => Ok(Direction::Debit),
            other => Err(format!("unknown direction {other:?}")),
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A domain event to publish for a move: the state reached.
pub type Announce = DepositState;

/// What an event does to its deposit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// The deposit moves to this stage; `announce` names the domain event, if any.
    Move {
        /// The new stage.
        stage: Stage,
        /// The state announced, when the move is worth a domain event.
        announce: Option<Announce>,
    },
    /// The event is recorded in the ledger but changes nothing (a repeat, a step back, or after a
    /// final state).
    Ignore,
}

/// What an event reporting `incoming` does to a deposit at `current` (`None`: the first event
/// seen for the transfer).
pub fn step(current: Option<Stage>, incoming: Stage) -> Step {
    let announce = |stage: Stage| match stage.state() {
        DepositState::Pending => None,
        state => Some(state),
    };
    match current {
        None => Step::Move {
            stage: incoming,
            announce: announce(incoming),
        },
        Some(now) => match (now.progress(), incoming.progress()) {
            // Final: nothing moves it.
            (None, _) => Step::Ignore,
            // Live → further along (a repeat or a step back is ignored); POSTED is
            // announced once, on entering it.
            (Some(from), Some(to)) if to > from => Step::Move {
                stage: incoming,
                announce: (from == 0).then_some(DepositState::Posted),
            },
            (Some(_), Some(_)) => Step::Ignore,
            // Live → returned: always (late returns included).
            (Some(_), None) if incoming == Stage::Reversed => Step::Move {
                stage: incoming,
                announce: Some(DepositState::Reversed),
            },
            // Failed or cancelled only before posting.
            (Some(0), None) => Step::Move {
                stage: incoming,
                announce: announce(incoming),
            },
            (Some(_), None) => Step::Ignore,
        },
    }
}

#[cfg(test)]
#[path = "deposit_tests.rs"]
mod tests;
