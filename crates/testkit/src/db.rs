//! One database type for tests on both engines, and one way to run a scenario on each.

use std::fmt;
use std::future::Future;
use std::path::Path;

use crate::{PgDatabase, TempSqlite, TestPostgres};

/// Which database engine a test runs on (SQLite by default: no server needed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum DbKind {
    /// A SQLite file in a temp directory ([`TempSqlite`]).
    #[default]
    Sqlite,
    /// A fresh PostgreSQL database ([`TestPostgres::database`]).
    Postgres,
}

impl DbKind {
    /// Both engines, SQLite first.
    pub const ALL: [DbKind; 2] = [DbKind::Sqlite, DbKind::Postgres];
}

impl fmt::Display for DbKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DbKind::Sqlite => "SQLite",
            DbKind::Postgres => "PostgreSQL",
        })
    }
}

/// An empty database that lives as long as the test: dropping it removes it.
#[derive(Debug)]
pub enum TestDb {
    /// A SQLite file (not created until the first connection).
    Sqlite(TempSqlite),
    /// A PostgreSQL database.
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

    /// Its engine.
    pub fn kind(&self) -> DbKind {
        match self {
            Self::Sqlite(_) => DbKind::Sqlite,
            Self::Postgres(_) => DbKind::Postgres,
        }
    }

    /// Its connection URL (`sqlite://…?mode=rwc` or `postgres://…`).
    pub fn url(&self) -> &str {
        match self {
            Self::Sqlite(db) => db.url(),
            Self::Postgres(db) => db.url(),
        }
    }

    /// The SQLite file, for tests that scan its bytes; `None` on PostgreSQL.
    pub fn sqlite_path(&self) -> Option<&Path> {
        match self {
            Self::Sqlite(db) => Some(db.path()),
            Self::Postgres(_) => None,
        }
    }
}

/// Runs `body` on SQLite and on PostgreSQL at the same time and fails if either fails, saying
/// which. Each run makes what it needs from its [`DbKind`] (a [`TestDb`], or a whole
/// `Stack`: two runs cannot share a NATS server, whose stream and consumer names are global).
///
/// ```no_run
/// # async fn demo() -> anyhow::Result<()> {
/// use penny_testkit::{TestDb, for_each_db};
/// for_each_db(|kind| async move {
///     let db = TestDb::new(kind).await?;
///     anyhow::ensure!(!db.url().is_empty());
///     Ok(())
/// })
/// .await
/// # }
/// ```
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
