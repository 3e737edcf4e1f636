//! Opening databases, SQLite pragmas, write transactions, unique violations.

use std::sync::Arc;

use penny_store::{
    begin_write, connect, is_unique_violation,
    outbox::{OutboxMessage, enqueue, pending_count},
};
use penny_testkit::{DbKind, TestDb};
use sea_orm::{ConnectionTrait, DbBackend, Statement, TransactionTrait};

use crate::support::{migrated, test_db};

#[tokio::test]
async fn sqlite_file_and_directories_are_created_with_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/nested/verification.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let db = connect(&url).await.unwrap();
    assert!(path.exists(), "database file created");

    let pragma = |name: &'static str| {
        let db = db.clone();
        async move {
            let row = db
                .query_one_raw(Statement::from_string(
                    DbBackend::Sqlite,
                    format!("PRAGMA {name}"),
                ))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<String>(0)
                .or_else(|_| row.try_get_by_index::<i64>(0).map(|v| v.to_string()))
                .unwrap()
        }
    };
    assert_eq!(pragma("journal_mode").await, "wal");
    assert_eq!(pragma("foreign_keys").await, "1");
    assert_eq!(pragma("busy_timeout").await, "5000");

    // A second start opens the same file.
    drop(db);
    let again = connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    again.execute_unprepared("SELECT 1").await.unwrap();
}

#[tokio::test]
async fn unsupported_scheme_is_rejected() {
    assert!(matches!(
        connect("mysql://x").await,
        Err(penny_store::ConnectError::UnsupportedScheme)
    ));
}

async fn unique_violation_is_recognised(test_db: TestDb) {
    let db = migrated(&test_db).await;
    enqueue(
        &db,
        OutboxMessage::new("penny.event.x", "same-id", b"1".to_vec()),
    )
    .await
    .unwrap();
    let err = enqueue(
        &db,
        OutboxMessage::new("penny.event.x", "same-id", b"2".to_vec()),
    )
    .await
    .unwrap_err();
    assert!(is_unique_violation(&err), "{err:?}");
    let other = db
        .execute_unprepared("SELECT * FROM no_such_table")
        .await
        .unwrap_err();
    assert!(!is_unique_violation(&other));
}

on_both_databases!(unique_violation, unique_violation_is_recognised);

async fn concurrent_read_then_write_transactions_all_commit(test_db: TestDb) {
    let db = Arc::new(migrated(&test_db).await);
    let mut tasks = Vec::new();
    for i in 0..16 {
        let db = Arc::clone(&db);
        tasks.push(tokio::spawn(async move {
            let txn = begin_write(&db).await?;
            // Read first, then write: with a deferred BEGIN on SQLite this lock upgrade fails
            // with SQLITE_BUSY as soon as another writer committed in between.
            pending_count(&txn).await?;
            enqueue(
                &txn,
                OutboxMessage::new("penny.event.x", format!("id-{i}"), vec![]),
            )
            .await?;
            txn.commit().await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    assert_eq!(pending_count(db.as_ref()).await.unwrap(), 16);
}

on_both_databases!(
    write_transactions,
    concurrent_read_then_write_transactions_all_commit
);

#[tokio::test]
async fn migration_is_idempotent_and_named_stably() {
    use sea_orm_migration::MigrationName;
    assert_eq!(
        penny_store::outbox::Migration.name(),
        "m20261121_000001_create_outbox"
    );
    let test_db = test_db(DbKind::Sqlite).await;
    let db = migrated(&test_db).await;
    drop(db);
    // A restart runs the migrator again: nothing to do, nothing fails.
    let db = migrated(&test_db).await;
    let txn = db.begin().await.unwrap();
    enqueue(&txn, OutboxMessage::new("s", "m", vec![]))
        .await
        .unwrap();
    txn.rollback().await.unwrap();
}
