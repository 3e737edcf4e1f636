//! Plaid 429 and 500 storms during a sync: a burst longer than the Plaid client's retries
//! (the sync fails, is recorded, backs off, releases the lease, and a later sync resumes at the
//! cursor), then errors at random for the rest of the run. Everything is recorded once, and the
//! cursor is never ahead of what is stored, sampled all along.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use penny_testkit::{EndpointFault, EventFeed, ForcedError};
use penny_transfer_events::domain::Feed;
use penny_transfer_events::store::feed;

use crate::support::{
    DbKind, for_each_db, ledger, posted_items, sandbox_events, spawn_on, start_stack, wait_synced,
};

async fn storm_on(kind: DbKind, error: ForcedError) -> anyhow::Result<()> {
    let stack = start_stack(kind).await?;
    let app = spawn_on(&stack, |_| {}).await?;
    posted_items(&stack, 200).await?;
    let total = sandbox_events(&stack, EventFeed::BankTransfer).await?;
    let burst = EndpointFault {
        count: Some(10),
        ..EndpointFault::error("/bank_transfer/event/sync", error)
    };
    stack.control.add_fault(&burst).await?;
    let flaky = EndpointFault {
        probability: Some(0.3),
        ..EndpointFault::error("*", error)
    };
    stack.control.add_fault(&flaky).await?;

    // Sample while it syncs: every event up to the cursor is stored, at every instant.
    let done = Arc::new(AtomicBool::new(false));
    let samples = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (db, done, samples) = (app.db.clone(), Arc::clone(&done), Arc::clone(&samples));
        tokio::spawn(async move {
            let mut seen = std::collections::BTreeSet::new();
            while !done.load(Ordering::SeqCst) {
                let cursor = feed::read(&db, Feed::BankTransfer).await?.cursor;
                let ids = ledger::stored_ids(&db, "bank_transfer").await?;
                let below = ids.iter().filter(|id| **id <= cursor).count();
                anyhow::ensure!(
                    i64::try_from(below)? == cursor,
                    "cursor {cursor} is ahead of what is stored ({below} events at or below it)"
                );
                seen.insert(cursor);
                samples.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Ok::<_, anyhow::Error>(seen.len())
        })
    };
    app.sync_now().await?;
    wait_synced(&stack, &app, total).await?;
    done.store(true, Ordering::SeqCst);
    let cursors_seen = sampler.await??;
    stack.control.clear_faults().await?;

    ledger::assert_exactly(&app.db, "bank_transfer", total).await?;
    let state = app.sync_state().await?;
    assert_eq!(state.events_recorded, total);
    assert!(
        state.sync_failures >= 1,
        "the burst outlasted the client's retries: {state:?}"
    );
    assert!(
        cursors_seen >= 2,
        "sampled the cursor moving ({cursors_seen} values)"
    );
    assert!(samples.load(Ordering::SeqCst) >= 5);
    let runs = ledger::syncs(&app.db, "bank_transfer").await?;
    ledger::assert_forward_only(&runs);
    assert!(runs.iter().any(|r| r.outcome == "failed"));
    let stats = stack.control.stats().await?;
    assert!(stats.endpoint("/bank_transfer/event/sync").errors >= 10);
    let metrics = app.metrics().await?;
    assert!(
        metrics.contains("penny_transfer_events_syncs_total{outcome=\"failed\"}"),
        "{metrics}"
    );
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_429_storm_records_everything_once_and_never_puts_the_cursor_ahead() -> anyhow::Result<()>
{
    for_each_db(|kind| storm_on(kind, ForcedError::RateLimit)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_500_storm_records_everything_once_and_never_puts_the_cursor_ahead() -> anyhow::Result<()>
{
    for_each_db(|kind| storm_on(kind, ForcedError::InternalServerError)).await
}
