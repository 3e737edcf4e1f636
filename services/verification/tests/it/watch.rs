//! `WatchAccounts` streams committed changes, including those made by another replica.

use std::time::Duration;

use futures::StreamExt;
use penny_plaid::VerificationStatus;
use penny_proto::v1 as pb;

use crate::support::{DbKind, for_each_db, spawn_on, start_stack};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_watcher_on_one_replica_sees_changes_made_on_another() -> anyhow::Result<()> {
    for_each_db(a_watcher_on_one_replica_sees_changes_made_on_another_on).await
}

async fn a_watcher_on_one_replica_sees_changes_made_on_another_on(
    kind: DbKind,
) -> anyhow::Result<()> {
    let stack = start_stack(kind).await?;
    let a = spawn_on(&stack, |_| {}).await?;
    let b = spawn_on(&stack, |_| {}).await?;
    let linked = b.link_account("user-watch").await?;
    let other = b.link_account("user-other").await?;

    let mut mine = a
        .client()
        .await?
        .watch_accounts(pb::WatchAccountsRequest {
            user_id: "user-watch".into(),
        })
        .await?
        .into_inner();
    let mut everyone = a
        .client()
        .await?
        .watch_accounts(pb::WatchAccountsRequest::default())
        .await?
        .into_inner();
    // A watcher sees changes from the moment its stream is open; the replicas' feeds read
    // PENNY_EVENTS from new messages on, so wait until both have their consumer.
    let js = stack.jetstream().await?;
    penny_testkit::poll_until(WAIT, || async {
        let mut events = js.get_stream(penny_bus::PENNY_EVENTS).await.ok()?;
        (events.info().await.ok()?.state.consumer_count >= 2).then_some(())
    })
    .await?;

    // The other user's change first: the per-user watcher must skip it.
    b.client()
        .await?
        .remove_item(pb::RemoveItemRequest {
            item_id: other.item_id.clone(),
        })
        .await?;
    // Then a change made on replica B's gRPC API.
    b.client()
        .await?
        .remove_item(pb::RemoveItemRequest {
            item_id: linked.item_id.clone(),
        })
        .await?;

    let change = tokio::time::timeout(WAIT, mine.next())
        .await?
        .expect("stream open")?;
    let account = change.account.expect("account");
    assert_eq!(account.account_id, linked.account_id);
    assert_eq!(account.status, pb::AccountStatus::Revoked as i32);
    assert_eq!(change.previous_status, pb::AccountStatus::Pending as i32);
    assert_eq!(change.cause, "api/RemoveItem");

    let first = tokio::time::timeout(WAIT, everyone.next())
        .await?
        .expect("open")?;
    let second = tokio::time::timeout(WAIT, everyone.next())
        .await?
        .expect("open")?;
    let ids: Vec<String> = [first, second]
        .into_iter()
        .map(|c| c.account.expect("account").account_id)
        .collect();
    assert_eq!(
        ids,
        vec![other.account_id.clone(), linked.account_id.clone()]
    );

    // A webhook-driven change reaches the watcher too, whichever replica consumed it.
    let third = b.link_account("user-watch").await?;
    b.set_verification_status(&third, VerificationStatus::AutomaticallyVerified)
        .await?;
    let change = tokio::time::timeout(WAIT, mine.next())
        .await?
        .expect("open")?;
    assert_eq!(
        change.account.expect("account").status,
        pb::AccountStatus::Verified as i32
    );
    assert_eq!(change.cause, "AUTH/AUTOMATICALLY_VERIFIED");

    drop(mine);
    drop(everyone);
    a.stop().await?;
    b.stop().await
}
