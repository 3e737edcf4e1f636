//! Three replicas on one NATS and one database share Plaid's per-client `/auth/get` budget:
//! with the sandbox enforcing a lowered limit, a burst of verifications produces no 429 and
//! every account ends verified. The budget is spent evenly (not a minute's worth at once): a
//! webhook that finds it spent is handed back at once with its turn among the waiters, one unit
//! apart; one that finds the product not ready yet is retried on the normal backoff.

use std::time::Duration;

use penny_plaid::VerificationStatus;
use penny_proto::v1 as pb;

use penny_bus::{Delivery, Handler, Outcome};
use penny_testkit::{Limit, RateLimitMode, RateLimits, WebhookFaults};
use tokio::time::Instant;

use crate::support::events::events_of;
use crate::support::{
    DbKind, Linked, app_config, auth_webhook, for_each_db, spawn_on, start_stack,
};

/// The sandbox's (and penny's) per-client `/auth/get` limit per minute: one unit every 5 s.
const LIMIT: u32 = 12;
/// Accounts verified at once: far more than the budget's burst (one unit).
const ACCOUNTS: usize = 7;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_share_one_auth_get_budget() -> anyhow::Result<()> {
    for_each_db(three_replicas_share_one_auth_get_budget_on).await
}

async fn three_replicas_share_one_auth_get_budget_on(kind: DbKind) -> anyhow::Result<()> {
    let stack = start_stack(kind).await?;
    let limit = Limit {
        per_client: Some(LIMIT),
        per_item: Some(15),
    };
    stack
        .control
        .set_rate_limits(&RateLimits::mode(RateLimitMode::Off).limit("/auth/get", limit))
        .await?;
    let mut replicas = Vec::new();
    for _ in 0..3 {
        replicas.push(
            spawn_on(&stack, |c| {
                c.rate_limits.auth_get_per_client = LIMIT;
                c.rate_limits.auth_get_per_item = 15;
                c.consumer.concurrency = 4;
                // The last waiter's turn is half a minute away: the handed-back webhooks must wait
                // that long in one step (the test stack's cap is 2 s).
                c.consumer.retry_cap = Duration::from_secs(90);
            })
            .await?,
        );
    }
    let mut linked = Vec::new();
    for i in 0..ACCOUNTS {
        linked.push(
            replicas[i % 3]
                .link_account(&format!("user-burst-{i}"))
                .await?,
        );
    }
    // The burst: Plaid verifies every account at once and fires the webhooks.
    for account in &linked {
        replicas[0]
            .set_verification_status(account, VerificationStatus::AutomaticallyVerified)
            .await?;
    }

    for account in &linked {
        replicas[1]
            .wait_for_status(
                &account.account_id,
                pb::AccountStatus::Verified,
                Duration::from_secs(150),
            )
            .await?;
    }
    let stats = stack.control.stats().await?;
    let auth_get = stats.endpoint("/auth/get");
    assert_eq!(auth_get.rate_limited, 0, "no 429 at the sandbox: {stats:?}");
    assert_eq!(auth_get.ok, ACCOUNTS as u64, "{stats:?}");
    let js = stack.jetstream().await?;
    for account in &linked {
        assert_eq!(
            events_of(&js, &account.account_id, "verified").await?.len(),
            1
        );
    }
    let dead = penny_bus::DeadLetters::new(js.clone()).count().await?;
    assert_eq!(dead, 0, "nothing parked");
    for replica in replicas {
        replica.stop().await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_spent_budget_hands_the_webhook_back_with_the_wait() -> anyhow::Result<()> {
    for_each_db(a_spent_budget_hands_the_webhook_back_with_the_wait_on).await
}

async fn a_spent_budget_hands_the_webhook_back_with_the_wait_on(
    kind: DbKind,
) -> anyhow::Result<()> {
    let stack = start_stack(kind).await?;
    // Links accounts; its consumer never sees a webhook (the sandbox drops them all).
    let app = spawn_on(&stack, |_| {}).await?;
    stack
        .control
        .set_webhook_faults(&WebhookFaults::drop_probability(1.0))
        .await?;
    let mut config = app_config(&stack);
    config.consumer.consumer_name = "verification-direct".into();
    config.rate_limits.auth_get_per_client = 2;
    let handler = penny_verification::App::build(config)
        .await?
        .webhook_handler();
    let subject = penny_bus::webhook_subject("AUTH", "AUTOMATICALLY_VERIFIED");
    let deliver = |linked: &Linked| {
        Delivery::new(
            subject.clone(),
            auth_webhook(
                "AUTOMATICALLY_VERIFIED",
                &linked.item_id,
                &linked.account_id,
            ),
            Default::default(),
        )
    };
    let early = app.link_account("user-early").await?;
    let first = app.link_account("user-first").await?;
    let second = app.link_account("user-second").await?;
    for linked in [&first, &second] {
        app.set_verification_status(linked, VerificationStatus::AutomaticallyVerified)
            .await?;
    }

    // Not ready at Plaid yet (spends the one unit): the normal backoff, not a rate-limit wait.
    let outcome = handler.handle(&deliver(&early)).await;
    assert!(
        matches!(outcome, Outcome::Retry { ref reason } if reason.contains("PRODUCT_NOT_READY")),
        "{outcome:?}"
    );
    // Budget spent (2 a minute: one unit every 30 s): each webhook is handed back at once with
    // its turn, the first 30 s away and the next one a unit later.
    let mut delays = Vec::new();
    for linked in [&first, &second] {
        let started = Instant::now();
        let outcome = handler.handle(&deliver(linked)).await;
        let took = started.elapsed();
        let Outcome::RetryAfter { delay, reason } = outcome else {
            anyhow::bail!("expected RetryAfter, got {outcome:?}");
        };
        assert!(took < Duration::from_secs(2), "the handler waited {took:?}");
        assert!(reason.contains("rate-limit"), "{reason}");
        delays.push(delay);
    }
    assert!(
        delays[0] >= Duration::from_secs(28) && delays[0] <= Duration::from_secs(31),
        "{delays:?}"
    );
    let gap = delays[1].saturating_sub(delays[0]);
    assert!(
        gap >= Duration::from_secs(29) && gap <= Duration::from_secs(32),
        "one unit (plus 2%) apart: {delays:?}"
    );
    for linked in [&first, &second] {
        assert_eq!(
            app.account(&linked.account_id).await?.status,
            pb::AccountStatus::Pending as i32
        );
    }
    let stats = stack.control.stats().await?;
    assert_eq!(stats.endpoint("/auth/get").ok, 0, "{stats:?}");
    app.stop().await
}
