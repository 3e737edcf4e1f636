//! The databases of one round: penny's and the baseline's, both SQLite files in one temp
//! directory or both fresh databases in the run's PostgreSQL cluster, and the reads the harness
//! makes of them (during a drain only a count, once the consumers look drained): the Items'
//! access tokens, the accounts stored with their commit times, and PostgreSQL's counters.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use penny_testkit::PgCluster;
use penny_verification::store::Secrets;
use sea_orm::{ConnectionTrait as _, DatabaseConnection, Statement};

/// Which database a round runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

/// The two databases of a round.
pub struct Databases {
    pub penny_url: String,
    pub baseline_url: String,
    /// The PostgreSQL server's postmaster, whose process tree is measured.
    pub postmaster: Option<u32>,
}

impl Databases {
    /// SQLite files under `dir`, or two new databases (named after `round`) in `cluster`.
    pub async fn create(
        kind: Kind,
        dir: &Path,
        cluster: Option<&PgCluster>,
        round: usize,
    ) -> anyhow::Result<Self> {
        match (kind, cluster) {
            (Kind::Sqlite, _) => Ok(Self {
                penny_url: sqlite_url(&dir.join("verification.db")),
                baseline_url: sqlite_url(&dir.join("baseline.db")),
                postmaster: None,
            }),
            (Kind::Postgres, Some(cluster)) => {
                let base = format!("postgres://postgres@127.0.0.1:{}", cluster.port());
                let admin = penny_verification::store::connect(&format!("{base}/postgres")).await?;
                let mut urls = Vec::new();
                for who in ["penny", "baseline"] {
                    let name = format!("bench_{who}_{round}");
                    admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await?;
                    admin
                        .execute_unprepared(&format!("CREATE DATABASE {name}"))
                        .await
                        .with_context(|| format!("creating database {name}"))?;
                    urls.push(format!("{base}/{name}"));
                }
                let _ = admin.close().await;
                let port = cluster.port().to_string();
                let postmaster = crate::cpu::find_process("postgres", "-p", &port)
                    .context("the postmaster of the cluster (a postgres process with -p <port>)")?;
                let [penny_url, baseline_url] =
                    <[String; 2]>::try_from(urls).map_err(|_| anyhow::anyhow!("two URLs"))?;
                Ok(Self {
                    penny_url,
                    baseline_url,
                    postmaster: Some(postmaster),
                })
            }
            (Kind::Postgres, None) => anyhow::bail!("no PostgreSQL cluster"),
        }
    }
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    penny_verification::store::connect(url).await
}

async fn rows(db: &DatabaseConnection, sql: &str) -> anyhow::Result<Vec<sea_orm::QueryResult>> {
    let statement = Statement::from_string(db.get_database_backend(), sql.to_owned());
    db.query_all_raw(statement)
        .await
        .with_context(|| format!("running {sql}"))
}

/// Every Item's access token in penny's database, opened with `secrets` (the harness needs
/// them to verify the Items in the sandbox and hands them to the baseline).
pub async fn access_tokens(
    url: &str,
    secrets: &Secrets,
) -> anyhow::Result<HashMap<String, String>> {
    let db = connect(url).await?;
    let sql = "SELECT item_id, access_token_key_id, access_token_ct FROM items";
    let mut tokens = HashMap::new();
    for row in rows(&db, sql).await? {
        let item_id: String = row.try_get("", "item_id")?;
        let key_id: String = row.try_get("", "access_token_key_id")?;
        let ct: Vec<u8> = row.try_get("", "access_token_ct")?;
        let token = secrets.open_access_token(&item_id, &key_id, &ct)?;
        tokens.insert(item_id, token.expose().to_owned());
    }
    let _ = db.close().await;
    Ok(tokens)
}

