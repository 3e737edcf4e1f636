//! Creates `linked_accounts`.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LinkedAccounts {
    Table,
    AccountId,
    UserId,
    ItemId,
    Flow,
    LinkedAt,
    EventId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LinkedAccounts::Table)
                    .if_not_exists()
                    .col(string(LinkedAccounts::AccountId).primary_key())
                    .col(string(LinkedAccounts::UserId))
                    .col(string(LinkedAccounts::ItemId))
                    .col(string(LinkedAccounts::Flow))
                    .col(timestamp_with_time_zone(LinkedAccounts::LinkedAt))
                    .col(string(LinkedAccounts::EventId))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LinkedAccounts::Table).to_owned())
            .await
    }
}
