//! The notifier database: entities, migrations and repository functions (each takes any
//! `ConnectionTrait`, so it runs on the pool or inside a transaction).
//!
//! - [`accounts`]: the projection account → user, flow, mask.
//! - [`contacts`] and [`preferences`]: people's contact data (addresses sealed with the
//!   keyring) and what they switched off.
//! - [`alerts`]: every alert; the send state machine's writes are compare-and-sets here.
//! - [`waiting`]: deposit events waiting for their account.
//! - [`rotate`]: contact data re-sealed under the newest key (`rotate-keys`).
//!
//! SQLite by default (a file under `./data`), PostgreSQL in production; the same code and
//! tests run on both.

pub mod accounts;
pub mod alerts;
pub mod contacts;
pub mod entities;
pub mod migrations;
pub mod preferences;
pub mod reminders;
pub mod rotate;
pub mod waiting;

use penny_store::ServiceDb;
use sea_orm::DatabaseConnection;

pub use migrations::Migrator;

/// This service's database: connected and migrated by `penny-store`, named in its errors.
pub const DB: ServiceDb<Migrator> = ServiceDb::new("notifier");

/// Connects to `url` (creating the SQLite file and its directory if needed).
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    DB.connect(url).await
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    DB.migrate(db).await
}

/// Connects to `url` and applies pending migrations.
pub async fn open(url: &str) -> anyhow::Result<DatabaseConnection> {
    DB.open(url).await
}
