//! Creates `processed_webhooks`.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ProcessedWebhooks {
    Table,
    DedupeKey,
    WebhookType,
    WebhookCode,
    ItemId,
    AccountId,
    Outcome,
    Detail,
    StreamSequence,
    ProcessedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProcessedWebhooks::Table)
                    .if_not_exists()
                    .col(string(ProcessedWebhooks::DedupeKey).primary_key())
                    .col(string(ProcessedWebhooks::WebhookType))
                    .col(string(ProcessedWebhooks::WebhookCode))
                    .col(string_null(ProcessedWebhooks::ItemId))
                    .col(string_null(ProcessedWebhooks::AccountId))
                    .col(string(ProcessedWebhooks::Outcome))
                    .col(text_null(ProcessedWebhooks::Detail))
                    .col(big_integer_null(ProcessedWebhooks::StreamSequence))
                    .col(timestamp_with_time_zone(ProcessedWebhooks::ProcessedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ProcessedWebhooks::Table).to_owned())
            .await
    }
}
