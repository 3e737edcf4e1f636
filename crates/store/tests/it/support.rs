//! The outbox and inbox migrations on a testkit [`TestDb`], as a service would apply them.

use penny_testkit::{DbKind, TestDb};
use sea_orm::DatabaseConnection;
use sea_orm_migration::{MigrationTrait, MigratorTrait};

/// A fresh database of `kind`; the test fails when it cannot have one.
pub async fn test_db(kind: DbKind) -> TestDb {
    TestDb::new(kind)
        .await
        .unwrap_or_else(|e| panic!("a {kind} test database: {e:#}"))
}

/// Connects to `test_db` with `penny_store::connect` and applies the outbox and inbox
/// migrations.
pub async fn migrated(test_db: &TestDb) -> DatabaseConnection {
    let db = penny_store::connect(test_db.url()).await.expect("connects");
    Migrator::up(&db, None).await.expect("migrates");
    db
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
