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

#![warn(missing_docs)]

pub mod crypto;
pub mod db;
pub mod inbox;
pub mod outbox;
pub mod readiness;

pub use crypto::{CryptoError, Keyring, Sealed, SecretBytes, SecretString};
pub use db::{ConnectError, DbSettings, begin_write, connect, connect_with, is_unique_violation};
pub use outbox::Outbox;
