//! The transactional outbox: write a message in the same transaction as the state change, and
//! let [`OutboxRelay`] publish it to JetStream afterwards.
//!
//! A handler that changes state and must announce it does both in one database transaction:
//! the row in its own table and an [`Outbox::enqueue`]d message. After the commit it calls
//! [`Outbox::committed`], which wakes the relay built from the same handle ([`Outbox::relay`]). The relay publishes unpublished rows in id order with the row's
//! `msg_id` as `Nats-Msg-Id`, waits for each PubAck, and marks the rows published. So a
//! message is published if and only if its transaction committed, at least once, in order.
//!
//! Several relay replicas may run against one database: both may publish a row before either
//! marks it, and JetStream's duplicate window (2 minutes by default) drops the second copy. A
//! relay stalled for longer than the window between publish and mark can produce a duplicate,
//! which consumers absorb because every handler is idempotent.
//!
//! The relay also deletes published rows once they are older than
//! [`RelaySettings::keep_published`] (a day by default), so the table does not grow forever.
//!
//! Services add [`Migration`] to their own migrator and keep the table in their own database.

mod enqueue;
mod entity;
mod handle;
mod migration;
mod purge;
mod relay;

pub use enqueue::{OutboxMessage, enqueue, enqueue_many};
pub use entity::{ActiveModel, Column, Entity, Model};
pub use handle::Outbox;
pub use migration::Migration;
pub use purge::{pending_count, purge_published};
pub use relay::{OutboxRelay, RelayError, RelaySettings};
