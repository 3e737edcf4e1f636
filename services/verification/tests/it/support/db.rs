//! Test databases: the same test body runs against SQLite and PostgreSQL.

use std::future::Future;

use penny_testkit::{PgDatabase, TempSqlite, TestPostgres};

/// Which database engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbKind {
    /// A SQLite file in a temp dir.
    Sqlite,
    /// A fresh PostgreSQL database.
    Postgres,
}

/// A database that lives as long as the test.
pub enum TestDb {
    /// SQLite.
    Sqlite(TempSqlite),
    /// PostgreSQL.
    Postgres(PgDatabase),
}

impl TestDb {
    /// A fresh database of `kind`.
    pub async fn new(kind: DbKind) -> anyhow::Result<Self> {
        Ok(match kind {
            DbKind::Sqlite => Self::Sqlite(TempSqlite::new()?),
            DbKind::Postgres => Self::Postgres(TestPostgres::database().await?),
        })
    }

    /// Its URL.
    pub fn url(&self) -> &str {
        match self {
            Self::Sqlite(db) => db.url(),
            Self::Postgres(db) => db.url(),
        }
    }

    /// The SQLite file, for byte scans.
    pub fn sqlite_path(&self) -> Option<&std::path::Path> {
        match self {
            Self::Sqlite(db) => Some(db.path()),
            Self::Postgres(_) => None,
        }
    }
}

/// Runs `body` against SQLite and PostgreSQL at the same time (each on a stack of its own:
/// they cannot share a NATS server, whose streams and durable consumer names are global), and
/// fails if either fails, naming which.
pub async fn for_each_db<F, Fut>(body: F) -> anyhow::Result<()>
where
    F: Fn(DbKind) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let (sqlite, postgres) = tokio::join!(body(DbKind::Sqlite), body(DbKind::Postgres));
    match (sqlite, postgres) {
        (Ok(()), Ok(())) => Ok(()),
        (Err(e), Ok(())) => Err(e.context("on SQLite")),
        (Ok(()), Err(e)) => Err(e.context("on PostgreSQL")),
        (Err(s), Err(p)) => Err(anyhow::anyhow!(
            "failed on both: SQLite: {s:#}; PostgreSQL: {p:#}"
        )),
    }
}
