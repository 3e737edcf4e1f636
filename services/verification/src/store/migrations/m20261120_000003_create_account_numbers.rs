//! Creates `account_numbers`.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AccountNumbers {
    Table,
    AccountId,
    ItemId,
    KeyId,
    AccountCt,
    RoutingCt,
    WireRoutingCt,
    FetchedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AccountNumbers::Table)
                    .if_not_exists()
                    .col(string(AccountNumbers::AccountId).primary_key())
                    .col(string(AccountNumbers::ItemId))
                    .col(string(AccountNumbers::KeyId))
                    .col(blob(AccountNumbers::AccountCt))
                    .col(blob(AccountNumbers::RoutingCt))
                    .col(blob_null(AccountNumbers::WireRoutingCt))
                    .col(timestamp_with_time_zone(AccountNumbers::FetchedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_account_numbers_item_id")
                    .table(AccountNumbers::Table)
                    .col(AccountNumbers::ItemId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AccountNumbers::Table).to_owned())
            .await
    }
}
