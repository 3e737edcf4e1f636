//! `TestPostgres` / `PgCluster`: fresh databases that work and are cleaned up.

use std::time::Duration;

use penny_testkit::{PgCluster, TestPostgres, poll_until};
use sea_orm::{ConnectionTrait as _, Database, DbBackend, Statement};

async fn query_i64(url: &str, sql: &str) -> anyhow::Result<i64> {
    let db = Database::connect(url).await?;
    let row = db
        .query_one_raw(Statement::from_string(DbBackend::Postgres, sql))
        .await?
        .ok_or_else(|| anyhow::anyhow!("no row"))?;
    let v: i64 = row.try_get_by_index(0)?;
    db.close().await?;
    Ok(v)
}

#[tokio::test]
async fn each_call_gives_a_fresh_working_database() {
    penny_testkit::init();
    let a = TestPostgres::database().await.unwrap();
    let b = TestPostgres::database().await.unwrap();
    assert_ne!(a.name(), b.name());
    assert!(a.url().ends_with(a.name()), "{}", a.url());
    assert_eq!(query_i64(a.url(), "SELECT 1::int8").await.unwrap(), 1);

    let db = Database::connect(b.url()).await.unwrap();
    db.execute_unprepared("CREATE TABLE t (id int8 primary key)")
        .await
        .unwrap();
    db.execute_unprepared("INSERT INTO t VALUES (7)")
        .await
        .unwrap();
    db.close().await.unwrap();
    assert_eq!(query_i64(b.url(), "SELECT id FROM t").await.unwrap(), 7);
    // Databases are isolated from each other.
    assert!(query_i64(a.url(), "SELECT id FROM t").await.is_err());
}

#[tokio::test]
async fn dropping_a_database_removes_it_from_the_shared_cluster() {
    penny_testkit::init();
    let Ok(admin) = std::env::var("PENNY_TEST_PG_URL") else {
        // Without a shared cluster each database owns a cluster; the next test covers its cleanup.
        return;
    };
    let db = TestPostgres::database().await.unwrap();
    let name = db.name().to_owned();
    let exists = format!("SELECT count(*) FROM pg_database WHERE datname = '{name}'");
    assert_eq!(query_i64(&admin, &exists).await.unwrap(), 1);
    // An open connection does not keep the database alive.
    let open = Database::connect(db.url()).await.unwrap();
    drop(db);
    assert_eq!(query_i64(&admin, &exists).await.unwrap(), 0);
    drop(open);
}

#[tokio::test]
async fn a_throwaway_cluster_starts_and_stops() {
    penny_testkit::init();
    let cluster = tokio::task::spawn_blocking(PgCluster::start)
        .await
        .unwrap()
        .unwrap();
    let url = cluster.admin_url();
    assert_eq!(query_i64(&url, "SELECT 1::int8").await.unwrap(), 1);
    let port = cluster.port();
    tokio::task::spawn_blocking(move || drop(cluster))
        .await
        .unwrap();
    poll_until(Duration::from_secs(5), || async {
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
    })
    .await
    .unwrap();
}
