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
pub mod rotate;
pub mod secrets;

use anyhow::Context as _;
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{DatabaseConnection, DatabaseTransaction, DbErr};
use sea_orm_migration::MigratorTrait;

pub use migrations::Migrator;
pub use secrets::{Numbers, SealedNumbers, Secrets};

/// Connects to `url` (creating the SQLite file and its directory if needed).
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    penny_store::connect(url)
        .await
        .context("connecting to the verification database")
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("migrating the verification database")
}

/// The current time at the database's precision (microseconds, PostgreSQL's), so a timestamp
/// written and read back compares equal.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
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
