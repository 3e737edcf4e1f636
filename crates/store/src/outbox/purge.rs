//! Keeping the outbox small: published rows are only needed until no relay could publish them
//! again within the stream's duplicate window, so the relay deletes them after
//! [`RelaySettings::keep_published`](super::RelaySettings::keep_published). Unpublished rows are
//! never deleted.

use std::time::Duration;

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter};
use tokio::time::Instant;

use super::entity::{Column, Entity};

/// Deletes rows published more than `older_than` ago; returns how many. The running relay
/// calls it every `purge_interval`; keep `older_than` well over the stream's duplicate window.
pub async fn purge_published<C: ConnectionTrait>(
    db: &C,
    older_than: Duration,
) -> Result<u64, DbErr> {
    let age = chrono::Duration::from_std(older_than)
        .map_err(|err| DbErr::Custom(format!("purge age out of range: {err}")))?;
    let cutoff = Utc::now() - age;
    let result = Entity::delete_many()
        .filter(Column::PublishedAt.is_not_null())
        .filter(Column::PublishedAt.lt(cutoff))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

/// Number of rows not yet published (a health signal: it should hover near zero).
pub async fn pending_count<C: ConnectionTrait>(db: &C) -> Result<u64, DbErr> {
    Entity::find()
        .filter(Column::PublishedAt.is_null())
        .count(db)
        .await
}

/// When the relay next purges, and with what age.
pub(super) struct PurgeSchedule {
    keep: Duration,
    every: Duration,
    next: Instant,
}

impl PurgeSchedule {
    /// Purges rows older than `keep` every `every`, the first time right away.
    pub(super) fn new(keep: Duration, every: Duration) -> Self {
        Self {
            keep,
            every,
            next: Instant::now(),
        }
    }

    /// Purges when due. A failure is logged and tried again at the next interval: nothing
    /// depends on it but the size of the table.
    pub(super) async fn run_if_due<C: ConnectionTrait>(&mut self, db: &C) {
        let now = Instant::now();
        if now < self.next {
            return;
        }
        self.next = now + self.every;
        match purge_published(db, self.keep).await {
            Ok(0) => {}
            Ok(purged) => tracing::info!(purged, "deleted old published outbox rows"),
            Err(error) => tracing::warn!(%error, "could not delete old published outbox rows"),
        }
    }
}
