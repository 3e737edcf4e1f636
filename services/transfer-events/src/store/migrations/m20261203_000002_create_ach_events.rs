//! Creates `ach_events` (primary key `(feed, event_id)`: an event is stored once) and its
//! per-account index.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AchEvents {
    Table,
    Feed,
    EventId,
    OccurredAt,
    RecordedAt,
    PlaidEventType,
    Stage,
    AccountId,
    TransferId,
    Direction,
    Amount,
    Currency,
    AchReturnCode,
    FailureDescription,
    LinkedAtRecord,
    AccountLinked,
    SyncToken,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AchEvents::Table)
                    .if_not_exists()
                    .col(string(AchEvents::Feed))
                    .col(big_integer(AchEvents::EventId))
                    .col(timestamp_with_time_zone(AchEvents::OccurredAt))
                    .col(timestamp_with_time_zone(AchEvents::RecordedAt))
                    .col(string(AchEvents::PlaidEventType))
                    .col(string_null(AchEvents::Stage))
                    .col(string_null(AchEvents::AccountId))
                    .col(string_null(AchEvents::TransferId))
                    .col(string_null(AchEvents::Direction))
                    .col(string_null(AchEvents::Amount))
                    .col(string_null(AchEvents::Currency))
                    .col(string_null(AchEvents::AchReturnCode))
                    .col(text_null(AchEvents::FailureDescription))
                    .col(boolean(AchEvents::LinkedAtRecord))
                    .col(boolean(AchEvents::AccountLinked))
                    .col(big_integer(AchEvents::SyncToken))
                    .primary_key(Index::create().col(AchEvents::Feed).col(AchEvents::EventId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name("idx_ach_events_account")
                    .table(AchEvents::Table)
                    .col(AchEvents::AccountId)
                    .col(AchEvents::Feed)
                    .col(AchEvents::EventId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AchEvents::Table).to_owned())
            .await
    }
}
