//! Turns `processed_webhooks` from "a body hash is remembered forever" into a log the dedupe
//! window is checked against: a surrogate key, the time the webhook was received, a unique
//! index on `(dedupe_key, stream_sequence)` (a redelivery of one stream message) and an index
//! on `(dedupe_key, received_at)` (the window look-up).
//!
//! The table is rebuilt (SQLite cannot drop a primary key in place); existing rows keep their
//! data, with `received_at` = `processed_at`.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

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

#[derive(DeriveIden, Clone, Copy)]
enum ProcessedWebhooksNew {
    Table,
}

/// Unique: one row per stream message and body.
pub const UNIQUE_KEY_SEQUENCE: &str = "ux_processed_webhooks_key_seq";
/// The window look-up.
const INDEX_KEY_RECEIVED: &str = "ix_processed_webhooks_key_received";

/// The columns both layouts share, in order.
const SHARED: [ProcessedWebhooks; 9] = [
    ProcessedWebhooks::DedupeKey,
    ProcessedWebhooks::WebhookType,
    ProcessedWebhooks::WebhookCode,
    ProcessedWebhooks::ItemId,
    ProcessedWebhooks::AccountId,
    ProcessedWebhooks::Outcome,
    ProcessedWebhooks::Detail,
    ProcessedWebhooks::StreamSequence,
    ProcessedWebhooks::ProcessedAt,
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too (PostgreSQL always has one): the table swap happens
    /// whole or not at all, on one connection.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProcessedWebhooksNew::Table)
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
        let mut into = SHARED.to_vec();
        into.push(ProcessedWebhooks::ReceivedAt);
        let mut select = Query::select();
        select
            .columns(SHARED)
            .expr(Expr::col(ProcessedWebhooks::ProcessedAt))
            .from(ProcessedWebhooks::Table)
            .order_by(ProcessedWebhooks::ProcessedAt, Order::Asc);
        copy(manager, ProcessedWebhooksNew::Table, into, select).await?;
        swap(manager).await?;
        manager
            .create_index(
                Index::create()
                    .name(UNIQUE_KEY_SEQUENCE)
                    .table(ProcessedWebhooks::Table)
                    .col(ProcessedWebhooks::DedupeKey)
                    .col(ProcessedWebhooks::StreamSequence)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX_KEY_RECEIVED)
                    .table(ProcessedWebhooks::Table)
                    .col(ProcessedWebhooks::DedupeKey)
                    .col(ProcessedWebhooks::ReceivedAt)
                    .to_owned(),
            )
            .await
    }

    /// Back to one row per body hash (the latest one of each).
    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ProcessedWebhooksNew::Table)
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
            .await?;
        let mut latest = Query::select();
        latest
            .expr(Expr::col(ProcessedWebhooks::Id).max())
            .from(ProcessedWebhooks::Table)
            .group_by_col(ProcessedWebhooks::DedupeKey);
        let mut select = Query::select();
        select
            .columns(SHARED)
            .from(ProcessedWebhooks::Table)
            .and_where(Expr::col(ProcessedWebhooks::Id).in_subquery(latest));
        copy(
            manager,
            ProcessedWebhooksNew::Table,
            SHARED.to_vec(),
            select,
        )
        .await?;
        swap(manager).await
    }
}

/// `INSERT INTO table (columns) SELECT ...`.
async fn copy(
    manager: &SchemaManager<'_>,
    table: ProcessedWebhooksNew,
    columns: Vec<ProcessedWebhooks>,
    select: SelectStatement,
) -> Result<(), DbErr> {
    let insert = Query::insert()
        .into_table(table)
        .columns(columns)
        .select_from(select)
        .map_err(|e| DbErr::Migration(e.to_string()))?
        .to_owned();
    manager.exec_stmt(insert).await
}

/// Drops the old table and gives the new one its name.
async fn swap(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .drop_table(Table::drop().table(ProcessedWebhooks::Table).to_owned())
        .await?;
    manager
        .rename_table(
            Table::rename()
                .table(ProcessedWebhooksNew::Table, ProcessedWebhooks::Table)
                .to_owned(),
        )
        .await
}
