//! Creates `status_history`.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StatusHistory {
    Table,
    Id,
    AccountId,
    ItemId,
    FromStatus,
    ToStatus,
    Cause,
    DedupeKey,
    EventId,
    OccurredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StatusHistory::Table)
                    .if_not_exists()
                    .col(big_pk_auto(StatusHistory::Id))
                    .col(string(StatusHistory::AccountId))
                    .col(string(StatusHistory::ItemId))
                    .col(string(StatusHistory::FromStatus))
                    .col(string(StatusHistory::ToStatus))
                    .col(string(StatusHistory::Cause))
                    .col(string_null(StatusHistory::DedupeKey))
                    .col(string_null(StatusHistory::EventId))
                    .col(timestamp_with_time_zone(StatusHistory::OccurredAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_status_history_account_id")
                    .table(StatusHistory::Table)
                    .col(StatusHistory::AccountId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StatusHistory::Table).to_owned())
            .await
    }
}
