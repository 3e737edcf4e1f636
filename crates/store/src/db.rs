//! Opening the database: SQLite (embedded default) or PostgreSQL, from a URL.

use std::{path::PathBuf, time::Duration};

use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr, SqlErr,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

/// Pool and SQLite tuning. `Default` suits both backends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbSettings {
    /// Pool size; `None` = 4 for SQLite (one writer at a time anyway), 10 for PostgreSQL.
    pub max_connections: Option<u32>,
    /// How long a query waits for a pooled connection.
    pub acquire_timeout: Duration,
    /// SQLite: how long a writer waits for the write lock before failing with `SQLITE_BUSY`.
    pub busy_timeout: Duration,
}

impl Default for DbSettings {
    fn default() -> Self {
        Self {
            max_connections: None,
            acquire_timeout: Duration::from_secs(10),
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// Why the database could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The SQLite file's directory could not be created.
    #[error("creating directory {path} for the SQLite database: {source}")]
    CreateDir {
        /// Directory.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The URL is neither `sqlite:` nor `postgres://` / `postgresql://`.
    #[error("unsupported database URL scheme (expected sqlite: or postgres://)")]
    UnsupportedScheme,
    /// Connecting failed.
    #[error("connecting to the database: {0}")]
    Db(#[from] DbErr),
}

/// Opens `url` with [`DbSettings::default`].
///
/// - `sqlite://data/verification.db?mode=rwc` (relative) or `sqlite:///var/lib/x.db`
///   (absolute): the parent directory and the file are created on first start; WAL journal,
///   `synchronous = NORMAL`, `busy_timeout` and `foreign_keys = ON` are set on every connection.
/// - `postgres://user@host/db`: used as is.
pub async fn connect(url: &str) -> Result<DatabaseConnection, ConnectError> {
    connect_with(url, &DbSettings::default()).await
}

/// Opens `url` with `settings` (see [`connect`]).
pub async fn connect_with(
    url: &str,
    settings: &DbSettings,
) -> Result<DatabaseConnection, ConnectError> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .acquire_timeout(settings.acquire_timeout)
        .sqlx_logging(false);
    if is_sqlite(url) {
        if let Some(dir) = sqlite_parent_dir(url) {
            std::fs::create_dir_all(&dir)
                .map_err(|source| ConnectError::CreateDir { path: dir, source })?;
        }
        let busy_timeout = settings.busy_timeout;
        if is_sqlite_memory(url) {
            // Every connection to `:memory:` is a separate, empty database: keep exactly one,
            // forever.
            options
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        } else {
            options.max_connections(settings.max_connections.unwrap_or(4));
        }
        options.map_sqlx_sqlite_opts(move |o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(busy_timeout)
                .foreign_keys(true)
        });
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        options.max_connections(settings.max_connections.unwrap_or(10));
    } else {
        return Err(ConnectError::UnsupportedScheme);
    }
    Ok(Database::connect(options).await?)
}

/// Starts a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: it takes the write
/// lock up front (waiting up to `busy_timeout`), so two writers never deadlock on a read lock
/// upgrade (`SQLITE_BUSY` without waiting). On PostgreSQL it is a plain `BEGIN`.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Whether `err` is a unique-key or primary-key violation, on SQLite and PostgreSQL alike.
/// Handlers use it to treat "already recorded" as success.
pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

fn is_sqlite_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// The directory that must exist for a file-backed SQLite URL (`None` for `:memory:`).
fn sqlite_parent_dir(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path.starts_with(":memory:") {
        return None;
    }
    let parent = PathBuf::from(path).parent()?.to_path_buf();
    (!parent.as_os_str().is_empty()).then_some(parent)
}

#[cfg(test)]
mod tests {
    use super::sqlite_parent_dir;
    use std::path::PathBuf;

    #[test]
    fn parent_dirs() {
        assert_eq!(
            sqlite_parent_dir("sqlite://data/v.db?mode=rwc"),
            Some(PathBuf::from("data"))
        );
        assert_eq!(
            sqlite_parent_dir("sqlite:///tmp/a/b.db"),
            Some(PathBuf::from("/tmp/a"))
        );
        assert_eq!(sqlite_parent_dir("sqlite:v.db"), None);
        assert_eq!(sqlite_parent_dir("sqlite::memory:"), None);
        assert_eq!(sqlite_parent_dir("postgres://x"), None);
    }
}
