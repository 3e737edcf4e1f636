//! Creates `waiting_events`: deposit events whose account is not known yet (no account event
//! seen), retried with backoff until it is, or parked.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WaitingEvents {
    Table,
    EventId,
    AccountId,
    EventType,
    Deliveries,
    FirstSeenAt,
    LastSeenAt,
    ParkedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(WaitingEvents::Table)
                    .if_not_exists()
                    .col(string(WaitingEvents::EventId).primary_key())
                    .col(string(WaitingEvents::AccountId))
                    .col(string(WaitingEvents::EventType))
                    .col(big_integer(WaitingEvents::Deliveries))
                    .col(timestamp_with_time_zone(WaitingEvents::FirstSeenAt))
                    .col(timestamp_with_time_zone(WaitingEvents::LastSeenAt))
                    .col(timestamp_with_time_zone_null(WaitingEvents::ParkedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WaitingEvents::Table).to_owned())
            .await
    }
}
