//! Adds the resync columns of `sync_feed`: `resync_after` (the earliest cursor a `Resync` asked
//! for, not yet taken by a sync) and `replay_at` (where the sync that took it re-reads from,
//! advanced page by page until it reaches the cursor). Both NULL when no resync waits. One
//! `ALTER` per column (SQLite adds one column per statement).

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SyncFeed {
    Table,
    ResyncAfter,
    ReplayAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [SyncFeed::ResyncAfter, SyncFeed::ReplayAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SyncFeed::Table)
                        .add_column(big_integer_null(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [SyncFeed::ResyncAfter, SyncFeed::ReplayAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(SyncFeed::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
