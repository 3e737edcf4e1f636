//! Pokes lost (the sandbox drops every webhook): the periodic sweep still records everything.

use std::time::Duration;

use penny_testkit::{Advance, DeliveryOutcome, EventFeed, WebhookFaults};

use crate::support::{
    DbKind, for_each_db, ledger, posted_items, sandbox_events, spawn_on, start_stack, wait_synced,
};

async fn lost_pokes_on(kind: DbKind) -> anyhow::Result<()> {
    let stack = start_stack(kind).await?;
    stack
        .control
        .set_webhook_faults(&WebhookFaults {
            drop_probability: Some(1.0),
            ..WebhookFaults::default()
        })
        .await?;
    let app = spawn_on(&stack, |c| c.sync.sweep_interval = Duration::from_secs(1)).await?;
    posted_items(&stack, 40).await?;
    let mut advance = Advance::to("reversed").return_code("R03");
    advance.limit = Some(5);
    advance.poke = Some(true);
    stack.control.advance_transfers(&advance).await?;
    stack.control.poke(EventFeed::BankTransfer, 3).await?;
    let total = sandbox_events(&stack, EventFeed::BankTransfer).await?;
    assert_eq!(total, 85);

    wait_synced(&stack, &app, total).await?;
    ledger::assert_exactly(&app.db, "bank_transfer", total).await?;
    let state = app.sync_state().await?;
    assert_eq!(state.pokes_received, 0, "every poke was lost: {state:?}");
    let attempts = stack
        .control
        .webhook_attempts("BANK_TRANSFERS_EVENTS_UPDATE")
        .await?;
    assert_eq!(attempts.len(), 4);
    assert!(
        attempts
            .iter()
            .all(|a| a.outcome == DeliveryOutcome::Dropped)
    );
    let metrics = app.metrics().await?;
    assert!(
        metrics.contains("penny_transfer_events_sync_requests_total{kind=\"sweep\"}"),
        "{metrics}"
    );
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lost_pokes_are_made_up_by_the_sweep() -> anyhow::Result<()> {
    for_each_db(lost_pokes_on).await
}
