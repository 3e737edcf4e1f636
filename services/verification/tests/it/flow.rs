//! The whole gRPC flow with the sandbox firing real signed webhooks through the ingress:
//! link, pending, verified, numbers; expiry; update mode and repair; revocation; removal;
//! refresh after a lost webhook.

use std::time::Duration;

use penny_plaid::VerificationStatus;
use penny_proto::v1 as pb;
use penny_testkit::{DeliveryOutcome, WebhookFaults};
use penny_verification::store::entities::status_history;
use penny_verification::store::items;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tonic::Code;

use crate::support::events::events_of;
use crate::support::{DbKind, delivery_outcomes, for_each_db, spawn_app};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn link_then_automatic_verification_makes_numbers_readable() -> anyhow::Result<()> {
    for_each_db(|kind| async move {
        let app = spawn_app(kind).await?;
        let linked = app.link_account("user-flow").await?;
        let mut client = app.client().await?;

        let pending = app.account(&linked.account_id).await?;
        assert_eq!(pending.status, pb::AccountStatus::Pending as i32);
        assert_eq!(
            pending.plaid_verification_status,
            "pending_automatic_verification"
        );
        assert_eq!(pending.user_id, "user-flow");
        assert!(!pending.mask.is_empty());
        let (earliest, latest, expires) = (
            pending
                .expected_earliest
                .expect("pending accounts carry a window"),
            pending.expected_latest.expect("latest"),
            pending.expires_at.expect("expiry"),
        );
        let linked_at = pending.status_changed_at.expect("changed at");
        assert!(earliest.seconds > linked_at.seconds && earliest.seconds <= latest.seconds);
        assert_eq!(expires.seconds - linked_at.seconds, 7 * 24 * 3600);

        let early = client
            .get_auth_numbers(pb::GetAuthNumbersRequest {
                account_id: linked.account_id.clone(),
            })
            .await
            .expect_err("no numbers while pending");
        assert_eq!(early.code(), Code::FailedPrecondition);

        app.set_verification_status(&linked, VerificationStatus::AutomaticallyVerified)
            .await?;
        let verified = app
            .wait_for_status(&linked.account_id, pb::AccountStatus::Verified, WAIT)
            .await?;
        assert!(
            verified.expected_earliest.is_none(),
            "no window once verified"
        );

        let numbers = client
            .get_auth_numbers(pb::GetAuthNumbersRequest {
                account_id: linked.account_id.clone(),
            })
            .await?
            .into_inner();
        assert!(numbers.account.ends_with(&linked.mask), "{}", linked.mask);
        assert_eq!(numbers.routing.len(), 9);
        assert!(numbers.verified_at.is_some());

        let listed = client
            .list_accounts(pb::ListAccountsRequest {
                user_id: "user-flow".into(),
            })
            .await?
            .into_inner();
        assert_eq!(listed.accounts.len(), 1);
        assert_eq!(
            listed.accounts[0].status,
            pb::AccountStatus::Verified as i32
        );

        let js = app.stack.jetstream().await?;
        let events = crate::support::poll_events(&js, &linked.account_id, "verified", 1).await?;
        assert_eq!(events[0].previous_status, pb::AccountStatus::Pending as i32);
        assert_eq!(events[0].cause, "AUTH/AUTOMATICALLY_VERIFIED");
        assert_eq!(events[0].mask, format!("****{}", linked.mask));
        assert_eq!(events[0].user_id, "user-flow");
        let with_ids = crate::support::events::account_events(&js).await?;
        let (subject, msg_id, _) = with_ids
            .iter()
            .find(|(_, _, e)| e.event_id == events[0].event_id)
            .expect("the event");
        assert_eq!(subject, "penny.event.account.verified");
        assert_eq!(
            msg_id.as_deref(),
            Some(events[0].event_id.as_str()),
            "Nats-Msg-Id = event_id"
        );
        app.stop().await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn expiry_locks_the_item_and_withholds_numbers() -> anyhow::Result<()> {
    for_each_db(|kind| async move {
        let app = spawn_app(kind).await?;
        let linked = app.link_account("user-expiry").await?;
        app.set_verification_status(&linked, VerificationStatus::VerificationExpired)
            .await?;
        let expired = app
            .wait_for_status(&linked.account_id, pb::AccountStatus::Expired, WAIT)
            .await?;
        assert!(expired.expires_at.is_none());
        let item = items::find(&app.db, &linked.item_id).await?.expect("item");
        assert!(item.locked_at.is_some(), "the Item is locked");
        let err = app
            .client()
            .await?
            .get_auth_numbers(pb::GetAuthNumbersRequest {
                account_id: linked.account_id.clone(),
            })
            .await
            .expect_err("expired accounts have no numbers");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let js = app.stack.jetstream().await?;
        crate::support::poll_events(&js, &linked.account_id, "verification_expired", 1).await?;
        app.stop().await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_required_then_repaired_restores_verified() -> anyhow::Result<()> {
    for_each_db(|kind| async move {
        let app = spawn_app(kind).await?;
        let linked = app.verified_account("user-login").await?;

        app.stack
            .plaid
            .sandbox_item_reset_login(&linked.access_token)
            .await?;
        app.wait_for_status(&linked.account_id, pb::AccountStatus::NeedsUpdate, WAIT)
            .await?;

        app.stack
            .plaid
            .sandbox_item_fire_webhook(&linked.access_token, Some("ITEM"), "LOGIN_REPAIRED")
            .await?;
        app.wait_for_status(&linked.account_id, pb::AccountStatus::Verified, WAIT)
            .await?;

        let js = app.stack.jetstream().await?;
        crate::support::poll_events(&js, &linked.account_id, "needs_update", 1).await?;
        let repaired =
            crate::support::poll_events(&js, &linked.account_id, "login_repaired", 1).await?;
        assert_eq!(
            repaired[0].previous_status,
            pb::AccountStatus::NeedsUpdate as i32
        );
        assert_eq!(repaired[0].status, pb::AccountStatus::Verified as i32);
        app.stop().await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn revocation_purges_the_token_and_the_numbers() -> anyhow::Result<()> {
    for_each_db(|kind| async move {
        let app = spawn_app(kind).await?;
        let linked = app.verified_account("user-revoked").await?;

        app.stack
            .plaid
            .sandbox_item_fire_webhook(
                &linked.access_token,
                Some("ITEM"),
                "USER_PERMISSION_REVOKED",
            )
            .await?;
        app.wait_for_status(&linked.account_id, pb::AccountStatus::Revoked, WAIT)
            .await?;

        let item = items::find(&app.db, &linked.item_id).await?.expect("item");
        assert!(item.access_token_ct.is_none() && item.access_token_key_id.is_none());
        assert!(item.revoked_at.is_some());
        let numbers =
            penny_verification::store::accounts::numbers(&app.db, &linked.account_id).await?;
        assert!(numbers.is_none(), "numbers purged");
        let err = app
            .client()
            .await?
            .get_auth_numbers(pb::GetAuthNumbersRequest {
                account_id: linked.account_id.clone(),
            })
            .await
            .expect_err("revoked");
        assert_eq!(err.code(), Code::FailedPrecondition);
        let js = app.stack.jetstream().await?;
        crate::support::poll_events(&js, &linked.account_id, "revoked", 1).await?;
        app.stop().await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn remove_item_revokes_once_and_is_idempotent() -> anyhow::Result<()> {
    for_each_db(remove_item_revokes_once_and_is_idempotent_on).await
}

async fn remove_item_revokes_once_and_is_idempotent_on(kind: DbKind) -> anyhow::Result<()> {
    let app = spawn_app(kind).await?;
    let linked = app.link_account("user-remove").await?;
    let mut client = app.client().await?;
    let removed = client
        .remove_item(pb::RemoveItemRequest {
            item_id: linked.item_id.clone(),
        })
        .await?
        .into_inner();
    assert_eq!(removed.account_ids, vec![linked.account_id.clone()]);
    let account = app.account(&linked.account_id).await?;
    assert_eq!(account.status, pb::AccountStatus::Revoked as i32);
    let item = items::find(&app.db, &linked.item_id).await?.expect("item");
    assert!(item.access_token_ct.is_none());

    // Plaid invalidated the token.
    let gone = app.stack.plaid.accounts_get(&linked.access_token).await;
    assert!(gone.is_err(), "the access token no longer works at Plaid");

    // Again: no Plaid call, no second event.
    client
        .remove_item(pb::RemoveItemRequest {
            item_id: linked.item_id.clone(),
        })
        .await?;
    let js = app.stack.jetstream().await?;
    let events = crate::support::poll_events(&js, &linked.account_id, "revoked", 1).await?;
    assert_eq!(events[0].cause, "api/RemoveItem");
    // The second call committed before it answered: had it changed anything, its history row
    // (and the outbox event beside it) would be there now.
    let history = status_history::Entity::find()
        .filter(status_history::Column::AccountId.eq(linked.account_id.as_str()))
        .count(&app.db)
        .await?;
    assert_eq!(history, 1, "one transition");
    let stats = app.stack.control.stats().await?;
    assert_eq!(stats.endpoint("/item/remove").calls, 1, "{stats:?}");
    assert_eq!(
        events_of(&js, &linked.account_id, "revoked").await?.len(),
        1
    );
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn refresh_recovers_a_lost_verification_webhook() -> anyhow::Result<()> {
    for_each_db(refresh_recovers_a_lost_verification_webhook_on).await
}

async fn refresh_recovers_a_lost_verification_webhook_on(kind: DbKind) -> anyhow::Result<()> {
    let app = spawn_app(kind).await?;
    let linked = app.link_account("user-refresh").await?;
    // The sandbox drops the next webhook: penny never hears about the verification.
    app.stack
        .control
        .set_webhook_faults(&WebhookFaults::drop_next(1))
        .await?;
    app.set_verification_status(&linked, VerificationStatus::AutomaticallyVerified)
        .await?;
    penny_testkit::poll_until(WAIT, || async {
        let dropped = delivery_outcomes(&app.stack, "AUTOMATICALLY_VERIFIED")
            .await
            .ok()?;
        (dropped == [DeliveryOutcome::Dropped]).then_some(())
    })
    .await?;
    assert_eq!(
        app.account(&linked.account_id).await?.status,
        pb::AccountStatus::Pending as i32,
        "the webhook was dropped"
    );

    let mut client = app.client().await?;
    let refreshed = client
        .refresh_account(pb::RefreshAccountRequest {
            account_id: linked.account_id.clone(),
        })
        .await?
        .into_inner();
    assert_eq!(refreshed.status, pb::AccountStatus::Verified as i32);
    assert_eq!(
        refreshed.plaid_verification_status,
        "automatically_verified"
    );
    let numbers = client
        .get_auth_numbers(pb::GetAuthNumbersRequest {
            account_id: linked.account_id.clone(),
        })
        .await?
        .into_inner();
    assert!(numbers.account.ends_with(&linked.mask));
    let js = app.stack.jetstream().await?;
    let events = crate::support::poll_events(&js, &linked.account_id, "verified", 1).await?;
    assert_eq!(events[0].cause, "api/RefreshAccount");
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn default_update_refetches_the_numbers() -> anyhow::Result<()> {
    for_each_db(default_update_refetches_the_numbers_on).await
}

async fn default_update_refetches_the_numbers_on(kind: DbKind) -> anyhow::Result<()> {
    let app = spawn_app(kind).await?;
    let linked = app.verified_account("user-numbers").await?;
    let (_, first_fetch) =
        penny_verification::store::accounts::numbers(&app.db, &linked.account_id)
            .await?
            .expect("numbers");

    app.stack
        .plaid
        .sandbox_item_fire_webhook(&linked.access_token, Some("AUTH"), "DEFAULT_UPDATE")
        .await?;
    let js = app.stack.jetstream().await?;
    let changed =
        crate::support::poll_events(&js, &linked.account_id, "numbers_changed", 1).await?;
    assert_eq!(changed[0].status, pb::AccountStatus::Verified as i32);
    assert_eq!(changed[0].cause, "AUTH/DEFAULT_UPDATE");
    let (_, second_fetch) =
        penny_verification::store::accounts::numbers(&app.db, &linked.account_id)
            .await?
            .expect("numbers");
    assert!(second_fetch > first_fetch, "the numbers were fetched again");
    let stats = app.stack.control.stats().await?;
    assert_eq!(stats.endpoint("/auth/get").ok, 2, "{stats:?}");
    assert_eq!(
        app.account(&linked.account_id).await?.status,
        pb::AccountStatus::Verified as i32
    );
    app.stop().await
}
