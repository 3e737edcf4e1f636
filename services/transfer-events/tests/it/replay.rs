//! The store's side of a resync and of the pokes' trace contexts, page by page: a replay below
//! the cursor is fenced and compare-and-set like any page, resumes where a stale holder stopped,
//! never moves the cursor back, and hands over to normal paging at the cursor; a resync above
//! the cursor records nothing; a generation keeps at most 128 poke trace contexts and counts the
//! rest, and forgets them once served. On SQLite and PostgreSQL.

use penny_transfer_events::domain::{AchEvent, Feed, Stage};
use penny_transfer_events::store::entities::poke_traces;
use penny_transfer_events::store::feed::resync::{self, Resync};
use penny_transfer_events::store::feed::{self, RequestKind, Start, Taken};
use penny_transfer_events::store::{self, page};
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

use crate::support::{DbKind, event, for_each_db, ledger, migrated_db};

const BT: Feed = Feed::BankTransfer;

fn events(ids: std::ops::RangeInclusive<u64>) -> Vec<AchEvent> {
    ids.map(|id| event(id, Stage::Pending)).collect()
}

async fn commit(
    db: &DatabaseConnection,
    token: u64,
    taken: &Taken,
    (from, cursor): (u64, u64),
    events: &[AchEvent],
    last: bool,
) -> Result<page::Committed, page::CommitError> {
    page::commit(
        db,
        page::Page {
            feed: BT,
            token,
            run_id: taken.run_id,
            from,
            cursor,
            events,
            finish: last.then_some(taken.generation),
            trace_id: Some("0123456789abcdef0123456789abcdef"),
        },
        store::now(),
    )
    .await
}

async fn start(db: &DatabaseConnection, token: u64) -> anyhow::Result<Taken> {
    match feed::start(db, BT, token, "holder", store::now()).await? {
        Start::Started(taken) => Ok(taken),
        other => anyhow::bail!("did not start: {other:?}"),
    }
}

async fn replay_on(kind: DbKind) -> anyhow::Result<()> {
    let (_test_db, db) = migrated_db(kind).await?;
    let now = store::now();

    // Events 1..=4 stored by a normal sync.
    feed::request(&db, BT, RequestKind::Manual, now).await?;
    assert!(feed::claim(&db, BT, 5).await?);
    let first = start(&db, 5).await?;
    assert_eq!((first.from, first.cursor), (0, 0));
    commit(&db, 5, &first, (0, 0), &events(1..=4), true).await?;

    // Resyncs: the lowest waiting one wins; above the cursor nothing is recorded.
    let Resync::Requested { requested, cursor } = resync::request(&db, BT, 0, now).await? else {
        panic!("0 is below the cursor");
    };
    assert_eq!((requested.generation, cursor), (2, 4));
    let Resync::Requested { requested, .. } = resync::request(&db, BT, 2, now).await? else {
        panic!("2 is below the cursor");
    };
    assert!(!requested.new_request, "joins the waiting generation");
    let row = feed::read(&db, BT).await?;
    assert_eq!(
        resync::request(&db, BT, 5, now).await?,
        Resync::BeyondCursor { cursor: 4 }
    );
    assert_eq!(feed::read(&db, BT).await?, row, "nothing recorded");
    assert_eq!(row.resync_after, Some(0));

    // The replay pages from 0; the cursor stays at 4; `replay_at` follows it.
    let replay = start(&db, 5).await?;
    assert_eq!((replay.from, replay.cursor, replay.generation), (0, 4, 2));
    let row = feed::read(&db, BT).await?;
    assert_eq!((row.resync_after, row.replay_at), (None, Some(0)));
    let page = commit(&db, 5, &replay, (0, 4), &events(1..=2), false).await?;
    assert!(
        page.recorded.is_empty(),
        "stored events are not stored again"
    );
    assert_eq!((page.cursor, page.next), (4, 2));
    assert_eq!(feed::read(&db, BT).await?.replay_at, Some(2));
    // A page from elsewhere than `replay_at` is refused.
    let wrong = commit(&db, 5, &replay, (1, 4), &events(2..=3), false).await;
    assert!(matches!(wrong, Err(page::CommitError::Fenced)), "{wrong:?}");

    // A newer holder takes over: the stale one is refused, the new one resumes at `replay_at`.
    assert!(feed::claim(&db, BT, 9).await?);
    let stale = commit(&db, 5, &replay, (2, 4), &events(3..=4), false).await;
    assert!(matches!(stale, Err(page::CommitError::Fenced)), "{stale:?}");
    let resumed = start(&db, 9).await?;
    assert_eq!((resumed.from, resumed.cursor), (2, 4));
    // The page reaching past the cursor ends the replay and moves the cursor forward.
    let crossing = commit(&db, 9, &resumed, (2, 4), &events(3..=5), false).await?;
    assert_eq!(crossing.recorded.len(), 1, "only event 5 is new");
    assert_eq!((crossing.cursor, crossing.next), (5, 5));
    assert_eq!(feed::read(&db, BT).await?.replay_at, None);
    commit(&db, 9, &resumed, (5, 5), &[], true).await?;
    let row = feed::read(&db, BT).await?;
    assert_eq!((row.cursor, row.served, row.replay_at), (5, 2, None));
    ledger::assert_exactly(&db, "bank_transfer", 5).await?;
    Ok(())
}

async fn poke_traces_on(kind: DbKind) -> anyhow::Result<()> {
    let (_test_db, db) = migrated_db(kind).await?;
    let now = store::now();
    let traceparent = |i: usize| format!("00-{:032x}-{:016x}-01", i + 1, i + 1);
    let batch: Vec<String> = (0..100).map(traceparent).collect();
    feed::request_traced(&db, BT, RequestKind::Pokes(100), &batch, now).await?;
    let more: Vec<String> = (100..130).map(traceparent).collect();
    feed::request_traced(&db, BT, RequestKind::Pokes(30), &more, now).await?;

    assert!(feed::claim(&db, BT, 1).await?);
    let taken = start(&db, 1).await?;
    assert_eq!(taken.pokes.traceparents.len(), 128);
    assert_eq!(taken.pokes.dropped, 2);
    assert_eq!(
        taken.pokes.traceparents[..],
        (0..128).map(traceparent).collect::<Vec<_>>()[..]
    );
    // Pokes during the sync go to the next generation, not this one.
    feed::request_traced(&db, BT, RequestKind::Pokes(1), &[traceparent(500)], now).await?;
    commit(&db, 1, &taken, (0, 0), &[], true).await?;
    assert_eq!(
        poke_traces::Entity::find().count(&db).await?,
        1,
        "served ones forgotten"
    );
    let next = start(&db, 1).await?;
    assert_eq!(next.pokes.traceparents, [traceparent(500)]);
    assert_eq!(next.pokes.dropped, 0);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replay_is_fenced_resumable_and_never_moves_the_cursor_back() -> anyhow::Result<()> {
    for_each_db(replay_on).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_generation_keeps_at_most_128_poke_traces_and_forgets_them_once_served()
-> anyhow::Result<()> {
    for_each_db(poke_traces_on).await
}
