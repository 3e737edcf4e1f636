//! Creates `accounts`: the notifier's projection of account events (account → user, flow,
//! mask), so deposit events, which carry only the account, find their person.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    AccountId,
    UserId,
    ItemId,
    Mask,
    Flow,
    LastChange,
    LastEventAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Accounts::Table)
                    .if_not_exists()
                    .col(string(Accounts::AccountId).primary_key())
                    .col(string(Accounts::UserId))
                    .col(string(Accounts::ItemId))
                    .col(string_null(Accounts::Mask))
                    .col(string(Accounts::Flow))
                    .col(string(Accounts::LastChange))
                    .col(timestamp_with_time_zone(Accounts::LastEventAt))
                    .col(timestamp_with_time_zone(Accounts::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_accounts_user_id")
                    .table(Accounts::Table)
                    .col(Accounts::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Accounts::Table).to_owned())
            .await
    }
}
