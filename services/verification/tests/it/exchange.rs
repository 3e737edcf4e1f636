//! The public-token exchange is idempotent: twice in a row, and concurrently, one Item and one
//! call to Plaid.

use penny_proto::v1 as pb;
use penny_verification::store::entities::item;
use sea_orm::{EntityTrait, PaginatorTrait};
use tonic::Code;

use crate::support::{DbKind, for_each_db, spawn_app};

async fn exchange_calls(app: &crate::support::TestApp) -> anyhow::Result<u64> {
    let stats = app.stack.control.stats().await?;
    Ok(stats.endpoint("/item/public_token/exchange").calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_public_token_twice_and_concurrently_is_one_item() -> anyhow::Result<()> {
    for_each_db(|kind| async move {
        let app = spawn_app(kind).await?;
        let client = app.client().await?;

        // Sequential duplicates.
        let (public_token, accounts) = app.complete_link("user-x").await?;
        let request = pb::ExchangePublicTokenRequest {
            user_id: "user-x".into(),
            public_token,
            accounts,
        };
        let first = client
            .clone()
            .exchange_public_token(request.clone())
            .await?
            .into_inner();
        let second = client
            .clone()
            .exchange_public_token(request.clone())
            .await?
            .into_inner();
        assert_eq!(first.item_id, second.item_id);
        assert_eq!(first.accounts, second.accounts);
        assert_eq!(
            exchange_calls(&app).await?,
            1,
            "the second call did not reach Plaid"
        );

        // Another user presenting the same token is refused.
        let stolen = client
            .clone()
            .exchange_public_token(pb::ExchangePublicTokenRequest {
                user_id: "user-y".into(),
                ..request
            })
            .await
            .unwrap_err();
        assert_eq!(stolen.code(), Code::FailedPrecondition);

        // Concurrent duplicates of a fresh token.
        let (public_token, accounts) = app.complete_link("user-z").await?;
        let request = pb::ExchangePublicTokenRequest {
            user_id: "user-z".into(),
            public_token,
            accounts,
        };
        let mut calls = Vec::new();
        for _ in 0..6 {
            let mut client = client.clone();
            let request = request.clone();
            calls.push(tokio::spawn(async move {
                client
                    .exchange_public_token(request)
                    .await
                    .map(|r| r.into_inner())
            }));
        }
        let mut items = Vec::new();
        for call in calls {
            items.push(call.await??.item_id);
        }
        items.dedup();
        assert_eq!(
            items.len(),
            1,
            "every duplicate got the same Item: {items:?}"
        );
        assert_eq!(
            exchange_calls(&app).await?,
            2,
            "one Plaid exchange per token"
        );
        assert_eq!(item::Entity::find().count(&app.db).await?, 2);
        app.stop().await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_attempt_that_died_after_plaid_exchanged_is_resumed_without_a_second_exchange()
-> anyhow::Result<()> {
    for_each_db(an_attempt_that_died_after_plaid_exchanged_is_resumed_without_a_second_exchange_on)
        .await
}

async fn an_attempt_that_died_after_plaid_exchanged_is_resumed_without_a_second_exchange_on(
    kind: DbKind,
) -> anyhow::Result<()> {
    use penny_verification::store::entities::token_exchange;
    use penny_verification::store::exchanges;
    use sea_orm::{ActiveModelTrait, Set};
    use sha2::Digest;

    let app = spawn_app(kind).await?;
    let (public_token, accounts) = app.complete_link("user-r").await?;
    // The dead attempt: Plaid exchanged the token, the sealed token was kept with the claim,
    // then the process died before storing the Item (and its claim was released).
    let exchanged = app
        .stack
        .plaid
        .item_public_token_exchange(&penny_plaid::PublicToken::new(public_token.clone()))
        .await?;
    let sealed = app
        .secrets
        .seal_access_token(&exchanged.item_id, &exchanged.access_token)?;
    let sha = hex::encode(sha2::Sha256::digest(public_token.as_bytes()));
    token_exchange::ActiveModel {
        public_token_sha256: Set(sha.clone()),
        user_id: Set("user-r".into()),
        item_id: Set(Some(exchanged.item_id.clone())),
        access_token_ct: Set(Some(sealed.ciphertext)),
        access_token_key_id: Set(Some(sealed.key_id)),
        claimed_at: Set(exchanges::released_at()),
        completed_at: Set(None),
    }
    .insert(&app.db)
    .await?;

    let resumed = app
        .client()
        .await?
        .exchange_public_token(pb::ExchangePublicTokenRequest {
            user_id: "user-r".into(),
            public_token,
            accounts,
        })
        .await?
        .into_inner();
    assert_eq!(resumed.item_id, exchanged.item_id);
    assert_eq!(resumed.accounts.len(), 1);
    assert_eq!(
        exchange_calls(&app).await?,
        1,
        "the public token was not exchanged again"
    );
    assert_eq!(
        app.access_token(&resumed.item_id).await?,
        exchanged.access_token
    );
    let row = token_exchange::Entity::find_by_id(sha)
        .one(&app.db)
        .await?
        .expect("row");
    assert!(row.completed_at.is_some());
    assert!(row.access_token_ct.is_none(), "the token copy is cleared");
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn linking_publishes_who_the_account_belongs_to_once() -> anyhow::Result<()> {
    crate::support::for_each_db(linking_publishes_who_the_account_belongs_to_once_on).await
}

async fn linking_publishes_who_the_account_belongs_to_once_on(
    kind: crate::support::DbKind,
) -> anyhow::Result<()> {
    let app = crate::support::spawn_app(kind).await?;
    let linked = app.link_account("user-linked-event").await?;
    let js = app.stack.jetstream().await?;
    let events = crate::support::poll_events(&js, &linked.account_id, "linked", 1).await?;
    let event = &events[0];
    assert_eq!(event.user_id, "user-linked-event");
    assert_eq!(event.item_id, linked.item_id);
    assert_eq!(
        event.flow,
        penny_proto::v1::VerificationFlow::Automated as i32
    );
    assert_eq!(event.status, penny_proto::v1::AccountStatus::Pending as i32);
    assert_eq!(event.mask, format!("****{}", linked.mask));
    // One per account, however the outbox relay ran.
    crate::support::wait_webhooks_handled(&app.stack).await?;
    assert_eq!(
        crate::support::events::events_of(&js, &linked.account_id, "linked")
            .await?
            .len(),
        1
    );
    app.stop().await
}
