//! Creates `items`.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Items {
    Table,
    ItemId,
    UserId,
    InstitutionId,
    AccessTokenCt,
    AccessTokenKeyId,
    LockedAt,
    RevokedAt,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Items::Table)
                    .if_not_exists()
                    .col(string(Items::ItemId).primary_key())
                    .col(string(Items::UserId))
                    .col(string_null(Items::InstitutionId))
                    .col(blob_null(Items::AccessTokenCt))
                    .col(string_null(Items::AccessTokenKeyId))
                    .col(timestamp_with_time_zone_null(Items::LockedAt))
                    .col(timestamp_with_time_zone_null(Items::RevokedAt))
                    .col(timestamp_with_time_zone(Items::CreatedAt))
                    .col(timestamp_with_time_zone(Items::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_items_user_id")
                    .table(Items::Table)
                    .col(Items::UserId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Items::Table).to_owned())
            .await
    }
}
