//! sea-orm entities of the tables this service owns (the outbox table is penny-store's).

pub mod account;
pub mod account_numbers;
pub mod item;
pub mod link_event;
pub mod link_session;
pub mod link_session_account;
pub mod status_history;
pub mod token_exchange;
