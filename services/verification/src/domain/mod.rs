//! The verification domain, free of I/O: account states, the state machine that moves them, and
//! the expected verification window.

pub mod flow;
pub mod offer;
pub mod status;
pub mod transition;
pub mod window;

pub use flow::Flow;
pub use offer::LinkOffer;
pub use status::{AccountState, Status, Verification};
pub use transition::{Decision, DomainEvent, Effect, Event, IgnoreReason, transition};
pub use window::{Expectation, VerificationWindow};
