//! 1,000 identical pokes at once against three replicas: every sandbox event recorded exactly
//! once, the cursor only moves forward, and a handful of syncs serve them all.

use penny_testkit::{DeliveryOutcome, EventFeed};

use crate::support::{
    DbKind, for_each_db, ledger, posted_items, sandbox_events, spawn_on, start_stack, wait_synced,
};

/// "A handful": the syncs the 1,000 pokes may cause (each sync serves every poke that arrived
/// before it started; a poke arriving during one causes at most one more).
const HANDFUL: u64 = 12;

async fn a_thousand_pokes_on(kind: DbKind) -> anyhow::Result<()> {
    let stack = start_stack(kind).await?;
    let made = posted_items(&stack, 150).await?;
    let total = sandbox_events(&stack, EventFeed::BankTransfer).await?;
    assert_eq!(total, 300);
    let replicas = [
        spawn_on(&stack, |_| {}).await?,
        spawn_on(&stack, |_| {}).await?,
        spawn_on(&stack, |_| {}).await?,
    ];
    let sent = stack.control.poke(EventFeed::BankTransfer, 1000).await?;
    assert_eq!(sent, 1000);
    // Every poke made it through ingress into the stream (Plaid's retries included).
    penny_testkit::poll_until(crate::support::SYNCED_WITHIN, || async {
        let log = stack
            .control
            .webhook_attempts("BANK_TRANSFERS_EVENTS_UPDATE")
            .await
            .ok()?;
        let delivered = log
            .iter()
            .filter(|a| a.outcome == DeliveryOutcome::Delivered)
            .count();
        (delivered == 1000).then_some(())
    })
    .await?;
    wait_synced(&stack, &replicas[0], total).await?;

    let state = replicas[1].sync_state().await?;
    ledger::assert_exactly(&replicas[2].db, "bank_transfer", total).await?;
    assert_eq!(state.events_recorded, total);
    // At least once each (a redelivered poke is recorded again, and coalesced).
    assert!(state.pokes_received >= 1000, "{state:?}");
    assert!(
        (1..=HANDFUL).contains(&state.syncs_run),
        "{} syncs for 1,000 pokes",
        state.syncs_run
    );
    assert_eq!(
        state.pokes_coalesced,
        state.pokes_received - state.requested_generation
    );
    let runs = ledger::syncs(&replicas[0].db, "bank_transfer").await?;
    ledger::assert_forward_only(&runs);
    let completed = runs.iter().filter(|r| r.outcome == "completed").count() as u64;
    assert_eq!(completed, state.syncs_run);
    let holders: std::collections::BTreeSet<&str> =
        runs.iter().map(|r| r.holder.as_str()).collect();
    tracing::info!(syncs = state.syncs_run, ?holders, "1,000 pokes served");

    // One posted domain event per deposit, whatever the replicas did.
    let js = stack.jetstream().await?;
    let events = penny_testkit::poll_until(crate::support::SYNCED_WITHIN, || async {
        let e = ledger::deposit_events(&js).await.ok()?;
        (e.len() >= made.len()).then_some(e)
    })
    .await?;
    assert_eq!(events.len(), made.len());
    let ids: std::collections::BTreeSet<&str> =
        events.iter().map(|(_, id, _)| id.as_str()).collect();
    assert_eq!(ids.len(), made.len(), "each domain event once");
    assert!(
        events
            .iter()
            .all(|(s, _, _)| s == "penny.event.deposit.posted")
    );
    for replica in replicas {
        replica.stop().await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_identical_pokes_on_three_replicas_make_a_handful_of_syncs() -> anyhow::Result<()>
{
    for_each_db(a_thousand_pokes_on).await
}
