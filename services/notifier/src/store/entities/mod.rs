//! The notifier's sea-orm entities, one per table.

pub mod account;
pub mod alert;
pub mod contact;
pub mod preference;
pub mod waiting_event;
