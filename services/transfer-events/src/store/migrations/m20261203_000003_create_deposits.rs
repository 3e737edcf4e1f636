//! Creates `deposits` (primary key `(feed, transfer_id)`) and its per-account index.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Deposits {
    Table,
    Feed,
    TransferId,
    AccountId,
    Direction,
    Amount,
    Currency,
    Stage,
    PlaidEventType,
    FirstEventId,
    LastEventId,
    PostedAt,
    AvailableAt,
    AchReturnCode,
    FailureDescription,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Deposits::Table)
                    .if_not_exists()
                    .col(string(Deposits::Feed))
                    .col(string(Deposits::TransferId))
                    .col(string_null(Deposits::AccountId))
                    .col(string_null(Deposits::Direction))
                    .col(string_null(Deposits::Amount))
                    .col(string_null(Deposits::Currency))
                    .col(string(Deposits::Stage))
                    .col(string(Deposits::PlaidEventType))
                    .col(big_integer(Deposits::FirstEventId))
                    .col(big_integer(Deposits::LastEventId))
                    .col(timestamp_with_time_zone_null(Deposits::PostedAt))
                    .col(timestamp_with_time_zone_null(Deposits::AvailableAt))
                    .col(string_null(Deposits::AchReturnCode))
                    .col(text_null(Deposits::FailureDescription))
                    .col(timestamp_with_time_zone(Deposits::CreatedAt))
                    .col(timestamp_with_time_zone(Deposits::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(Deposits::Feed)
                            .col(Deposits::TransferId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_deposits_account")
                    .table(Deposits::Table)
                    .col(Deposits::AccountId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Deposits::Table).to_owned())
            .await
    }
}
