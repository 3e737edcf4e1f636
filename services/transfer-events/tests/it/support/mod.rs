//! The harness: the testkit [`Stack`] (real NATS, the real sandbox, the real ingress, so the
//! sandbox's signed pokes travel the production path into `PLAID_WEBHOOKS`, and SQLite or
//! PostgreSQL) with transfer-events replicas on port 0, typed gRPC clients per scope, and
//! readers of what reached the database and `PENNY_EVENTS`.

mod app;
pub mod binary;
pub mod ledger;

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use penny_testkit::{Advance, BulkItems, CreatedItem, DepositShape, EventFeed};
use penny_transfer_events::domain::{AchEvent, Direction, Feed, Stage};

pub use app::{TestApp, spawn_on};
pub use penny_testkit::{DbKind, Stack, for_each_db, poll_until};

/// Bearer tokens the test apps accept.
pub const STATUS_TOKEN: &str = "test-status-token-0123456789";
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";
pub const ALL_TOKEN: &str = "test-all-token-0123456789";

/// The `PENNY_TRANSFER_EVENTS_API_TOKENS` value for the tokens above.
pub fn api_tokens() -> String {
    format!("reader:{STATUS_TOKEN}:status,ops:{ADMIN_TOKEN}:admin,all:{ALL_TOKEN}:status+admin")
}

/// The poke consumer's durable name.
pub const POKE_CONSUMER: &str = "transfer-events";

/// Long enough for a sync of a few hundred events on a busy 2-core machine.
pub const SYNCED_WITHIN: Duration = Duration::from_secs(60);

/// A stack whose sandbox sends BANK_TRANSFERS and TRANSFER pokes to ingress.
pub async fn start_stack(kind: DbKind) -> anyhow::Result<Arc<Stack>> {
    penny_testkit::init();
    let stack = Stack::start(kind).await?;
    stack
        .control
        .set_bank_transfers_webhook(Some(&stack.webhook_url()))
        .await?;
    Ok(Arc::new(stack))
}

/// A Bank Transfers event `id` of credit `bt-1` to account `acc` reporting `stage`.
pub fn event(id: u64, stage: Stage) -> AchEvent {
    AchEvent {
        feed: Feed::BankTransfer,
        event_id: id,
        occurred_at: chrono::Utc::now(),
        plaid_event_type: stage.as_str().to_owned(),
        stage: Some(stage),
        account_id: Some("acc".into()),
        transfer_id: Some("bt-1".into()),
        direction: Some(Direction::Credit),
        amount: Some("0.01".into()),
        currency: Some("USD".into()),
        ach_return_code: None,
        failure_description: None,
    }
}

/// A fresh, migrated database of `kind` with the Bank Transfers feed's row, for store-level
/// tests (keep the [`penny_testkit::TestDb`]: dropping it drops the database).
pub async fn migrated_db(
    kind: DbKind,
) -> anyhow::Result<(penny_testkit::TestDb, sea_orm::DatabaseConnection)> {
    use penny_transfer_events::store;
    let test_db = penny_testkit::TestDb::new(kind).await?;
    let db = store::connect(test_db.url()).await?;
    store::migrate(&db).await?;
    store::feed::ensure(&db, Feed::BankTransfer).await?;
    Ok((test_db, db))
}

/// `count` Items with pending deposits of `shape` in `feed`.
pub async fn items(
    stack: &Stack,
    count: usize,
    shape: DepositShape,
    feed: EventFeed,
) -> anyhow::Result<Vec<CreatedItem>> {
    let made = stack
        .control
        .create_items(&BulkItems {
            count,
            deposit_shape: Some(shape),
            feed: Some(feed),
            ..BulkItems::default()
        })
        .await?;
    Ok(made.items)
}

/// `count` single-deposit Items in the Bank Transfers feed, every deposit posted: `2 × count`
/// events.
pub async fn posted_items(stack: &Stack, count: usize) -> anyhow::Result<Vec<CreatedItem>> {
    let made = items(stack, count, DepositShape::Single, EventFeed::BankTransfer).await?;
    stack
        .control
        .advance_transfers(&Advance::to("posted"))
        .await?;
    Ok(made)
}

/// The number of events in the sandbox's `feed`.
pub async fn sandbox_events(stack: &Stack, feed: EventFeed) -> anyhow::Result<u64> {
    let counts = stack.control.transfer_counts().await?;
    Ok(match feed {
        EventFeed::BankTransfer => counts.bank_transfer.events,
        EventFeed::Transfer => counts.transfer.events,
    })
}

/// Waits until the app's feed has every one of the sandbox's `events` stored, every request is
/// served, and every poke is handled.
pub async fn wait_synced(stack: &Stack, app: &TestApp, events: u64) -> anyhow::Result<()> {
    poll_until(SYNCED_WITHIN, || async {
        let s = app.sync_state().await.ok()?;
        (s.cursor == events && s.served_generation == s.requested_generation).then_some(())
    })
    .await
    .with_context(|| format!("the feed never caught up with {events} events"))?;
    stack
        .wait_consumer_drained(penny_bus::PLAID_WEBHOOKS, POKE_CONSUMER)
        .await
}
