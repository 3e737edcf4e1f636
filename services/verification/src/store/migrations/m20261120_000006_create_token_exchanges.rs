//! Creates `token_exchanges`.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TokenExchanges {
    Table,
    PublicTokenSha256,
    UserId,
    ItemId,
    AccessTokenCt,
    AccessTokenKeyId,
    ClaimedAt,
    CompletedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TokenExchanges::Table)
                    .if_not_exists()
                    .col(string(TokenExchanges::PublicTokenSha256).primary_key())
                    .col(string(TokenExchanges::UserId))
                    .col(string_null(TokenExchanges::ItemId))
                    .col(blob_null(TokenExchanges::AccessTokenCt))
                    .col(string_null(TokenExchanges::AccessTokenKeyId))
                    .col(timestamp_with_time_zone(TokenExchanges::ClaimedAt))
                    .col(timestamp_with_time_zone_null(TokenExchanges::CompletedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(TokenExchanges::Table).to_owned())
            .await
    }
}
