//! `TempSqlite`: a file database that works and disappears with the guard.

use penny_testkit::TempSqlite;
use sea_orm::{ConnectionTrait as _, Database, DbBackend, Statement};

#[tokio::test]
async fn the_url_creates_a_file_database_removed_on_drop() {
    penny_testkit::init();
    let sqlite = TempSqlite::new().unwrap();
    assert!(sqlite.url().starts_with("sqlite:///"), "{}", sqlite.url());
    assert!(sqlite.url().ends_with("?mode=rwc"));

    let db = Database::connect(sqlite.url()).await.unwrap();
    db.execute_unprepared("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        .await
        .unwrap();
    db.execute_unprepared("INSERT INTO t VALUES (42)")
        .await
        .unwrap();
    let row = db
        .query_one_raw(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT id FROM t",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.try_get_by_index::<i64>(0).unwrap(), 42);
    db.close().await.unwrap();

    let path = sqlite.path().to_path_buf();
    assert!(path.is_file());
    drop(sqlite);
    assert!(!path.exists());
}
