//! penny-store: what every service needs from its database.
//!
//! - [`db`]: [`connect`] to SQLite (file and directory created on first start, WAL) or
//!   PostgreSQL, [`begin_write`], [`is_unique_violation`].
//! - [`crypto`]: [`Keyring`], AES-256-GCM encryption of secrets at rest with key rotation.
//! - [`outbox`]: the transactional outbox ([`outbox::enqueue`], [`outbox::OutboxRelay`],
//!   [`outbox::Migration`]).

pub mod crypto;
pub mod db;
pub mod outbox;

pub use crypto::{CryptoError, Keyring, Sealed, SecretBytes, SecretString};
pub use db::{ConnectError, DbSettings, begin_write, connect, connect_with, is_unique_violation};
