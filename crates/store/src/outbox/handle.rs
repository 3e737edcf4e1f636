//! [`Outbox`]: the one handle a service's core and its relay share (the database, and the
//! wake-up that makes relaying immediate after a commit).

use std::sync::Arc;

use async_nats::jetstream;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use tokio::sync::Notify;

use super::{OutboxMessage, OutboxRelay, pending_count};

/// A service's outbox. Cheap to clone.
///
/// Writers [`Outbox::enqueue`] inside their transaction and call [`Outbox::committed`] after
/// the commit; the relay ([`Outbox::relay`]) is built from the same handle, so it wakes at
/// once.
#[derive(Clone, Debug)]
pub struct Outbox {
    db: DatabaseConnection,
    wake: Arc<Notify>,
}

impl Outbox {
    /// The outbox table in `db`.
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Writes `message` through `txn` (the caller's transaction, so it commits or rolls back
    /// with the state change) and returns its row id. See [`super::enqueue`].
    pub async fn enqueue<C: ConnectionTrait>(
        &self,
        txn: &C,
        message: OutboxMessage,
    ) -> Result<i64, DbErr> {
        super::enqueue(txn, message).await
    }

    /// Writes `messages` through `txn` in one statement (see [`super::enqueue_many`]).
    pub async fn enqueue_many<C: ConnectionTrait>(
        &self,
        txn: &C,
        messages: Vec<OutboxMessage>,
    ) -> Result<(), DbErr> {
        super::enqueue_many(txn, messages).await
    }

    /// Tells the relay that a transaction which enqueued messages has committed.
    pub fn committed(&self) {
        self.wake.notify_one();
    }

    /// Rows not yet published (a health signal and a metric: it should hover near zero).
    pub async fn backlog(&self) -> Result<u64, DbErr> {
        pending_count(&self.db).await
    }

    /// The relay of this outbox, publishing through `js`.
    pub fn relay(&self, js: jetstream::Context) -> OutboxRelay {
        OutboxRelay::new(self.clone(), js)
    }

    pub(super) fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub(super) fn woken(&self) -> &Notify {
        &self.wake
    }
}
