//! Adds `accounts.reconcile_at` (when the reconciliation sweep next asks Plaid about a pending
//! account; null when it will not) and `accounts.reconcile_checks` (how many times it has), with
//! an index for the sweep's "due first" scan. Accounts pending before this existed are due at
//! once: the first sweep asks about each of them, within the shared budget.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    ReconcileAt,
    ReconcileChecks,
    Verification,
    LinkedAt,
}

/// The sweep's index.
const INDEX: &str = "idx_accounts_reconcile_at";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(timestamp_with_time_zone_null(Accounts::ReconcileAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(integer(Accounts::ReconcileChecks).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::update()
                    .table(Accounts::Table)
                    .value(Accounts::ReconcileAt, Expr::col(Accounts::LinkedAt))
                    .and_where(Expr::col(Accounts::Verification).eq("pending"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Accounts::Table)
                    .col(Accounts::ReconcileAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Accounts::Table).to_owned())
            .await?;
        for column in [Accounts::ReconcileChecks, Accounts::ReconcileAt] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Accounts::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
