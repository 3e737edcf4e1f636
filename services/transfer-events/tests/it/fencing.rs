//! The database is the fence: a stale lease holder's writes are refused, and a refused page
//! leaves nothing behind (events, deposits, outbox rows, cursor). On SQLite and PostgreSQL.

use penny_transfer_events::domain::{AchEvent, Feed, Stage};
use penny_transfer_events::store::{self, feed, page};
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::support::{DbKind, event, for_each_db, ledger, migrated_db};

fn page_of(token: u64, run_id: i64, from: u64, events: &[AchEvent]) -> page::Page<'_> {
    page::Page {
        feed: Feed::BankTransfer,
        token,
        run_id,
        from,
        cursor: from,
        events,
        finish: None,
        trace_id: None,
    }
}

async fn outbox_rows(db: &sea_orm::DatabaseConnection) -> anyhow::Result<u64> {
    Ok(penny_store::outbox::Entity::find().count(db).await?)
}

async fn a_stale_holder_is_refused_on(kind: DbKind) -> anyhow::Result<()> {
    let (_test_db, db) = migrated_db(kind).await?;
    let now = store::now();
    feed::request(&db, Feed::BankTransfer, feed::RequestKind::Manual, now).await?;

    assert!(feed::claim(&db, Feed::BankTransfer, 5).await?);
    // Token 3 is older than the fence: it can neither start nor commit.
    assert_eq!(
        feed::start(&db, Feed::BankTransfer, 3, "stale", now).await?,
        feed::Start::Fenced
    );
    let first = [event(1, Stage::Pending), event(2, Stage::Posted)];
    let refused = page::commit(&db, page_of(3, 0, 0, &first), now).await;
    assert!(
        matches!(refused, Err(page::CommitError::Fenced)),
        "{refused:?}"
    );
    assert!(ledger::stored_ids(&db, "bank_transfer").await?.is_empty());
    assert_eq!(outbox_rows(&db).await?, 0);

    let feed::Start::Started(feed::Taken {
        run_id,
        cursor,
        generation,
        ..
    }) = feed::start(&db, Feed::BankTransfer, 5, "live", now).await?
    else {
        panic!("the holder of the fence starts");
    };
    assert_eq!((cursor, generation), (0, 1));
    // The cursor is compared too: a page fetched from elsewhere is refused.
    let wrong_cursor = page::commit(&db, page_of(5, run_id, 7, &first), now).await;
    assert!(matches!(wrong_cursor, Err(page::CommitError::Fenced)));
    let committed = page::commit(&db, page_of(5, run_id, 0, &first), now).await?;
    assert_eq!(committed.cursor, 2);
    assert_eq!(committed.recorded.len(), 2);
    assert_eq!(outbox_rows(&db).await?, 1, "posted announced once");

    // An older token cannot claim; a newer one locks the current holder out at once.
    assert!(!feed::claim(&db, Feed::BankTransfer, 4).await?);
    assert!(feed::claim(&db, Feed::BankTransfer, 9).await?);
    let late = [event(3, Stage::Reversed)];
    let refused = page::commit(&db, page_of(5, run_id, 2, &late), now).await;
    assert!(matches!(refused, Err(page::CommitError::Fenced)));
    assert_eq!(ledger::stored_ids(&db, "bank_transfer").await?, [1, 2]);
    assert_eq!(outbox_rows(&db).await?, 1);
    let row = feed::read(&db, Feed::BankTransfer).await?;
    assert_eq!((row.cursor, row.fence, row.served), (2, 9, 0));

    // A repeated page (same events again, from the right cursor) stores nothing twice.
    let again = page::commit(&db, page_of(9, run_id, 2, &first), now).await?;
    assert!(again.recorded.is_empty());
    assert_eq!(ledger::stored_ids(&db, "bank_transfer").await?, [1, 2]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_holder_is_refused_and_leaves_nothing() -> anyhow::Result<()> {
    for_each_db(a_stale_holder_is_refused_on).await
}
