//! Adds `accounts.flow` (`automated`, `same_day` or `instant`): how the account is verified,
//! decided at link time. Accounts linked before it existed are automated (the only flow penny
//! linked then).

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Accounts {
    Table,
    Flow,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .add_column(string(Accounts::Flow).default("automated"))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Accounts::Table)
                    .drop_column(Accounts::Flow)
                    .to_owned(),
            )
            .await
    }
}
