//! The consumer under duplicates, reordering, not-ready answers and unknown Items; the step
//! function called directly; dead letters.

use std::time::Duration;

use penny_bus::{Delivery, Handler, Outcome};
use penny_plaid::VerificationStatus;
use penny_proto::v1 as pb;
use penny_store::inbox as processed_webhook;
use penny_testkit::{DeliveryOutcome, WebhookFaults};
use penny_verification::store::entities::status_history;

use crate::support::webhook_code;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::support::binary::run_command;
use crate::support::events::{events_of, publish_webhook};
use crate::support::{
    DbKind, app_config, auth_webhook, delivery_outcomes, for_each_db, poll_events, spawn_app,
    spawn_on, start_stack, wait_webhooks_handled,
};

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn five_duplicates_and_a_stale_expiry_make_one_verification_and_one_event()
-> anyhow::Result<()> {
    for_each_db(|kind| async move {
        let app = spawn_app(kind).await?;
        let linked = app.link_account("user-dupes").await?;
        // Plaid's side is verified, but its webhook is dropped: ours are the only ones.
        app.stack
            .control
            .set_webhook_faults(&WebhookFaults::drop_next(1))
            .await?;
        app.set_verification_status(&linked, VerificationStatus::AutomaticallyVerified)
            .await?;

        let js = app.stack.jetstream().await?;
        let verified = auth_webhook(
            "AUTOMATICALLY_VERIFIED",
            &linked.item_id,
            &linked.account_id,
        );
        let expired = auth_webhook("VERIFICATION_EXPIRED", &linked.item_id, &linked.account_id);
        // No Nats-Msg-Id: JetStream keeps all five, the consumer must de-duplicate.
        for _ in 0..5 {
            publish_webhook(&js, &verified, None).await?;
        }
        app.wait_for_status(&linked.account_id, pb::AccountStatus::Verified, WAIT)
            .await?;
        // Then an old expiry delivered late, twice, and the verification once more.
        publish_webhook(&js, &expired, None).await?;
        publish_webhook(&js, &expired, None).await?;
        publish_webhook(&js, &verified, None).await?;

        // Wait until all eight deliveries were processed (the consumer has acked them).
        wait_webhooks_handled(&app.stack).await?;

        assert_eq!(
            poll_events(&js, &linked.account_id, "verified", 1)
                .await?
                .len(),
            1
        );
        assert!(
            events_of(&js, &linked.account_id, "verification_expired")
                .await?
                .is_empty()
        );
        assert_eq!(
            app.account(&linked.account_id).await?.status,
            pb::AccountStatus::Verified as i32
        );
        // Two distinct bodies processed: one applied, one ignored by the state machine.
        let rows = processed_webhook::Entity::find().all(&app.db).await?;
        let mut outcomes: Vec<(String, String)> = rows
            .iter()
            .filter(|r| r.aggregate_id.as_deref() == Some(linked.item_id.as_str()))
            .map(|r| (webhook_code(r), r.outcome.clone()))
            .collect();
        outcomes.sort();
        assert_eq!(
            outcomes,
            vec![
                ("AUTOMATICALLY_VERIFIED".to_owned(), "applied".to_owned()),
                ("VERIFICATION_EXPIRED".to_owned(), "ignored".to_owned()),
            ]
        );
        let history = status_history::Entity::find()
            .filter(status_history::Column::AccountId.eq(linked.account_id.as_str()))
            .count(&app.db)
            .await?;
        assert_eq!(history, 1, "one transition");
        let stats = app.stack.control.stats().await?;
        assert_eq!(stats.endpoint("/auth/get").ok, 1, "{stats:?}");
        app.stop().await
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sandbox_duplicate_deliveries_through_ingress_verify_once() -> anyhow::Result<()> {
    for_each_db(sandbox_duplicate_deliveries_through_ingress_verify_once_on).await
}

async fn sandbox_duplicate_deliveries_through_ingress_verify_once_on(
    kind: DbKind,
) -> anyhow::Result<()> {
    let app = spawn_app(kind).await?;
    let linked = app.link_account("user-sandbox-dupes").await?;
    app.stack
        .control
        .set_webhook_faults(&WebhookFaults::duplicates(4))
        .await?;
    app.set_verification_status(&linked, VerificationStatus::AutomaticallyVerified)
        .await?;
    app.wait_for_status(&linked.account_id, pb::AccountStatus::Verified, WAIT)
        .await?;
    // All four copies reached ingress and were published (or dropped as duplicates by
    // JetStream), and the consumer handled whatever reached the stream.
    penny_testkit::poll_until(WAIT, || async {
        let outcomes = delivery_outcomes(&app.stack, "AUTOMATICALLY_VERIFIED")
            .await
            .ok()?;
        (outcomes == [DeliveryOutcome::Delivered; 4]).then_some(())
    })
    .await?;
    let js = app.stack.jetstream().await?;
    wait_webhooks_handled(&app.stack).await?;
    assert_eq!(
        poll_events(&js, &linked.account_id, "verified", 1)
            .await?
            .len(),
        1
    );
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_webhook_before_the_product_is_ready_is_retried_until_it_is() -> anyhow::Result<()> {
    for_each_db(a_webhook_before_the_product_is_ready_is_retried_until_it_is_on).await
}

async fn a_webhook_before_the_product_is_ready_is_retried_until_it_is_on(
    kind: DbKind,
) -> anyhow::Result<()> {
    let app = spawn_app(kind).await?;
    let linked = app.link_account("user-not-ready").await?;
    let js = app.stack.jetstream().await?;
    // The webhook arrives while the sandbox still answers PRODUCT_NOT_READY.
    let early = auth_webhook(
        "AUTOMATICALLY_VERIFIED",
        &linked.item_id,
        &linked.account_id,
    );
    publish_webhook(&js, &early, None).await?;
    penny_testkit::poll_until(WAIT, || async {
        let stats = app.stack.control.stats().await.ok()?;
        (stats.endpoint("/auth/get").errors >= 2).then_some(())
    })
    .await?;
    assert_eq!(
        app.account(&linked.account_id).await?.status,
        pb::AccountStatus::Pending as i32
    );
    // Now Plaid verifies (its own webhook is dropped, so only the retried one can succeed).
    app.stack
        .control
        .set_webhook_faults(&WebhookFaults::drop_next(1))
        .await?;
    app.set_verification_status(&linked, VerificationStatus::AutomaticallyVerified)
        .await?;
    app.wait_for_status(&linked.account_id, pb::AccountStatus::Verified, WAIT)
        .await?;
    assert_eq!(
        poll_events(&js, &linked.account_id, "verified", 1)
            .await?
            .len(),
        1
    );
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_step_function_retries_unknown_items_and_recognises_duplicates() -> anyhow::Result<()> {
    for_each_db(the_step_function_retries_unknown_items_and_recognises_duplicates_on).await
}

async fn the_step_function_retries_unknown_items_and_recognises_duplicates_on(
    kind: DbKind,
) -> anyhow::Result<()> {
    let stack = start_stack(kind).await?;
    // A replica that does not consume (its handler is called directly).
    let app = spawn_on(&stack, |c| {
        c.consumer.consumer_name = "verification-direct".into()
    })
    .await?;
    let handler = {
        let built = penny_verification::App::build(app_config(&stack)).await?;
        built.webhook_handler()
    };
    let subject = penny_bus::webhook_subject("AUTH", "AUTOMATICALLY_VERIFIED");

    // An Item whose exchange has not committed: retried, not lost.
    let unknown = auth_webhook("AUTOMATICALLY_VERIFIED", "item-not-yet", "acc-not-yet");
    let outcome = handler
        .handle(&Delivery::new(subject.clone(), unknown, Default::default()))
        .await;
    assert!(
        matches!(outcome, Outcome::Retry { ref reason } if reason.contains("item-not-yet")),
        "{outcome:?}"
    );

    // A malformed body: parked.
    let outcome = handler
        .handle(&Delivery::new(
            subject.clone(),
            b"{not json".to_vec(),
            Default::default(),
        ))
        .await;
    assert!(matches!(outcome, Outcome::Park { .. }), "{outcome:?}");

    // An unknown code: acked and recorded.
    let odd = br#"{"webhook_type":"ITEM","webhook_code":"NEW_ACCOUNTS_AVAILABLE","item_id":"x"}"#;
    let outcome = handler
        .handle(&Delivery::new(
            "plaid.webhook.ITEM.NEW_ACCOUNTS_AVAILABLE",
            odd.to_vec(),
            Default::default(),
        ))
        .await;
    assert_eq!(outcome, Outcome::Ack);
    let recorded = processed_webhook::Entity::find()
        .filter(processed_webhook::Column::Kind.eq("ITEM/NEW_ACCOUNTS_AVAILABLE"))
        .one(&app.db)
        .await?
        .expect("recorded");
    assert_eq!(recorded.outcome, "unhandled");

    // A linked, Plaid-verified account: applied once, then recognised.
    let linked = app.link_account("user-step").await?;
    app.stack
        .control
        .set_webhook_faults(&WebhookFaults::drop_next(1))
        .await?;
    app.set_verification_status(&linked, VerificationStatus::AutomaticallyVerified)
        .await?;
    let body = auth_webhook(
        "AUTOMATICALLY_VERIFIED",
        &linked.item_id,
        &linked.account_id,
    );
    for _ in 0..3 {
        let outcome = handler
            .handle(&Delivery::new(
                subject.clone(),
                body.clone(),
                Default::default(),
            ))
            .await;
        assert_eq!(outcome, Outcome::Ack);
    }
    assert_eq!(
        app.account(&linked.account_id).await?.status,
        pb::AccountStatus::Verified as i32
    );
    let stats = app.stack.control.stats().await?;
    assert_eq!(
        stats.endpoint("/auth/get").ok,
        1,
        "duplicates never call Plaid: {stats:?}"
    );
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn permanent_failures_are_parked_with_the_reason() -> anyhow::Result<()> {
    for_each_db(permanent_failures_are_parked_with_the_reason_on).await
}

async fn permanent_failures_are_parked_with_the_reason_on(kind: DbKind) -> anyhow::Result<()> {
    let app = spawn_app(kind).await?;
    let js = app.stack.jetstream().await?;
    // AUTOMATICALLY_VERIFIED without an account_id cannot be acted on.
    let body =
        br#"{"webhook_type":"AUTH","webhook_code":"AUTOMATICALLY_VERIFIED","item_id":"i-1"}"#;
    publish_webhook(&js, body, None).await?;
    let dead = penny_bus::DeadLetters::new(js.clone());
    let letters = penny_testkit::poll_until(WAIT, || async {
        let letters = dead.list(100).await.ok()?;
        (!letters.is_empty()).then_some(letters)
    })
    .await?;
    assert_eq!(letters[0].consumer.as_deref(), Some("verification"));
    assert!(
        letters[0].reason.contains("account_id"),
        "{}",
        letters[0].reason
    );
    assert_eq!(letters[0].payload.as_ref(), body);

    // Redriven (pennyctl's `dlq redrive`, tested in tools/pennyctl), it is still malformed:
    // redrive removes the letter and the republished message is parked anew, with the reason.
    let old_seq = letters[0].seq;
    dead.redrive(old_seq).await?;
    penny_testkit::poll_until(WAIT, || async {
        let letters = dead.list(100).await.ok()?;
        (letters.len() == 1 && letters[0].seq > old_seq && letters[0].reason.contains("account_id"))
            .then_some(())
    })
    .await?;
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn migrate_creates_the_schema_on_first_start() -> anyhow::Result<()> {
    for_each_db(migrate_creates_the_schema_on_first_start_on).await
}

async fn migrate_creates_the_schema_on_first_start_on(kind: DbKind) -> anyhow::Result<()> {
    let stack = start_stack(kind).await?;
    if let Some(path) = stack.db.sqlite_path() {
        assert!(!path.exists(), "no SQLite file before the first start");
    }
    for _ in 0..2 {
        let migrated = run_command(&stack, &["migrate"]).await?;
        assert!(migrated.status.success(), "{migrated:?}");
        assert!(String::from_utf8_lossy(&migrated.stdout).contains("migrations applied"));
    }
    if let Some(path) = stack.db.sqlite_path() {
        assert!(path.exists(), "migrate created the SQLite file");
    }
    let db = penny_verification::store::connect(stack.db.url()).await?;
    assert_eq!(
        processed_webhook::Entity::find().count(&db).await?,
        0,
        "the tables exist"
    );
    Ok(())
}
