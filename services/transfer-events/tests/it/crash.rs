//! The real binary killed at each crash point of the sync protocol (its own `--crash-at`
//! aborts the process there), then two survivors finish: no gap, no duplicate, each domain
//! event once. On SQLite and PostgreSQL (whose server rolls back the transaction of a
//! connection that died).

use penny_testkit::{BulkItems, EventFeed};

use crate::support::binary::{Binary, RunOptions};
use crate::support::{
    DbKind, SYNCED_WITHIN, for_each_db, ledger, posted_items, sandbox_events, spawn_on,
    start_stack, wait_synced,
};

/// 60 posted deposits: 120 events, 5 pages of 25 (the last one short).
const ITEMS: usize = 60;

async fn crash_then_survive(kind: DbKind, point: &'static str) -> anyhow::Result<()> {
    let stack = start_stack(kind).await?;
    let logs = tempfile::tempdir()?;
    posted_items(&stack, ITEMS).await?;
    let mut total = sandbox_events(&stack, EventFeed::BankTransfer).await?;
    let db = penny_transfer_events::store::connect(stack.db.url()).await?;

    // The crashing replica alone: its start-up sweep (or a poke) makes it sync.
    let sweep = (point != "after-poke-recorded").then_some("1h");
    let mut crashing = Binary::spawn(
        &stack,
        &logs.path().join("crash.log"),
        &RunOptions {
            crash_at: Some(point),
            sweep_interval: sweep,
        },
    )?;
    if point == "after-poke-recorded" {
        // Wait until it consumes, then poke once through ingress.
        penny_testkit::poll_until(SYNCED_WITHIN, || async {
            let js = stack.jetstream().await.ok()?;
            js.get_consumer_from_stream::<async_nats::jetstream::consumer::pull::Config, _, _>(
                crate::support::POKE_CONSUMER,
                penny_bus::PLAID_WEBHOOKS,
            )
            .await
            .ok()
        })
        .await?;
        stack.control.poke(EventFeed::BankTransfer, 1).await?;
    }
    let status = crashing.wait_exit(SYNCED_WITHIN).await?;
    assert!(
        !status.success(),
        "the fault aborted the process: {status:?}"
    );
    let log = std::fs::read_to_string(&crashing.log)?;
    assert!(log.contains("fault injection"), "{log}");

    // What the crash left: whole pages or nothing, the cursor the largest stored id.
    let row = penny_transfer_events::store::feed::read(
        &db,
        penny_transfer_events::domain::Feed::BankTransfer,
    )
    .await?;
    let stored = ledger::stored_ids(&db, "bank_transfer").await?;
    let left = u64::try_from(row.cursor)?;
    ledger::assert_exactly(&db, "bank_transfer", left).await?;
    match point {
        "after-poke-recorded" | "holding-lease" => {
            assert!(stored.is_empty(), "{point}: nothing fetched yet");
            assert!(
                row.served < row.requested,
                "{point}: the request survived the crash"
            );
        }
        "after-page-commit" => {
            assert_eq!(left, 25, "exactly one page, with its cursor");
            assert!(row.served < row.requested, "the sync was not finished");
        }
        "after-sync-commit" => {
            assert_eq!(left, total);
            assert_eq!(row.served, row.requested);
            // New events and a poke: the survivors must wait out the dead holder's lease.
            stack
                .control
                .create_items(&BulkItems {
                    count: 5,
                    ..BulkItems::default()
                })
                .await?;
            total = sandbox_events(&stack, EventFeed::BankTransfer).await?;
            stack.control.poke(EventFeed::BankTransfer, 1).await?;
        }
        other => anyhow::bail!("unknown point {other}"),
    }
    let crashed_fence = row.fence;

    // Two survivors finish the work.
    let survivors = [
        spawn_on(&stack, |_| {}).await?,
        spawn_on(&stack, |_| {}).await?,
    ];
    wait_synced(&stack, &survivors[0], total).await?;
    ledger::assert_exactly(&db, "bank_transfer", total).await?;
    let state = survivors[1].sync_state().await?;
    assert_eq!(state.events_recorded, total, "{point}: {state:?}");
    let runs = ledger::syncs(&db, "bank_transfer").await?;
    ledger::assert_forward_only(&runs);
    let after_crash = runs.iter().filter(|r| r.token > crashed_fence).count();
    assert!(
        after_crash >= 1,
        "{point}: a survivor synced under a newer token"
    );

    let js = stack.jetstream().await?;
    let events = penny_testkit::poll_until(SYNCED_WITHIN, || async {
        let e = ledger::deposit_events(&js).await.ok()?;
        (e.len() >= ITEMS).then_some(e)
    })
    .await?;
    let ids: std::collections::BTreeSet<&str> =
        events.iter().map(|(_, id, _)| id.as_str()).collect();
    assert_eq!(
        (events.len(), ids.len()),
        (ITEMS, ITEMS),
        "{point}: each posted event once"
    );
    for survivor in survivors {
        survivor.stop().await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_after_storing_a_page_before_finishing_the_sync() -> anyhow::Result<()> {
    for_each_db(|kind| crash_then_survive(kind, "after-page-commit")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_after_the_cursor_commit_before_releasing_the_lease() -> anyhow::Result<()> {
    for_each_db(|kind| crash_then_survive(kind, "after-sync-commit")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_while_holding_the_lease() -> anyhow::Result<()> {
    for_each_db(|kind| crash_then_survive(kind, "holding-lease")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_after_recording_a_poke_before_its_ack() -> anyhow::Result<()> {
    for_each_db(|kind| crash_then_survive(kind, "after-poke-recorded")).await
}

/// The crash points the binary knows are the ones tested here.
#[test]
fn every_crash_point_is_tested() {
    let tested = [
        "after-poke-recorded",
        "after-page-commit",
        "after-sync-commit",
        "holding-lease",
    ];
    let known: Vec<&str> = penny_transfer_events::crash::CrashPoint::ALL
        .iter()
        .map(|p| p.as_str())
        .collect();
    assert_eq!(known, tested);
}
