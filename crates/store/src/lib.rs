//! penny-store: what every service needs from its database.
//!
//! - [`db`]: [`connect`] to SQLite (file and directory created on first start, WAL) or
//!   PostgreSQL, [`begin_write`], [`is_unique_violation`].
//! - [`crypto`]: [`Keyring`], AES-256-GCM encryption of secrets at rest with key rotation.
//! - [`outbox`]: the transactional outbox ([`Outbox`]: enqueue in the caller's transaction,
//!   wake and build the relay; [`outbox::Migration`]).
//! - [`inbox`]: what a consumer already processed ([`inbox::seen`], [`inbox::record`] in the
//!   caller's transaction, [`inbox::prune`]; [`inbox::Migration`]).
//! - [`readiness`]: a database check for a service's readiness.
//! - [`ServiceDb`]: a service's database connected and migrated, named in its errors; [`now`]
//!   at the stored precision.

#![warn(missing_docs)]

pub mod crypto;
pub mod db;
pub mod inbox;
pub mod outbox;
pub mod readiness;
mod service_db;

pub use crypto::{CryptoError, Keyring, Sealed, SecretBytes, SecretString};
pub use db::{ConnectError, DbSettings, begin_write, connect, connect_with, is_unique_violation};
pub use outbox::Outbox;
pub use service_db::{ServiceDb, now};
