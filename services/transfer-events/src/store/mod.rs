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
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::DatabaseConnection;
use sea_orm_migration::MigratorTrait;

pub use migrations::Migrator;

/// Connects to `url` (creating the SQLite file and its directory if needed).
pub async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    penny_store::connect(url)
        .await
        .context("connecting to the transfer-events database")
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("migrating the transfer-events database")
}

/// The current time at the database's precision (microseconds, PostgreSQL's), so a timestamp
/// written and read back compares equal.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// `u64` → the `BIGINT` the database stores (event ids, tokens, generations).
pub fn to_db(n: u64) -> anyhow::Result<i64> {
    i64::try_from(n).with_context(|| format!("{n} does not fit a BIGINT"))
}

/// A stored `BIGINT` → `u64` (never negative: every column is written from a `u64`).
pub fn from_db(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
