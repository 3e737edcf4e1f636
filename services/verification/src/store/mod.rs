//! The verification database: entities, migrations, encryption of secrets, and repository
//! functions (each takes any `ConnectionTrait`, so it runs on the pool or inside a transaction).
//!
//! SQLite by default (a file under `./data`, created on first start), PostgreSQL in production;
//! the same code and tests run on both.

pub mod accounts;
pub mod entities;
pub mod exchanges;
pub mod history;
pub mod items;
pub mod migrations;
pub mod reconcile;
pub mod rotate;
pub mod secrets;

use penny_store::ServiceDb;
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};

pub use migrations::Migrator;
pub use penny_store::now;
pub use secrets::{Numbers, SealedNumbers, Secrets};

/// This service's database: connected and migrated by `penny-store`, named in its errors.
pub const DB: ServiceDb<Migrator> = ServiceDb::new("verification");

/// Connects to `url` (creating the SQLite file and its directory if needed).
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    DB.connect(url).await
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    DB.migrate(db).await
}

/// Whether `err` is a unique-key violation (a concurrent duplicate).
pub fn is_unique_violation(err: &DbErr) -> bool {
    penny_store::is_unique_violation(err)
}

/// Starts a transaction that writes (`BEGIN IMMEDIATE` on SQLite, so concurrent writers wait
/// for the lock instead of failing on a lock upgrade).
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    penny_store::begin_write(db).await
}
