//! `kv::RateLimiter` against a real nats-server: replicas share one budget, per-Item budgets are
//! separate, and a spent budget says how long to wait.

use std::time::Duration;

use penny_bus::kv::{Grant, Limits, RATE_LIMIT_BUCKET, RateLimiter};
use penny_testkit::NatsServer;

use crate::support::context;

const WINDOW: Duration = Duration::from_secs(60);

async fn replica(server: &NatsServer, limits: Limits) -> RateLimiter {
    let js = context(server).await;
    RateLimiter::open(&js, RATE_LIMIT_BUCKET, limits, 1)
        .await
        .unwrap()
}

#[tokio::test]
async fn replicas_spend_one_client_budget_together() {
    penny_testkit::init();
    let server = NatsServer::start().await.unwrap();
    let limits = Limits {
        per_item: 0,
        per_client: 5,
        window: WINDOW,
    };
    let replicas = [
        replica(&server, limits).await,
        replica(&server, limits).await,
    ];
    let mut tasks = Vec::new();
    for i in 0..20 {
        let limiter = replicas[i % 2].clone();
        tasks.push(tokio::spawn(async move {
            limiter.acquire("auth_get", &format!("item-{i}")).await
        }));
    }
    let mut granted = 0;
    for task in tasks {
        match task.await.unwrap().unwrap() {
            Grant::Granted => granted += 1,
            Grant::Wait(d) => assert!(
                d > Duration::ZERO && d <= WINDOW + WINDOW / 12 + Duration::from_secs(1),
                "{d:?}"
            ),
        }
    }
    assert_eq!(granted, 5);
}

#[tokio::test]
async fn each_item_has_its_own_budget_checked_first() {
    penny_testkit::init();
    let server = NatsServer::start().await.unwrap();
    let limits = Limits {
        per_item: 2,
        per_client: 3,
        window: WINDOW,
    };
    let limiter = replica(&server, limits).await;
    let busy = "a.b*c>"; // not a valid key token: hashed
    assert_eq!(
        limiter.acquire("auth_get", busy).await.unwrap(),
        Grant::Granted
    );
    assert_eq!(
        limiter.acquire("auth_get", busy).await.unwrap(),
        Grant::Granted
    );
    assert!(matches!(
        limiter.acquire("auth_get", busy).await.unwrap(),
        Grant::Wait(_)
    ));
    // The refused Item spent none of the client budget: one unit is left for another Item.
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
