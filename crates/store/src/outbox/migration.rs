//! Migration creating the `outbox` table; add it to a service's migrator list.

use sea_orm_migration::{prelude::*, schema::*};

/// Creates `outbox` and its pending-rows index. Its name is fixed
/// (`m20261121_000001_create_outbox`) so it sorts and records the same in every service.
pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261121_000001_create_outbox"
    }
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    Subject,
    MsgId,
    Payload,
    Headers,
    CreatedAt,
    PublishedAt,
    Attempts,
}

const PENDING_INDEX: &str = "idx_outbox_published_at_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Outbox::Id))
                    .col(string(Outbox::Subject))
                    .col(string_uniq(Outbox::MsgId))
                    .col(blob(Outbox::Payload))
                    .col(text(Outbox::Headers))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(Outbox::PublishedAt))
                    .col(integer(Outbox::Attempts).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(PENDING_INDEX)
                    .table(Outbox::Table)
                    .col(Outbox::PublishedAt)
                    .col(Outbox::Id)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Outbox::Table).to_owned())
            .await
    }
}
