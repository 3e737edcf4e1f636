//! Migration creating the `inbox` table; add it to a service's migrator list.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `inbox` with its unique key `(consumer, key, stream_sequence)` (a redelivery) and
/// its window index `(consumer, key, received_at)`. Its name is fixed
/// (`m20261202_000001_create_inbox`) so it records the same in every service.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261202_000001_create_inbox"
    }
}

#[derive(DeriveIden)]
enum Inbox {
    Table,
    Id,
    Consumer,
    Key,
    StreamSequence,
    ReceivedAt,
    ProcessedAt,
    Kind,
    AggregateId,
    EntityId,
    Outcome,
    Detail,
}

/// The unique key: one entry per consumer, key and stream message.
pub const UNIQUE_DELIVERY: &str = "ux_inbox_consumer_key_seq";
const WINDOW_INDEX: &str = "ix_inbox_consumer_key_received";
const AGGREGATE_INDEX: &str = "ix_inbox_aggregate";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Inbox::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Inbox::Id))
                    .col(string(Inbox::Consumer))
                    .col(string(Inbox::Key))
                    .col(big_integer_null(Inbox::StreamSequence))
                    .col(timestamp_with_time_zone(Inbox::ReceivedAt))
                    .col(timestamp_with_time_zone(Inbox::ProcessedAt))
                    .col(string(Inbox::Kind))
                    .col(string_null(Inbox::AggregateId))
                    .col(string_null(Inbox::EntityId))
                    .col(string(Inbox::Outcome))
                    .col(text_null(Inbox::Detail))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(UNIQUE_DELIVERY)
                    .table(Inbox::Table)
                    .col(Inbox::Consumer)
                    .col(Inbox::Key)
                    .col(Inbox::StreamSequence)
                    .unique()
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(WINDOW_INDEX)
                    .table(Inbox::Table)
                    .col(Inbox::Consumer)
                    .col(Inbox::Key)
                    .col(Inbox::ReceivedAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(AGGREGATE_INDEX)
                    .table(Inbox::Table)
                    .col(Inbox::AggregateId)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Inbox::Table).to_owned())
            .await
    }
}
