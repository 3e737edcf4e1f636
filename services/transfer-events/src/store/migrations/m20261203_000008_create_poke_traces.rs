//! Creates `poke_traces`: per request generation, the trace contexts (`traceparent`) of the
//! pokes recorded into it (at most 128, the rest counted in `dropped`), so the sync that serves
//! the generation links to them. Rows of served generations are deleted by the sync's last page.

use sea_orm_migration::{prelude::*, schema::*};

/// The migration.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PokeTraces {
    Table,
    Feed,
    Generation,
    Traceparents,
    Dropped,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PokeTraces::Table)
                    .if_not_exists()
                    .col(string(PokeTraces::Feed))
                    .col(big_integer(PokeTraces::Generation))
                    .col(text(PokeTraces::Traceparents))
                    .col(big_integer(PokeTraces::Dropped))
                    .primary_key(
                        Index::create()
                            .col(PokeTraces::Feed)
                            .col(PokeTraces::Generation),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PokeTraces::Table).to_owned())
            .await
    }
}
