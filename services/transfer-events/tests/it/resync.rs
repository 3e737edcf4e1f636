//! `Resync`: re-reading the feed from an earlier cursor under the same lease and fence. From 0
//! it stores and announces nothing twice and leaves the cursor where it was; an event removed
//! from the ledger is restored (with the resync's trace id) and its deposit, already past it,
//! announces nothing; a cursor above the stored one is refused with nothing recorded; normal
//! syncs afterwards go on from the cursor. Each event carries the trace id of the sync that
//! recorded it. On SQLite and PostgreSQL.

use penny_proto::v1 as pb;
use penny_transfer_events::store::entities::{ach_event, sync_feed};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use tonic::Code;

use crate::support::{
    DbKind, STATUS_TOKEN, Stack, TestApp, for_each_db, ledger, posted_items, sandbox_events,
    spawn_on, start_stack, wait_synced,
};
use penny_testkit::EventFeed;

const FEED: &str = "bank_transfer";

/// The stored trace id of each event, by event id.
async fn trace_ids(db: &DatabaseConnection) -> anyhow::Result<Vec<(i64, Option<String>)>> {
    Ok(ach_event::Entity::find()
        .filter(ach_event::Column::Feed.eq(FEED))
        .all(db)
        .await?
        .into_iter()
        .map(|e| (e.event_id, e.trace_id))
        .collect())
}

async fn outbox_rows(db: &DatabaseConnection) -> anyhow::Result<u64> {
    Ok(penny_store::outbox::Entity::find().count(db).await?)
}

fn is_trace_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && s != "0".repeat(32)
}

/// Resyncs after `after_id` and waits until the sync serving it completed.
async fn resync(stack: &Stack, app: &TestApp, after_id: u64) -> anyhow::Result<pb::ResyncResponse> {
    let asked = app
        .client()
        .await?
        .resync(pb::ResyncRequest { after_id })
        .await?
        .into_inner();
    penny_testkit::poll_until(crate::support::SYNCED_WITHIN, || async {
        let s = app.sync_state().await.ok()?;
        (s.served_generation >= asked.generation).then_some(())
    })
    .await?;
    stack
        .wait_consumer_drained(penny_bus::PLAID_WEBHOOKS, crate::support::POKE_CONSUMER)
        .await?;
    Ok(asked)
}

async fn resync_on(kind: DbKind) -> anyhow::Result<()> {
    let stack = start_stack(kind).await?;
    let app = spawn_on(&stack, |_| {}).await?;
    let made = posted_items(&stack, 3).await?;
    let total = sandbox_events(&stack, EventFeed::BankTransfer).await?;
    assert_eq!(total, 6);
    app.sync_now().await?;
    wait_synced(&stack, &app, total).await?;
    let js = stack.jetstream().await?;
    let announced = penny_testkit::poll_until(crate::support::SYNCED_WITHIN, || async {
        let e = ledger::deposit_events(&js).await.ok()?;
        (e.len() == made.len()).then_some(e)
    })
    .await?;
    let outbox_before = outbox_rows(&app.db).await?;
    let before = app.sync_state().await?;

    // Every event carries the trace id of the sync that recorded it, in the API too.
    let first = trace_ids(&app.db).await?;
    assert_eq!(first.len(), 6);
    let synced_in = first[0].1.clone().unwrap();
    assert!(is_trace_id(&synced_in), "{synced_in}");
    let listed = app.events_of(&made[0].account_id).await?;
    assert!(!listed.is_empty());
    for event in &listed {
        assert!(is_trace_id(&event.trace_id), "{event:?}");
    }

    // From 0: every event re-read, none stored or announced twice; the cursor stays.
    let asked = resync(&stack, &app, 0).await?;
    assert_eq!(asked.cursor, total);
    ledger::assert_exactly(&app.db, FEED, total).await?;
    assert_eq!(trace_ids(&app.db).await?, first, "stored events untouched");
    assert_eq!(
        outbox_rows(&app.db).await?,
        outbox_before,
        "no second domain event"
    );
    let after = app.sync_state().await?;
    assert_eq!(after.cursor, total);
    assert_eq!(after.events_recorded, before.events_recorded);
    let runs = ledger::syncs(&app.db, FEED).await?;
    let last = runs.last().unwrap();
    assert_eq!((last.from_cursor, last.to_cursor), (0, 6), "{last:?}");
    assert_eq!(last.outcome, "completed");
    let row = sync_feed::Entity::find_by_id(FEED.to_owned())
        .one(&app.db)
        .await?
        .unwrap();
    assert_eq!((row.resync_after, row.replay_at), (None, None));

    // An event lost from the ledger (a posted one) comes back from a resync below it; its
    // deposit already posted, so nothing is announced again.
    let lost = ach_event::Entity::delete_many()
        .filter(ach_event::Column::Feed.eq(FEED))
        .filter(ach_event::Column::EventId.eq(5))
        .exec(&app.db)
        .await?;
    assert_eq!(lost.rows_affected, 1);
    resync(&stack, &app, 3).await?;
    ledger::assert_exactly(&app.db, FEED, total).await?;
    let restored = trace_ids(&app.db).await?;
    let trace_of_5 = restored.iter().find(|(id, _)| *id == 5).unwrap().1.clone();
    let trace_of_5 = trace_of_5.unwrap();
    assert!(
        is_trace_id(&trace_of_5) && trace_of_5 != synced_in,
        "{trace_of_5}"
    );
    assert_eq!(outbox_rows(&app.db).await?, outbox_before);
    assert_eq!(
        app.sync_state().await?.events_recorded,
        before.events_recorded + 1
    );

    // Above the cursor: refused, naming the field and the cursor, nothing recorded. A reader may
    // not resync at all.
    let unchanged = app.sync_state().await?;
    let err = app
        .client()
        .await?
        .resync(pb::ResyncRequest { after_id: 7 })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert!(
        err.message().contains("after_id") && err.message().contains("cursor 6"),
        "{}",
        err.message()
    );
    let err = app
        .client_with(Some(STATUS_TOKEN))
        .await?
        .resync(pb::ResyncRequest { after_id: 0 })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    let state = app.sync_state().await?;
    assert_eq!(
        (state.requested_generation, state.cursor),
        (unchanged.requested_generation, unchanged.cursor)
    );

    // Normal syncs go on from the cursor, never back.
    let more = posted_items(&stack, 1).await?;
    app.sync_now().await?;
    wait_synced(&stack, &app, total + 2).await?;
    ledger::assert_exactly(&app.db, FEED, total + 2).await?;
    let runs = ledger::syncs(&app.db, FEED).await?;
    assert_eq!(runs.last().unwrap().from_cursor, 6);
    let announced_after = penny_testkit::poll_until(crate::support::SYNCED_WITHIN, || async {
        let e = ledger::deposit_events(&js).await.ok()?;
        (e.len() == made.len() + more.len()).then_some(e)
    })
    .await?;
    assert_eq!(announced_after[..announced.len()], announced[..]);
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_resync_from_an_earlier_cursor_restores_what_is_missing_and_duplicates_nothing()
-> anyhow::Result<()> {
    for_each_db(resync_on).await
}
