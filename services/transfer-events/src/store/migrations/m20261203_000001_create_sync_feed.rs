//! Creates `sync_feed`.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum SyncFeed {
    Table,
    Feed,
    Cursor,
    Fence,
    Requested,
    Taken,
    Served,
    PendingSince,
    BumpedAt,
    PokesReceived,
    PokesCoalesced,
    LastPokeAt,
    SyncsRun,
    SyncFailures,
    PagesFetched,
    EventsRecorded,
    UnknownAccountEvents,
    LastSyncStartedAt,
    LastSyncFinishedAt,
    LastError,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let counters = [
            SyncFeed::Cursor,
            SyncFeed::Fence,
            SyncFeed::Requested,
            SyncFeed::Taken,
            SyncFeed::Served,
            SyncFeed::PokesReceived,
            SyncFeed::PokesCoalesced,
            SyncFeed::SyncsRun,
            SyncFeed::SyncFailures,
            SyncFeed::PagesFetched,
            SyncFeed::EventsRecorded,
            SyncFeed::UnknownAccountEvents,
        ];
        let mut table = Table::create();
        table
            .table(SyncFeed::Table)
            .if_not_exists()
            .col(string(SyncFeed::Feed).primary_key());
        for counter in counters {
            table.col(big_integer(counter).default(0));
        }
        for at in [
            SyncFeed::PendingSince,
            SyncFeed::BumpedAt,
            SyncFeed::LastPokeAt,
            SyncFeed::LastSyncStartedAt,
            SyncFeed::LastSyncFinishedAt,
        ] {
            table.col(timestamp_with_time_zone_null(at));
        }
        table.col(text_null(SyncFeed::LastError));
        manager.create_table(table.to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SyncFeed::Table).to_owned())
            .await
    }
}
