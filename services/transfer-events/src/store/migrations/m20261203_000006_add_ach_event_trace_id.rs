//! Adds `ach_events.trace_id`: the trace id (32 lowercase hex digits) of the sync that recorded
//! the event, so an account's timeline leads to that sync's trace. Nullable: events recorded
//! before it existed (or with no trace) have none.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AchEvents {
    Table,
    TraceId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AchEvents::Table)
                    .add_column(string_len_null(AchEvents::TraceId, 32))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(AchEvents::Table)
                    .drop_column(AchEvents::TraceId)
                    .to_owned(),
            )
            .await
    }
}
