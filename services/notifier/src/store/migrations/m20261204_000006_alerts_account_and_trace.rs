//! Adds to `alerts` the account each alert is about (`account_id`) and the W3C trace context of
//! the domain event it answers (`traceparent`, so its send is a span of that event's trace).
//! Both are nullable: rows that predate this migration have neither. `(account_id, id)` serves
//! `ListNotifications(account_id)`.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Alerts {
    Table,
    Id,
    AccountId,
    Traceparent,
}

const INDEX: &str = "idx_alerts_account_id";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one column per ALTER TABLE.
        for column in [Alerts::AccountId, Alerts::Traceparent] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alerts::Table)
                        .add_column_if_not_exists(string_null(column))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .if_not_exists()
                    .name(INDEX)
                    .table(Alerts::Table)
                    .col(Alerts::AccountId)
                    .col(Alerts::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Alerts::Table).to_owned())
            .await?;
        for column in [Alerts::Traceparent, Alerts::AccountId] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alerts::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
