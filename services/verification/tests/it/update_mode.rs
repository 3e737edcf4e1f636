//! Link update mode through penny: an Item that needs a login gets an update-mode token, Link
//! repairs it and `RefreshAccount` restores the previous status; Items that cannot be updated
//! (removed, locked, or with nothing to do) are refused with the reason; bad input changes
//! nothing. And `ITEM / USER_ACCOUNT_REVOKED` revokes one account, not its Item.

use std::time::Duration;

use penny_proto::v1 as pb;
use penny_testkit::LinkCompletion;
use tonic::Code;

use crate::support::{DbKind, NUMBERS_TOKEN, STATUS_TOKEN, for_each_db, poll_events, spawn_app};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn login_required_is_repaired_through_an_update_mode_token() -> anyhow::Result<()> {
    for_each_db(repaired_on).await
}

async fn repaired_on(kind: DbKind) -> anyhow::Result<()> {
    let app = spawn_app(kind).await?;
    let linked = app.verified_account("user-update").await?;
    app.stack
        .plaid
        .sandbox_item_reset_login(&linked.access_token)
        .await?;
    app.wait_for_status(&linked.account_id, pb::AccountStatus::NeedsUpdate, WAIT)
        .await?;

    let update = app.update_link_token(&linked.account_id).await?;
    assert_eq!(update.reason, pb::UpdateReason::LoginRequired as i32);
    assert_eq!(update.item_id, linked.item_id);
    let expiration = update.expiration.expect("expiration");
    let lifetime = expiration.seconds - chrono::Utc::now().timestamp();
    assert!(
        (0..=31 * 60).contains(&lifetime),
        "update-mode tokens live 30 minutes: {lifetime}s"
    );
    // The user logs in again in Link; the app reports onSuccess with a refresh.
    app.stack
        .control
        .complete_link_with(&LinkCompletion {
            link_token: update.link_token,
            ..LinkCompletion::default()
        })
        .await?;
    let repaired = app.refresh(&linked.account_id).await?;
    assert_eq!(repaired.status, pb::AccountStatus::Verified as i32);
    let js = app.stack.jetstream().await?;
    let events = poll_events(&js, &linked.account_id, "login_repaired", 1).await?;
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].previous_status, events[0].status),
        (
            pb::AccountStatus::NeedsUpdate as i32,
            pb::AccountStatus::Verified as i32
        )
    );
    assert_eq!(events[0].cause, "api/RefreshAccount");

    let nothing = app
        .update_link_token(&linked.account_id)
        .await
        .expect_err("healthy again");
    assert_eq!(nothing.code(), Code::FailedPrecondition);
    assert!(nothing.message().contains("healthy"), "{nothing:?}");
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn items_that_cannot_be_updated_are_refused_with_the_reason() -> anyhow::Result<()> {
    let app = spawn_app(DbKind::Sqlite).await?;
    // Pending automated: Plaid verifies by itself, there is nothing for the user to do.
    let pending = app.link_account("user-refused").await?;
    let refused = app
        .update_link_token(&pending.account_id)
        .await
        .expect_err("nothing to update");
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(refused.message().contains("automated"), "{refused:?}");

    // Removed: gone for good.
    let mut client = app.client().await?;
    client
        .remove_item(pb::RemoveItemRequest {
            item_id: pending.item_id.clone(),
        })
        .await?;
    let removed = app
        .update_link_token(&pending.account_id)
        .await
        .expect_err("removed");
    assert_eq!(removed.code(), Code::FailedPrecondition);
    assert!(removed.message().contains("removed"), "{removed:?}");

    // Bad input: precise codes.
    let empty = app.update_link_token("").await.expect_err("empty id");
    assert_eq!(empty.code(), Code::InvalidArgument);
    assert!(empty.message().contains("account_id"), "{empty:?}");
    let unknown = app
        .update_link_token("no-such-account")
        .await
        .expect_err("unknown");
    assert_eq!(unknown.code(), Code::NotFound);
    for token in [STATUS_TOKEN, NUMBERS_TOKEN] {
        let denied = app
            .client_with(Some(token))
            .await?
            .create_update_link_token(pb::CreateUpdateLinkTokenRequest {
                account_id: pending.account_id.clone(),
            })
            .await
            .expect_err("needs the link scope");
        assert_eq!(denied.code(), Code::PermissionDenied);
    }
    let bad_flow = client
        .create_link_token(pb::CreateLinkTokenRequest {
            user_id: "user-refused".into(),
            flow: 42,
            ..Default::default()
        })
        .await
        .expect_err("unknown flow");
    assert_eq!(bad_flow.code(), Code::InvalidArgument);
    assert!(bad_flow.message().contains("flow"), "{bad_flow:?}");
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn user_account_revoked_revokes_that_account_only() -> anyhow::Result<()> {
    for_each_db(account_revoked_on).await
}

async fn account_revoked_on(kind: DbKind) -> anyhow::Result<()> {
    let app = spawn_app(kind).await?;
    let mut client = app.client().await?;
    // An instant-auth Item: checking and savings, both verified at link.
    let token = client
        .create_link_token(pb::CreateLinkTokenRequest {
            user_id: "user-two".into(),
            ..Default::default()
        })
        .await?
        .into_inner();
    let done = app
        .stack
        .control
        .complete_link_with(&LinkCompletion {
            link_token: token.link_token,
            password: Some("pass_good".into()),
            ..LinkCompletion::default()
        })
        .await?;
    let exchanged = client
        .exchange_public_token(pb::ExchangePublicTokenRequest {
            user_id: "user-two".into(),
            public_token: done.public_token,
            accounts: vec![],
        })
        .await?
        .into_inner();
    assert_eq!(exchanged.accounts.len(), 2);
    let ids: Vec<String> = exchanged
        .accounts
        .iter()
        .map(|a| a.account_id.clone())
        .collect();
    for id in &ids {
        app.wait_for_status(id, pb::AccountStatus::Verified, WAIT)
            .await?;
    }
    // The sandbox fires USER_ACCOUNT_REVOKED for one of the Item's accounts (its first).
    let access = app.access_token(&exchanged.item_id).await?;
    app.stack
        .plaid
        .sandbox_item_fire_webhook(&access, Some("ITEM"), "USER_ACCOUNT_REVOKED")
        .await?;
    let fired = penny_testkit::poll_until(WAIT, || async {
        let log = app
            .stack
            .control
            .webhook_attempts("USER_ACCOUNT_REVOKED")
            .await
            .ok()?;
        let body: serde_json::Value = serde_json::from_str(&log.first()?.body).ok()?;
        body["account_id"].as_str().map(str::to_owned)
    })
    .await?;
    let (revoked_id, kept_id) = if fired == ids[0] {
        (&ids[0], &ids[1])
    } else {
        (&ids[1], &ids[0])
    };
    assert_eq!(&fired, revoked_id);
    app.wait_for_status(revoked_id, pb::AccountStatus::Revoked, WAIT)
        .await?;
    let gone = client
        .get_auth_numbers(pb::GetAuthNumbersRequest {
            account_id: revoked_id.clone(),
        })
        .await
        .expect_err("numbers purged");
    assert_eq!(gone.code(), Code::FailedPrecondition);
    // The other account and the Item's token are untouched.
    assert_eq!(
        app.account(kept_id).await?.status,
        pb::AccountStatus::Verified as i32
    );
    let kept = client
        .get_auth_numbers(pb::GetAuthNumbersRequest {
            account_id: kept_id.clone(),
        })
        .await?
        .into_inner();
    assert_eq!(kept.routing.len(), 9);
    app.access_token(&exchanged.item_id).await?;
    let js = app.stack.jetstream().await?;
    let revoked = poll_events(&js, revoked_id, "revoked", 1).await?;
    assert_eq!(revoked[0].cause, "ITEM/USER_ACCOUNT_REVOKED");
    app.stop().await
}
