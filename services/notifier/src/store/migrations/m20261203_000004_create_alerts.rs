//! Creates `alerts`: every alert and where it stands. One per (user, domain event, channel),
//! enforced by a unique index; `(state, due_at)` serves the scheduler.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    UserId,
    EventId,
    EventType,
    Kind,
    Channel,
    State,
    DueAt,
    FirstDueAt,
    Attempts,
    Resends,
    LastError,
    ProviderMessageId,
    Facts,
    ClaimToken,
    ClaimedUntil,
    CreatedAt,
    UpdatedAt,
    SentAt,
}

/// The unique key: one alert per person, domain event and channel.
pub const UNIQUE_ALERT: &str = "ux_alerts_user_event_channel";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Alerts::Table)
                    .if_not_exists()
                    .col(string(Alerts::Id).primary_key())
                    .col(string(Alerts::UserId))
                    .col(string(Alerts::EventId))
                    .col(string(Alerts::EventType))
                    .col(string(Alerts::Kind))
                    .col(string(Alerts::Channel))
                    .col(string(Alerts::State))
                    .col(timestamp_with_time_zone_null(Alerts::DueAt))
                    .col(timestamp_with_time_zone_null(Alerts::FirstDueAt))
                    .col(integer(Alerts::Attempts))
                    .col(integer(Alerts::Resends))
                    .col(text_null(Alerts::LastError))
                    .col(string_null(Alerts::ProviderMessageId))
                    .col(text_null(Alerts::Facts))
                    .col(string_null(Alerts::ClaimToken))
                    .col(timestamp_with_time_zone_null(Alerts::ClaimedUntil))
                    .col(timestamp_with_time_zone(Alerts::CreatedAt))
                    .col(timestamp_with_time_zone(Alerts::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Alerts::SentAt))
                    .to_owned(),
            )
            .await?;
        let indexes = [
            (
                UNIQUE_ALERT,
                vec![Alerts::UserId, Alerts::EventId, Alerts::Channel],
                true,
            ),
            (
                "idx_alerts_state_due",
                vec![Alerts::State, Alerts::DueAt],
                false,
            ),
            (
                "idx_alerts_user_id",
                vec![Alerts::UserId, Alerts::Id],
                false,
            ),
        ];
        for (name, cols, unique) in indexes {
            let mut index = Index::create();
            index.if_not_exists().name(name).table(Alerts::Table);
            for col in cols {
                index.col(col);
            }
            if unique {
                index.unique();
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Alerts::Table).to_owned())
            .await
    }
}
