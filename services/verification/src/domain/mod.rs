//! The verification domain, free of I/O: account states, the state machine that moves them, the
//! expected verification window, and when the sweep asks Plaid about a pending account.

pub mod flow;
pub mod offer;
pub mod reconcile;
pub mod status;
pub mod transition;
pub mod window;

pub use flow::Flow;
pub use offer::LinkOffer;
pub use reconcile::{FirstCheck, ReconcileSchedule};
pub use status::{AccountState, Status, Verification};
pub use transition::{Decision, DomainEvent, Effect, Event, IgnoreReason, transition};
pub use window::{Expectation, VerificationWindow};
