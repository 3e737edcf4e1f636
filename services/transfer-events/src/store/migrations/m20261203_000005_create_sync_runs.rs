//! Creates `sync_runs`.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SyncRuns {
    Table,
    Id,
    Feed,
    Token,
    Holder,
    Generation,
    StartedAt,
    FinishedAt,
    FromCursor,
    ToCursor,
    Pages,
    Events,
    Outcome,
    Error,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SyncRuns::Table)
                    .if_not_exists()
                    .col(big_pk_auto(SyncRuns::Id))
                    .col(string(SyncRuns::Feed))
                    .col(big_integer(SyncRuns::Token))
                    .col(string(SyncRuns::Holder))
                    .col(big_integer(SyncRuns::Generation))
                    .col(timestamp_with_time_zone(SyncRuns::StartedAt))
                    .col(timestamp_with_time_zone_null(SyncRuns::FinishedAt))
                    .col(big_integer(SyncRuns::FromCursor))
                    .col(big_integer(SyncRuns::ToCursor))
                    .col(big_integer(SyncRuns::Pages))
                    .col(big_integer(SyncRuns::Events))
                    .col(string(SyncRuns::Outcome))
                    .col(text_null(SyncRuns::Error))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SyncRuns::Table).to_owned())
            .await
    }
}
