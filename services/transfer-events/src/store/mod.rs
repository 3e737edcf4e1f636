//! The transfer-events database: entities, migrations and repository functions (each takes any
//! `ConnectionTrait`, so it runs on the pool or inside a transaction).
//!
//! - [`feed`]: the `sync_feed` row of a feed: requests (pokes), the fence, the start of a sync,
//!   failures.
//! - [`page`]: one page's commit, the heart of the sync: events, deposits, outbox and the cursor
//!   in one fenced transaction.
//! - [`deposits`]: deriving each transfer's state from the page's events.
//! - [`ledger`]: reads of events and deposits for the API.
//! - [`accounts`]: accounts penny linked.
//!
//! SQLite by default (a file under `./data`, created on first start), PostgreSQL in production;
//! the same code and tests run on both.

pub mod accounts;
pub mod deposits;
pub mod entities;
pub mod feed;
pub mod ledger;
pub mod migrations;
pub mod page;

use anyhow::Context as _;
use penny_store::ServiceDb;
use sea_orm::DatabaseConnection;

pub use migrations::Migrator;
pub use penny_store::now;

/// This service's database: connected and migrated by `penny-store`, named in its errors.
pub const DB: ServiceDb<Migrator> = ServiceDb::new("transfer-events");

/// Connects to `url` (creating the SQLite file and its directory if needed).
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    DB.connect(url).await
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    DB.migrate(db).await
}

/// `u64` → the `BIGINT` the database stores (event ids, tokens, generations).
pub fn to_db(n: u64) -> anyhow::Result<i64> {
    i64::try_from(n).with_context(|| format!("{n} does not fit a BIGINT"))
}

/// A stored `BIGINT` → `u64` (never negative: every column is written from a `u64`).
pub fn from_db(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