/// Penny's verified accounts that have numbers stored, with the time the change committed
/// (`status_changed_at`, taken just before the transaction began), in µs since the epoch.
pub async fn penny_commits(url: &str) -> anyhow::Result<HashMap<String, i64>> {
    let db = connect(url).await?;
    let sql = "SELECT a.account_id, a.status_changed_at FROM accounts a \
               JOIN account_numbers n ON n.account_id = a.account_id \
               WHERE a.verification = 'verified'";
    let mut out = HashMap::new();
    for row in rows(&db, sql).await? {
        let id: String = row.try_get("", "account_id")?;
        let at: DateTime<Utc> = row.try_get("", "status_changed_at")?;
        out.insert(id, at.timestamp_micros());
    }
    let _ = db.close().await;
    Ok(out)
}

/// How many of penny's accounts are verified with numbers (a cheap probe while waiting).
pub async fn penny_done(db: &DatabaseConnection) -> anyhow::Result<i64> {
    let sql = "SELECT count(*) AS n FROM accounts a \
               JOIN account_numbers n ON n.account_id = a.account_id \
               WHERE a.verification = 'verified'";
    let row = rows(db, sql)
        .await?
        .into_iter()
        .next()
        .context("no count")?;
    Ok(row.try_get("", "n")?)
}

/// How many accounts the baseline has stored.
pub async fn baseline_done(db: &DatabaseConnection) -> anyhow::Result<i64> {
    let sql = "SELECT count(*) AS n FROM baseline_numbers";
    let row = rows(db, sql)
        .await?
        .into_iter()
        .next()
        .context("no count")?;
    Ok(row.try_get("", "n")?)
}

/// The baseline's committed accounts with their commit times (µs since the epoch).
pub async fn baseline_commits(url: &str) -> anyhow::Result<HashMap<String, i64>> {
    let db = connect(url).await?;
    let sql = "SELECT account_id, committed_at_us FROM baseline_numbers";
    let mut out = HashMap::new();
    for row in rows(&db, sql).await? {
        let id: String = row.try_get("", "account_id")?;
        let at: i64 = row.try_get("", "committed_at_us")?;
        out.insert(id, at);
    }
    let _ = db.close().await;
    Ok(out)
}

/// Opens `url` (for [`penny_done`]).
pub async fn open(url: &str) -> anyhow::Result<DatabaseConnection> {
    connect(url).await
}

/// PostgreSQL's activity counters of the database at `url`: `pg_stat_database` (transactions,
/// rows read and written) and, as `<table>.<counter>`, `pg_stat_user_tables` (scans, rows read
/// by sequential scans). Backends report them when idle, so read them a while after a drain.
pub async fn pg_activity(url: &str) -> anyhow::Result<BTreeMap<String, i64>> {
    const COLUMNS: [&str; 7] = [
        "xact_commit",
        "xact_rollback",
        "tup_returned",
        "tup_fetched",
        "tup_inserted",
        "tup_updated",
        "tup_deleted",
    ];
    let db = connect(url).await?;
    let sql = format!(
        "SELECT {} FROM pg_stat_database WHERE datname = current_database()",
        COLUMNS.join(", ")
    );
    let row = rows(&db, &sql)
        .await?
        .into_iter()
        .next()
        .context("no pg_stat_database row")?;
    let mut out = BTreeMap::new();
    for column in COLUMNS {
        out.insert(column.to_owned(), row.try_get::<i64>("", column)?);
    }
    // Per table: scans, and rows read by sequential scans (a scan whose cost grows with the
    // table shows here).
    let sql = "SELECT relname, seq_scan, seq_tup_read, idx_scan FROM pg_stat_user_tables";
    for row in rows(&db, sql).await? {
        let table: String = row.try_get("", "relname")?;
        for column in ["seq_scan", "seq_tup_read", "idx_scan"] {
            let value: Option<i64> = row.try_get("", column)?;
            out.insert(format!("{table}.{column}"), value.unwrap_or(0));
        }
    }
    let _ = db.close().await;
    Ok(out)
}

/// `ANALYZE` of the database at `url` (PostgreSQL): statistics as autovacuum keeps them in a
/// database that has been running for a while.
pub async fn analyze(url: &str) -> anyhow::Result<()> {
    let db = connect(url).await?;
    db.execute_unprepared("ANALYZE").await.context("ANALYZE")?;
    let _ = db.close().await;
    Ok(())
}
