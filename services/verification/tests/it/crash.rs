//! Crashes of the real binary inside the AUTOMATICALLY_VERIFIED handler (fault injection):
//! between `/auth/get` and the commit, and between the commit and the ack. After a restart
//! without the fault there is exactly one stored result and one domain event. On SQLite and
//! PostgreSQL (whose server rolls back the transaction of a connection that died).

use std::time::Duration;

use penny_plaid::VerificationStatus;
use penny_proto::v1 as pb;
use penny_verification::domain::Verification;
use penny_verification::store::{accounts, entities};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::support::binary::{Binary, RunOptions};
use crate::support::events::events_of;
use crate::support::{
    DbKind, for_each_db, poll_events, spawn_on, start_stack, wait_webhooks_handled,
};

async fn crash_then_recover(kind: DbKind, point: &'static str) -> anyhow::Result<()> {
    let stack = start_stack(kind).await?;
    let logs = tempfile::tempdir()?;
    // Link with an in-process replica, then stop it: nobody consumes the webhook yet.
    let app = spawn_on(&stack, |_| {}).await?;
    let linked = app.link_account("user-crash").await?;
    let db = app.db.clone();
    app.stop().await?;

    stack
        .plaid
        .sandbox_item_set_verification_status(
            &linked.access_token,
            &linked.account_id,
            &VerificationStatus::AutomaticallyVerified,
        )
        .await?;
    let js = stack.jetstream().await?;
    penny_testkit::poll_until(Duration::from_secs(10), || async {
        let mut stream = js.get_stream(penny_bus::PLAID_WEBHOOKS).await.ok()?;
        (stream.info().await.ok()?.state.messages >= 1).then_some(())
    })
    .await?;

    // First run: aborts at the crash point.
    let mut crashing = Binary::spawn(
        &stack,
        &logs.path().join("crash.log"),
        &RunOptions {
            crash_at: Some(point),
            ..RunOptions::default()
        },
    )?;
    let status = crashing.wait_exit(Duration::from_secs(30)).await?;
    assert!(
        !status.success(),
        "the fault aborted the process: {status:?}"
    );
    let log = std::fs::read_to_string(&crashing.log)?;
    assert!(log.contains("fault injection"), "{log}");

    let account = accounts::find(&db, &linked.account_id)
        .await?
        .expect("account");
    let processed = penny_store::inbox::Entity::find().count(&db).await?;
    match point {
        "after-auth-get" => {
            assert_eq!(
                account.state()?.verification,
                Verification::Pending,
                "nothing committed"
            );
            assert_eq!(processed, 0);
        }
        _ => {
            assert_eq!(
                account.state()?.verification,
                Verification::Verified,
                "committed"
            );
            assert_eq!(processed, 1);
        }
    }

    // Second run: the redelivered webhook completes (or is recognised), the outbox relays.
    let mut recovering = Binary::spawn(
        &stack,
        &logs.path().join("recover.log"),
        &RunOptions::default(),
    )?;
    let events = poll_events(&js, &linked.account_id, "verified", 1).await?;
    wait_webhooks_handled(&stack).await?;
    recovering.terminate(Duration::from_secs(15)).await?;

    assert_eq!(events.len(), 1);
    assert_eq!(
        events_of(&js, &linked.account_id, "verified").await?.len(),
        1,
        "one event"
    );
    let account = accounts::find(&db, &linked.account_id)
        .await?
        .expect("account");
    assert_eq!(account.state()?.verification, Verification::Verified);
    assert!(account.has_numbers);
    assert_eq!(penny_store::inbox::Entity::find().count(&db).await?, 1);
    assert_eq!(
        entities::status_history::Entity::find()
            .filter(entities::status_history::Column::AccountId.eq(linked.account_id.as_str()))
            .count(&db)
            .await?,
        1,
        "one transition"
    );
    assert_eq!(
        entities::account_numbers::Entity::find().count(&db).await?,
        1,
        "one stored result"
    );
    assert_eq!(events[0].status, pb::AccountStatus::Verified as i32);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_between_auth_get_and_commit_loses_nothing() -> anyhow::Result<()> {
    for_each_db(|kind| crash_then_recover(kind, "after-auth-get")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_between_commit_and_ack_duplicates_nothing() -> anyhow::Result<()> {
    for_each_db(|kind| crash_then_recover(kind, "after-commit")).await
}
