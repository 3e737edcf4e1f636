//! Creates `preferences`: one row per person, kind and channel they set (absent = enabled).

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Preferences {
    Table,
    UserId,
    Kind,
    Channel,
    Enabled,
    Source,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Preferences::Table)
                    .if_not_exists()
                    .col(string(Preferences::UserId))
                    .col(string(Preferences::Kind))
                    .col(string(Preferences::Channel))
                    .col(boolean(Preferences::Enabled))
                    .col(string(Preferences::Source))
                    .col(timestamp_with_time_zone(Preferences::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(Preferences::UserId)
                            .col(Preferences::Kind)
                            .col(Preferences::Channel),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Preferences::Table).to_owned())
            .await
    }
}
