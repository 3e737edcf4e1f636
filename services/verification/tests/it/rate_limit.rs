//! Three replicas on one NATS and one database share Plaid's per-client `/auth/get` budget:
//! with the sandbox enforcing a lowered limit, a burst of verifications produces no 429 and
//! every account ends verified.

use std::time::Duration;

use penny_plaid::VerificationStatus;
use penny_proto::v1 as pb;

use crate::support::events::events_of;
use crate::support::{DbKind, Stack, spawn_on};

/// The sandbox's (and penny's) per-client `/auth/get` limit per minute.
const LIMIT: u32 = 4;
/// Accounts verified at once: more than one window's budget.
const ACCOUNTS: usize = 7;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_share_one_auth_get_budget() -> anyhow::Result<()> {
    let stack = Stack::start(DbKind::Sqlite).await?;
    stack
        .sandbox_control(
            "/__sandbox/rate_limits",
            serde_json::json!({
                "mode": "off",
                "overrides": { "/auth/get": { "per_client": LIMIT, "per_item": 15 } }
            }),
        )
        .await?;
    let mut replicas = Vec::new();
    for _ in 0..3 {
        replicas.push(
            spawn_on(&stack, |c| {
                c.rate_limits.auth_get_per_client = LIMIT;
                c.rate_limits.auth_get_per_item = 15;
                c.consumer.concurrency = 4;
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
    let stats = stack.sandbox_get("/__sandbox/stats").await?;
    let auth_get = &stats["endpoints"]["/auth/get"];
    assert_eq!(
        auth_get["rate_limited"], 0,
        "no 429 at the sandbox: {stats}"
    );
    assert_eq!(auth_get["ok"], ACCOUNTS as u64, "{stats}");
    let js = stack.jetstream().await?;
    for account in &linked {
        assert_eq!(
            events_of(&js, &account.account_id, "verified").await?.len(),
            1
        );
    }
    for replica in replicas {
        replica.stop().await?;
    }
    Ok(())
}
