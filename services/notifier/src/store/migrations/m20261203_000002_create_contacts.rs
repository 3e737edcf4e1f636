//! Creates `contacts`: a person's addresses (each sealed with the keyring: `<key id>:<base64>`,
//! bound to the row and column), channels, quiet hours and locale.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Contacts {
    Table,
    UserId,
    Email,
    Phone,
    PushUrl,
    Channels,
    QuietStart,
    QuietEnd,
    TimeZone,
    Locale,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Contacts::Table)
                    .if_not_exists()
                    .col(string(Contacts::UserId).primary_key())
                    .col(text_null(Contacts::Email))
                    .col(text_null(Contacts::Phone))
                    .col(text_null(Contacts::PushUrl))
                    .col(string(Contacts::Channels))
                    .col(integer_null(Contacts::QuietStart))
                    .col(integer_null(Contacts::QuietEnd))
                    .col(string_null(Contacts::TimeZone))
                    .col(string(Contacts::Locale))
                    .col(timestamp_with_time_zone(Contacts::CreatedAt))
                    .col(timestamp_with_time_zone(Contacts::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Contacts::Table).to_owned())
            .await
    }
}
