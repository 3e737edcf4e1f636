//! `kv::RateLimiter` against a real nats-server: replicas share one budget, per-Item budgets are
//! separate, the budget is spent evenly (a one-second burst, not a minute's worth at once), and
//! a spent budget says how long to wait; its metrics count each budget's decisions.

use std::time::Duration;

use penny_bus::kv::{Grant, Limits, RATE_LIMIT_BUCKET, RateLimitMetrics, RateLimiter};
use penny_testkit::NatsServer;
use prometheus_client::registry::Registry;
use tokio::time::Instant;

use crate::support::context;

const WINDOW: Duration = Duration::from_secs(60);

async fn replica(server: &NatsServer, limits: Limits) -> RateLimiter {
    let js = context(server).await;
    RateLimiter::open(&js, RATE_LIMIT_BUCKET, limits, 1)
        .await
        .unwrap()
}

#[tokio::test]
async fn replicas_spend_one_client_budget_together_and_evenly() {
    penny_testkit::init();
    let server = NatsServer::start().await.unwrap();
    // 600 a minute: a burst of 10 (one second's share), then one unit every ~101.7 ms.
    let limits = Limits {
        per_item: 0,
        per_client: 600,
        window: WINDOW,
    };
    let replicas = [
        replica(&server, limits).await,
        replica(&server, limits).await,
    ];
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..40 {
        let limiter = replicas[i % 2].clone();
        tasks.push(tokio::spawn(async move {
            limiter.acquire("auth_get", &format!("item-{i}")).await
        }));
    }
    let mut granted = 0u64;
    for task in tasks {
        match task.await.unwrap().unwrap() {
            Grant::Granted => granted += 1,
            Grant::Wait(d) => assert!(
                d > Duration::ZERO && d <= Duration::from_millis(110),
                "a refusal waits at most one interval: {d:?}"
            ),
        }
    }
    let elapsed = started.elapsed();
    // The burst, plus whatever the steady rate added while the 40 requests ran; never a
    // minute's worth.
    let steady = u64::try_from(elapsed.as_micros() / 101_700).unwrap() + 1;
    assert!(granted >= 10, "{granted}");
    assert!(granted <= 10 + steady, "{granted} in {elapsed:?}");
}

#[tokio::test]
async fn each_item_has_its_own_budget_checked_first() {
    penny_testkit::init();
    let server = NatsServer::start().await.unwrap();
    // Per Item: 2 a minute (one now, the next 30 s later); per client: 120 a minute (a burst
    // of 2, then one every ~504 ms).
    let limits = Limits {
        per_item: 2,
        per_client: 120,
        window: WINDOW,
    };
    let limiter = replica(&server, limits).await;
    let busy = "a.b*c>"; // not a valid key token: hashed
    assert_eq!(
        limiter.acquire("auth_get", busy).await.unwrap(),
        Grant::Granted
    );
    match limiter.acquire("auth_get", busy).await.unwrap() {
        Grant::Wait(d) => assert!(
            d > Duration::from_secs(29) && d <= Duration::from_secs(31),
            "the Item's next unit is 30 s away: {d:?}"
        ),
        Grant::Granted => panic!("a second unit for the Item at once"),
    }
    // The refused Item spent none of the client budget: the burst's second unit is left for
    // another Item, and then the client budget is spent for now.
    assert_eq!(
        limiter.acquire("auth_get", "quiet").await.unwrap(),
        Grant::Granted
    );
    assert!(matches!(
        limiter.acquire("auth_get", "other").await.unwrap(),
        Grant::Wait(_)
    ));
    // Another endpoint has its own budgets.
    assert_eq!(
        limiter.acquire("accounts_get", busy).await.unwrap(),
        Grant::Granted
    );
}

