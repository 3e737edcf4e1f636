//! Test databases for both backends, migrated with the outbox and inbox migrations.

use sea_orm::DatabaseConnection;
use sea_orm_migration::{MigrationTrait, MigratorTrait};

/// A database a test owns; dropping it removes it.
pub enum TestDb {
    Sqlite(penny_testkit::TempSqlite),
    Postgres(penny_testkit::PgDatabase),
}

impl TestDb {
    pub async fn sqlite() -> Self {
        Self::Sqlite(penny_testkit::TempSqlite::new().expect("temp dir"))
    }

    pub async fn postgres() -> Self {
        Self::Postgres(
            penny_testkit::TestPostgres::database()
                .await
                .expect("PostgreSQL test database"),
        )
    }

    pub fn url(&self) -> &str {
        match self {
            Self::Sqlite(db) => db.url(),
            Self::Postgres(db) => db.url(),
        }
    }

    /// Connects with `penny_store::connect` and applies the outbox and inbox migrations.
    pub async fn migrated(&self) -> DatabaseConnection {
        let db = penny_store::connect(self.url()).await.expect("connects");
        Migrator::up(&db, None).await.expect("migrates");
        db
    }
}

/// A service migrator holding the outbox and inbox migrations, as a service would include them.
pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(penny_store::outbox::Migration),
            Box::new(penny_store::inbox::Migration),
        ]
    }
}
