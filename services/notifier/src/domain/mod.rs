//! The notifier's rules, pure and exhaustively tested: what an alert is about and where it goes
//! ([`kind`]), which alert a domain event asks for ([`route`]), what an alert may show
//! ([`facts`]), when it may go out ([`schedule`], [`plan`]), whether a person's contact data is
//! acceptable ([`contact`]), and the send state machine ([`send`]).

pub mod contact;
pub mod facts;
pub mod kind;
pub mod phone;
pub mod plan;
pub mod route;
pub mod schedule;
pub mod send;

pub use facts::{AlertFacts, Reason};
pub use kind::{AlertKind, Channel};
pub use plan::{Plan, Recipient, SuppressReason};
pub use route::{AccountChange, Flow};
pub use send::{Due, Move, Refusal, Resolution, SendEvent, SendPolicy, SendState, SendStatus};
