//! The service's tables as sea-orm entities.

pub mod ach_event;
pub mod deposit;
pub mod linked_account;
pub mod poke_traces;
pub mod sync_feed;
pub mod sync_run;
