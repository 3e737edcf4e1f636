//! Transfer mode (`PENNY_TRANSFER_EVENTS_MODE=transfer`): TRANSFER_EVENTS_UPDATE pokes,
//! `/transfer/event/sync` paged by `has_more`; `settled` and `funds_available` keep a deposit
//! posted, a late `returned` reverses it, sweeps are recorded but are no deposit; the same
//! ledger and domain events as the Bank Transfers feed.

use penny_proto::v1 as pb;
use penny_testkit::{Advance, DepositShape, EventFeed};
use penny_transfer_events::domain::Feed;
use penny_transfer_events::store::entities::{ach_event, deposit};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::support::{
    DbKind, SYNCED_WITHIN, for_each_db, items, ledger, poll_until, sandbox_events, spawn_on,
    start_stack, wait_synced,
};

async fn transfer_mode_on(kind: DbKind) -> anyhow::Result<()> {
    let stack = start_stack(kind).await?;
    let app = spawn_on(&stack, |c| {
        c.mode = Feed::Transfer;
        c.sync.page_size = Some(2);
    })
    .await?;
    let made = items(&stack, 2, DepositShape::Single, EventFeed::Transfer).await?;
    let (f, g) = (made[0].account_id.clone(), made[1].account_id.clone());
    let h = items(&stack, 1, DepositShape::LegacySameDay, EventFeed::Transfer).await?[0]
        .account_id
        .clone();
    let control = &stack.control;
    control
        .advance_transfers(&Advance::to("posted").accounts([&f, &g]))
        .await?;
    control
        .advance_transfers(&Advance::to("settled").accounts([&f, &g]))
        .await?;
    control
        .advance_transfers(&Advance::to("funds_available").accounts([&g]))
        .await?;
    control
        .advance_transfers(&Advance::to("returned").accounts([&f]).return_code("R16"))
        .await?;
    control.sweep("-0.02").await?;
    // A Bank Transfers poke means nothing in this mode; the Transfer poke starts the sync.
    control.poke(EventFeed::BankTransfer, 1).await?;
    control.poke(EventFeed::Transfer, 1).await?;
    let total = sandbox_events(&stack, EventFeed::Transfer).await?;
    assert_eq!(total, 5 + 2 + 2 + 1 + 1 + 1);
    wait_synced(&stack, &app, total).await?;
    ledger::assert_exactly(&app.db, "transfer", total).await?;

    let status = app.deposit_status(&f).await?;
    let dep = &status.deposits[0];
    assert_eq!(
        dep.state,
        pb::DepositState::Reversed as i32,
        "returned after settled"
    );
    assert_eq!(dep.plaid_event_type, "returned");
    assert_eq!(
        dep.return_category,
        pb::ReturnCategory::AccountFrozen as i32
    );
    assert_eq!(dep.feed, "transfer");
    let dep = &app.deposit_status(&g).await?.deposits[0];
    assert_eq!(dep.state, pb::DepositState::Posted as i32);
    assert_eq!(dep.plaid_event_type, "funds_available");
    assert!(dep.available_at.is_some());
    let h_status = app.deposit_status(&h).await?;
    assert_eq!(h_status.deposits.len(), 3);
    assert!(
        h_status
            .deposits
            .iter()
            .all(|d| d.state == pb::DepositState::Pending as i32)
    );
    assert_eq!(
        h_status.summary.unwrap().state,
        pb::DepositState::Pending as i32
    );

    // The sweep is in the ledger, and no deposit.
    let sweeps = ach_event::Entity::find()
        .filter(ach_event::Column::PlaidEventType.eq("sweep.posted"))
        .all(&app.db)
        .await?;
    assert_eq!(sweeps.len(), 1);
    assert!(sweeps[0].stage.is_none() && sweeps[0].account_id.is_none());
    assert_eq!(deposit::Entity::find().count(&app.db).await?, 5);

    let state = app.sync_state().await?;
    assert_eq!(state.feed, "transfer");
    assert!(
        state.pages_fetched >= total / 2,
        "paged by has_more: {state:?}"
    );
    let metrics = app.metrics().await?;
    assert!(
        metrics.contains("penny_transfer_events_pokes_other_feed_total 1"),
        "{metrics}"
    );

    let js = stack.jetstream().await?;
    let events = poll_until(SYNCED_WITHIN, || async {
        let e = ledger::deposit_events(&js).await.ok()?;
        (e.len() >= 3).then_some(e)
    })
    .await?;
    let subjects: Vec<(&str, &str)> = events
        .iter()
        .map(|(s, _, e)| (s.as_str(), e.account_id.as_str()))
        .collect();
    assert_eq!(
        subjects,
        [
            ("penny.event.deposit.posted", f.as_str()),
            ("penny.event.deposit.posted", g.as_str()),
            ("penny.event.deposit.reversed", f.as_str()),
        ],
        "posted once (not again when settled or available), then the return"
    );
    assert!(events.iter().all(|(_, _, e)| e.feed == "transfer"));
    assert_eq!(events[2].2.ach_return_code, "R16");
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn transfer_mode_records_the_same_ledger_and_events() -> anyhow::Result<()> {
    for_each_db(transfer_mode_on).await
}
