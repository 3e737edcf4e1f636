//! The pure rules of the service, with no I/O: which feed is synced ([`Feed`]), what a Plaid
//! event means for its deposit ([`AchEvent`], [`Stage`]), how a deposit's state moves
//! ([`deposit::step`]), what an ACH return code means for the user ([`returns::classify`]), and
//! an account's summary ([`summary::summarize`]). Everything here is tested exhaustively.

pub mod deposit;
pub mod event;
pub mod feed;
pub mod returns;
pub mod summary;

pub use deposit::{Announce, DepositState, Direction, Stage, Step};
pub use event::AchEvent;
pub use feed::Feed;
pub use returns::ReturnCategory;
