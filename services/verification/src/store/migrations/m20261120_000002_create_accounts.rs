//! Creates `accounts`.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    AccountId,
    ItemId,
    UserId,
    Verification,
    LoginRequired,
    PlaidVerificationStatus,
    Mask,
    Name,
    Subtype,
    LinkedAt,
    StatusChangedAt,
    Version,
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
                    .col(string(Accounts::ItemId))
                    .col(string(Accounts::UserId))
                    .col(string(Accounts::Verification))
                    .col(boolean(Accounts::LoginRequired))
                    .col(string(Accounts::PlaidVerificationStatus))
                    .col(string_null(Accounts::Mask))
                    .col(string(Accounts::Name))
                    .col(string_null(Accounts::Subtype))
                    .col(timestamp_with_time_zone(Accounts::LinkedAt))
                    .col(timestamp_with_time_zone(Accounts::StatusChangedAt))
                    .col(big_integer(Accounts::Version))
                    .col(timestamp_with_time_zone(Accounts::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("idx_accounts_item_id", Accounts::ItemId),
            ("idx_accounts_user_id", Accounts::UserId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .if_not_exists()
                        .name(name)
                        .table(Accounts::Table)
                        .col(col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Accounts::Table).to_owned())
            .await
    }
}