#[tokio::test]
async fn waiters_handed_back_get_turns_one_unit_apart_across_replicas() {
    penny_testkit::init();
    let server = NatsServer::start().await.unwrap();
    // 60 a minute: a burst of 1, then one unit every ~1.017 s.
    let limits = Limits {
        per_item: 0,
        per_client: 60,
        window: WINDOW,
    };
    let replicas = [
        replica(&server, limits).await,
        replica(&server, limits).await,
    ];
    assert_eq!(
        replicas[0].acquire_or_queue("auth_get", "a").await.unwrap(),
        Grant::Granted
    );
    let mut waits = Vec::new();
    for i in 0..6 {
        match replicas[i % 2]
            .acquire_or_queue("auth_get", &format!("w{i}"))
            .await
            .unwrap()
        {
            Grant::Wait(d) => waits.push(d),
            Grant::Granted => panic!("the budget was spent"),
        }
    }
    // Each waiter's turn is one interval (plus 2% of slack) after the one before, from the
    // next free unit on: they come back one by one, not all at once.
    for pair in waits.windows(2) {
        let gap = pair[1].saturating_sub(pair[0]);
        assert!(
            gap >= Duration::from_millis(1_000) && gap <= Duration::from_millis(1_100),
            "{waits:?}"
        );
    }
    assert!(waits[0] <= Duration::from_millis(1_100), "{waits:?}");
}

#[tokio::test]
async fn a_waiter_that_comes_back_at_its_turn_finds_its_unit() {
    penny_testkit::init();
    let server = NatsServer::start().await.unwrap();
    // 120 a minute: a burst of 2, then one unit every ~508 ms.
    let limits = Limits {
        per_item: 0,
        per_client: 120,
        window: WINDOW,
    };
    let limiter = replica(&server, limits).await;
    for _ in 0..2 {
        assert_eq!(
            limiter.acquire_or_queue("auth_get", "x").await.unwrap(),
            Grant::Granted
        );
    }
    let mut turns = Vec::new();
    for i in 0..3 {
        match limiter
            .acquire_or_queue("auth_get", &format!("w{i}"))
            .await
            .unwrap()
        {
            Grant::Wait(d) => turns.push(Instant::now() + d),
            Grant::Granted => panic!("the burst was spent"),
        }
    }
    for (i, turn) in turns.into_iter().enumerate() {
        tokio::time::sleep_until(turn).await;
        assert_eq!(
            limiter
                .acquire_or_queue("auth_get", &format!("w{i}"))
                .await
                .unwrap(),
            Grant::Granted,
            "waiter {i} at its turn"
        );
    }
}

#[tokio::test]
async fn metrics_count_each_budget_s_decisions_and_show_the_client_budget() {
    penny_testkit::init();
    let server = NatsServer::start().await.unwrap();
    // Per Item: 2 a minute (the second unit 30 s later); per client: 60 a minute (a burst of 1).
    let limits = Limits {
        per_item: 2,
        per_client: 60,
        window: WINDOW,
    };
    let mut registry = Registry::with_prefix("penny_test");
    let metrics = RateLimitMetrics::register(&mut registry);
    let limiter = replica(&server, limits).await.with_metrics(metrics.clone());
    // Item a: granted by both budgets; item a again: refused by its own budget (the client's
    // is not asked); item b: granted by its budget, refused by the client's (spent by a).
    assert_eq!(
        limiter.acquire("auth_get", "a").await.unwrap(),
        Grant::Granted
    );
    assert!(matches!(
        limiter.acquire("auth_get", "a").await.unwrap(),
        Grant::Wait(_)
    ));
    assert!(matches!(
        limiter.acquire_or_queue("auth_get", "b").await.unwrap(),
        Grant::Wait(_)
    ));
    assert_eq!(metrics.decisions("auth_get", "item", "granted"), 2);
    assert_eq!(metrics.decisions("auth_get", "item", "refused"), 1);
    assert_eq!(metrics.decisions("auth_get", "client", "granted"), 1);
    assert_eq!(metrics.decisions("auth_get", "client", "refused"), 1);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    for line in [
        "penny_test_rate_limit_decisions_total{endpoint=\"auth_get\",budget=\"client\",decision=\"refused\"} 1",
        "penny_test_rate_limit_client_limit_per_second 1.0",
    ] {
        assert!(text.contains(line), "{line} missing from\n{text}");
    }
}
