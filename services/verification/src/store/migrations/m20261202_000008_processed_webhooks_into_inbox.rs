//! Moves the processed-webhook log into penny-store's inbox (the one record of "already
//! processed" every consumer service keeps), then drops `processed_webhooks`.
//!
//! Each row keeps its key (the body hash), stream sequence, receipt and processing times,
//! outcome and detail; `<webhook_type>/<webhook_code>` becomes the entry's kind, the Item its
//! aggregate and the account its entity, under the inbox consumer `webhooks`. Down moves them
//! back.

use sea_orm::{ConnectionTrait, Statement};
use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The inbox consumer the webhook log moves to (see `crate::verifier::INBOX_CONSUMER`).
const CONSUMER: &str = "webhooks";

#[derive(DeriveIden, Clone, Copy)]
enum ProcessedWebhooks {
    Table,
    Id,
    DedupeKey,
    WebhookType,
    WebhookCode,
    ItemId,
    AccountId,
    Outcome,
    Detail,
    StreamSequence,
    ReceivedAt,
    ProcessedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "INSERT INTO inbox (consumer, key, stream_sequence, received_at, processed_at, kind, \
             aggregate_id, entity_id, outcome, detail) \
             SELECT '{CONSUMER}', dedupe_key, stream_sequence, received_at, processed_at, \
             webhook_type || '/' || webhook_code, item_id, account_id, outcome, detail \
             FROM processed_webhooks ORDER BY id"
        ))
        .await?;
        manager
            .drop_table(Table::drop().table(ProcessedWebhooks::Table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProcessedWebhooks::Table)
                    .col(big_pk_auto(ProcessedWebhooks::Id))
                    .col(string(ProcessedWebhooks::DedupeKey))
                    .col(string(ProcessedWebhooks::WebhookType))
                    .col(string(ProcessedWebhooks::WebhookCode))
                    .col(string_null(ProcessedWebhooks::ItemId))
                    .col(string_null(ProcessedWebhooks::AccountId))
                    .col(string(ProcessedWebhooks::Outcome))
                    .col(text_null(ProcessedWebhooks::Detail))
                    .col(big_integer_null(ProcessedWebhooks::StreamSequence))
                    .col(timestamp_with_time_zone(ProcessedWebhooks::ReceivedAt))
                    .col(timestamp_with_time_zone(ProcessedWebhooks::ProcessedAt))
                    .to_owned(),
            )
            .await?;
        for (name, columns, unique) in [
            (
                "ux_processed_webhooks_key_seq",
                [
                    ProcessedWebhooks::DedupeKey,
                    ProcessedWebhooks::StreamSequence,
                ],
                true,
            ),
            (
                "ix_processed_webhooks_key_received",
                [ProcessedWebhooks::DedupeKey, ProcessedWebhooks::ReceivedAt],
                false,
            ),
        ] {
            let mut index = Index::create();
            index
                .name(name)
                .table(ProcessedWebhooks::Table)
                .col(columns[0])
                .col(columns[1]);
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        // Row by row through the application: splitting the kind back into type and code has no
        // portable SQL.
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT key, stream_sequence, received_at, processed_at, kind, aggregate_id, \
                     entity_id, outcome, detail FROM inbox WHERE consumer = '{CONSUMER}' ORDER BY id"
                ),
            ))
            .await?;
        for row in rows {
            let kind: String = row.try_get("", "kind")?;
            let (webhook_type, webhook_code) = kind.split_once('/').unwrap_or((&kind, ""));
            let insert = Query::insert()
                .into_table(ProcessedWebhooks::Table)
                .columns([
                    ProcessedWebhooks::DedupeKey,
                    ProcessedWebhooks::WebhookType,
                    ProcessedWebhooks::WebhookCode,
                    ProcessedWebhooks::ItemId,
                    ProcessedWebhooks::AccountId,
                    ProcessedWebhooks::Outcome,
                    ProcessedWebhooks::Detail,
                    ProcessedWebhooks::StreamSequence,
                    ProcessedWebhooks::ReceivedAt,
                    ProcessedWebhooks::ProcessedAt,
                ])
                .values([
                    row.try_get::<String>("", "key")?.into(),
                    webhook_type.into(),
                    webhook_code.into(),
                    row.try_get::<Option<String>>("", "aggregate_id")?.into(),
                    row.try_get::<Option<String>>("", "entity_id")?.into(),
                    row.try_get::<String>("", "outcome")?.into(),
                    row.try_get::<Option<String>>("", "detail")?.into(),
                    row.try_get::<Option<i64>>("", "stream_sequence")?.into(),
                    row.try_get::<chrono::DateTime<chrono::Utc>>("", "received_at")?
                        .into(),
                    row.try_get::<chrono::DateTime<chrono::Utc>>("", "processed_at")?
                        .into(),
                ])
                .map_err(|e| DbErr::Migration(e.to_string()))?
                .to_owned();
            manager.exec_stmt(insert).await?;
        }
        db.execute_unprepared(&format!("DELETE FROM inbox WHERE consumer = '{CONSUMER}'"))
            .await?;
        Ok(())
    }
}
