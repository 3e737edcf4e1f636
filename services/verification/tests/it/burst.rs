//! Bursts against Plaid's budget: with the sandbox enforcing the same limit and failing 30% of
//! `/auth/get` calls, every attempt (retries included) takes its unit, so the sandbox answers no
//! 429 and sees no more calls than the budget allowed; and with a small budget and thousands of
//! verifications waiting their turn, an expiry (which needs no Plaid call) is processed at once.
//!
//! The budget lives in NATS (the limiter's key-value bucket), not the database, so these run on
//! SQLite only.

use std::time::Duration;

use async_nats::jetstream;
use penny_plaid::VerificationStatus;
use penny_proto::v1 as pb;
use penny_testkit::{EndpointFault, ForcedError, Limit, RateLimitMode, RateLimits, poll_until};
use tokio::time::Instant;

use crate::support::events::publish_webhook;
use crate::support::{DbKind, auth_webhook, poll_events, spawn_on, start_stack};

/// Per-client `/auth/get` budget per minute for the 500s test: two units a second.
const LIMIT: u32 = 120;
/// Accounts verified at once in the 500s test.
const ACCOUNTS: usize = 24;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn injected_500s_draw_no_429_and_plaid_sees_no_more_calls_than_the_budget()
-> anyhow::Result<()> {
    let stack = start_stack(DbKind::Sqlite).await?;
    let limit = Limit {
        per_client: Some(LIMIT),
        per_item: Some(15),
    };
    stack
        .control
        .set_rate_limits(&RateLimits::mode(RateLimitMode::Off).limit("/auth/get", limit))
        .await?;
    let mut replicas = Vec::new();
    for _ in 0..2 {
        replicas.push(
            spawn_on(&stack, |c| {
                c.rate_limits.auth_get_per_client = LIMIT;
                c.rate_limits.auth_get_per_item = 15;
                c.consumer.retry_cap = Duration::from_secs(30);
            })
            .await?,
        );
    }
    let mut linked = Vec::new();
    for i in 0..ACCOUNTS {
        linked.push(
            replicas[i % 2]
                .link_account(&format!("user-500s-{i}"))
                .await?,
        );
    }
    stack.control.reset_stats().await?;
    stack
        .control
        .add_fault(
            &EndpointFault::error("/auth/get", ForcedError::InternalServerError).probability(0.3),
        )
        .await?;

    let started = Instant::now();
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
                Duration::from_secs(120),
            )
            .await?;
    }
    let elapsed = started.elapsed();

    let auth_get = stack.control.stats().await?.endpoint("/auth/get");
    assert_eq!(
        auth_get.rate_limited, 0,
        "no 429 at the sandbox: {auth_get:?}"
    );
    assert_eq!(
        auth_get.ok, ACCOUNTS as u64,
        "one success per account: {auth_get:?}"
    );
    assert!(
        auth_get.errors > 0,
        "the injected 500s happened (else this shows nothing): {auth_get:?}"
    );
    // The budget over the elapsed time: its burst (one second's share) plus the steady rate.
    let budget =
        u64::from(LIMIT / 60) + (elapsed.as_secs_f64() * f64::from(LIMIT) / 60.0) as u64 + 1;
    assert!(
        auth_get.calls <= budget,
        "Plaid saw {} calls in {elapsed:?}, the budget allows {budget}",
        auth_get.calls
    );
    let js = stack.jetstream().await?;
    for account in &linked {
        assert_eq!(
            poll_events(&js, &account.account_id, "verified", 1)
                .await?
                .len(),
            1,
            "one verified event for {}",
            account.account_id
        );
    }
    for replica in replicas {
        replica.stop().await?;
    }
    Ok(())
}

/// Verification webhooks waiting for budget in the expiry test.
const WAITING: usize = 2000;
/// Items they are spread over.
const ITEMS: usize = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expiry_is_processed_while_thousands_of_verifications_wait_for_budget()
-> anyhow::Result<()> {
    let stack = start_stack(DbKind::Sqlite).await?;
    // Two `/auth/get` a minute for the whole client (per-Item budgets off, so the wait is the
    // client's): nearly every verification must wait its turn, minutes away.
    let app = spawn_on(&stack, |c| {
        c.rate_limits.auth_get_per_client = 2;
        c.rate_limits.auth_get_per_item = 0;
        c.consumer.retry_cap = Duration::from_secs(900);
    })
    .await?;
    let mut items = Vec::new();
    for i in 0..ITEMS {
        items.push(app.link_account(&format!("user-waiting-{i}")).await?);
    }
    let expiring = app.link_account("user-expiring").await?;
    stack.control.reset_stats().await?;

    let js = stack.jetstream().await?;
    for i in 0..WAITING {
        let linked = &items[i % ITEMS];
        // Distinct bodies (Plaid's webhooks differ too), so none is a duplicate of another.
        let mut body: serde_json::Value = serde_json::from_slice(&auth_webhook(
            "AUTOMATICALLY_VERIFIED",
            &linked.item_id,
            &linked.account_id,
        ))?;
        body["burst_index"] = serde_json::json!(i);
        publish_webhook(&js, &serde_json::to_vec(&body)?, None).await?;
    }
    // Every one delivered and handed back to wait for its turn (none held by a handler).
    let waiting = poll_until(Duration::from_secs(120), || async {
        let info = numbers_consumer(&js).await.ok()?;
        (info.num_pending == 0 && info.num_ack_pending + 2 >= WAITING)
            .then_some(info.num_ack_pending)
    })
    .await?;
    assert!(waiting >= WAITING - 2, "{waiting} waiting");

    let expired = auth_webhook(
        "VERIFICATION_EXPIRED",
        &expiring.item_id,
        &expiring.account_id,
    );
    publish_webhook(&js, &expired, None).await?;
    app.wait_for_status(
        &expiring.account_id,
        pb::AccountStatus::Expired,
        Duration::from_secs(20),
    )
    .await?;
    // The status is committed with the event in the outbox; the relay publishes it after.
    assert_eq!(
        poll_events(&js, &expiring.account_id, "verification_expired", 1)
            .await?
            .len(),
        1
    );

    // The verifications are still waiting: the expiry did not queue behind them.
    let info = numbers_consumer(&js).await?;
    assert!(
        info.num_ack_pending + 2 >= WAITING,
        "the verifications were not still waiting: {} unacked",
        info.num_ack_pending
    );
    for linked in &items {
        assert_eq!(
            app.account(&linked.account_id).await?.status,
            pb::AccountStatus::Pending as i32
        );
    }
    let auth_get = stack.control.stats().await?.endpoint("/auth/get");
    assert!(auth_get.calls <= 2, "within the budget: {auth_get:?}");
    app.stop().await
}

async fn numbers_consumer(js: &jetstream::Context) -> anyhow::Result<jetstream::consumer::Info> {
    let mut consumer = js
        .get_consumer_from_stream::<jetstream::consumer::pull::Config, _, _>(
            "verification",
            penny_bus::PLAID_WEBHOOKS,
        )
        .await?;
    Ok(consumer.info().await?.clone())
}
