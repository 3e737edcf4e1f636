//! `Stack`: a webhook the sandbox fires reaches JetStream through ingress; `TestDb` and
//! `for_each_db` on both engines.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::StreamExt as _;
use penny_plaid::{LinkTokenCreateRequest, PublicToken, VerificationStatus};
use penny_testkit::{
    DbKind, DeliveryOutcome, Stack, TestDb, for_each_db, poll_until, wait_consumer_drained,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sandbox_webhook_travels_through_ingress_into_the_stream() {
    penny_testkit::init();
    let stack = Stack::start(DbKind::Sqlite).await.unwrap();
    assert_eq!(stack.db.kind(), DbKind::Sqlite);
    assert!(stack.webhook_url().ends_with("/webhooks/plaid"));

    let request =
        LinkTokenCreateRequest::automated_microdeposits("penny", "user-1", stack.webhook_url());
    let link = stack.plaid.link_token_create(&request).await.unwrap();
    let linked = stack
        .control
        .complete_link(link.link_token.expose())
        .await
        .unwrap();
    assert_eq!(linked.accounts.len(), 1);
    let account = &linked.accounts[0];
    assert_eq!(
        account.verification_status.as_deref(),
        Some("pending_automatic_verification")
    );
    let exchanged = stack
        .plaid
        .item_public_token_exchange(&PublicToken::new(linked.public_token.clone()))
        .await
        .unwrap();
    stack
        .plaid
        .sandbox_item_set_verification_status(
            &exchanged.access_token,
            &account.id,
            &VerificationStatus::AutomaticallyVerified,
        )
        .await
        .unwrap();

    let attempt = poll_until(Duration::from_secs(10), || async {
        let attempts = stack
            .control
            .webhook_attempts("AUTOMATICALLY_VERIFIED")
            .await
            .ok()?;
        attempts.into_iter().next()
    })
    .await
    .unwrap();
    assert_eq!(attempt.outcome, DeliveryOutcome::Delivered);
    assert_eq!(attempt.status, Some(200));
    assert_eq!(attempt.url, stack.webhook_url());

    let js = stack.jetstream().await.unwrap();
    let mut stream = js.get_stream("PLAID_WEBHOOKS").await.unwrap();
    assert_eq!(stream.info().await.unwrap().state.messages, 1);
    // A consumer that has read everything is drained; a missing one never is.
    let consumer = stream
        .create_consumer(async_nats::jetstream::consumer::pull::Config {
            durable_name: Some("probe".into()),
            ack_policy: async_nats::jetstream::consumer::AckPolicy::None,
            ..Default::default()
        })
        .await
        .unwrap();
    let mut batch = consumer.fetch().max_messages(1).messages().await.unwrap();
    batch.next().await.unwrap().unwrap();
    stack
        .wait_consumer_drained("PLAID_WEBHOOKS", "probe")
        .await
        .unwrap();
    let missing = tokio::time::timeout(
        Duration::from_secs(1),
        wait_consumer_drained(&js, "PLAID_WEBHOOKS", "nobody"),
    )
    .await;
    assert!(missing.is_err(), "a missing consumer is not drained");

    stack.stop().await.unwrap();
}

#[tokio::test]
async fn test_dbs_of_both_kinds() {
    penny_testkit::init();
    let runs = AtomicUsize::new(0);
    for_each_db(|kind| {
        let runs = &runs;
        async move {
            let db = TestDb::new(kind).await?;
            assert_eq!(db.kind(), kind);
            match kind {
                DbKind::Sqlite => {
                    assert!(db.url().starts_with("sqlite://"));
                    assert!(db.sqlite_path().is_some());
                }
                DbKind::Postgres => {
                    assert!(db.url().starts_with("postgres://"));
                    assert!(db.sqlite_path().is_none());
                }
            }
            runs.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    })
    .await
    .unwrap();
    assert_eq!(runs.load(Ordering::SeqCst), 2);

    let err = for_each_db(|kind| async move {
        anyhow::ensure!(kind == DbKind::Sqlite, "boom");
        Ok(())
    })
    .await
    .unwrap_err();
    assert_eq!(format!("{err:#}"), "on PostgreSQL: boom");
    assert_eq!(DbKind::Postgres.to_string(), "PostgreSQL");
}
