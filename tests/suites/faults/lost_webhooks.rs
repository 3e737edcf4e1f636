//! Webhooks lost on the way (the sandbox drops 20% of them, never sent): penny has no periodic
//! sweep of accounts left pending, so those members stay pending until someone asks. The case
//! shows exactly that (the pending members are the dropped webhooks' accounts, with no effect
//! yet), then recovers them the one way penny offers: `RefreshAccount` by the app backend,
//! which reconciles each with `/accounts/get` and fetches the numbers. Every member then has one
//! of each effect.

use std::collections::HashSet;
use std::time::Duration;

use penny_proto::v1 as pb;
use penny_testkit::{DeliveryOutcome, WebhookFaults, poll_until};

use crate::harness::{Case, FaultEnd};

/// Members in the short burst.
const N: usize = 100;
/// Share of the webhooks dropped.
const DROP: f64 = 0.2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_webhooks_stay_pending_until_refreshed_then_nothing_is_lost() -> anyhow::Result<()> {
    let mut case = Case::start("lost_webhooks", N, |_| {}).await?;
    let sandbox = case.stack.sandbox();
    sandbox
        .set_webhook_faults(&WebhookFaults::drop_probability(DROP))
        .await?;
    case.trigger().await?;
    let n = case.size.n;
    // The drops are known once every webhook left: n attempts, delivered or dropped.
    let attempts = poll_until(Duration::from_secs(30), || {
        let sandbox = sandbox.clone();
        async move {
            let attempts = sandbox
                .webhook_attempts("AUTOMATICALLY_VERIFIED")
                .await
                .ok()?;
            (attempts.len() >= n).then_some(attempts)
        }
    })
    .await?;
    sandbox.clear_faults().await?;
    let dropped: HashSet<String> = attempts
        .iter()
        .filter(|a| a.outcome == DeliveryOutcome::Dropped)
        .filter_map(|a| account_of(&a.body))
        .collect();
    assert!(!dropped.is_empty(), "no webhook was dropped");
    // The delivered ones drain; the dropped ones' members get nothing.
    let expected = n - dropped.len();
    poll_until(case.size.settle_deadline(), || {
        let done = case.pushes() >= expected;
        async move { done.then_some(()) }
    })
    .await?;
    let mut clients = case.clients.clone();
    let mut pending = HashSet::new();
    for member in &case.cohort.members {
        let account = clients
            .verification
            .get_account(pb::GetAccountRequest {
                account_id: member.account_id.clone(),
            })
            .await?
            .into_inner();
        if account.status == pb::AccountStatus::Pending as i32 {
            pending.insert(member.account_id.clone());
        }
    }
    assert_eq!(
        pending, dropped,
        "pending: exactly the dropped webhooks' accounts"
    );
    // No sweep: the app backend refreshes what it still sees pending.
    for account_id in &pending {
        clients
            .verification
            .refresh_account(pb::RefreshAccountRequest {
                account_id: account_id.clone(),
            })
            .await?;
    }
    let end = FaultEnd::now();
    let fault = format!(
        "{:.0}% of webhooks dropped ({} of {n}); no sweep: RefreshAccount by the app backend",
        DROP * 100.0,
        dropped.len()
    );
    case.finish(fault, end).await?;
    case.stop().await
}

/// The `account_id` of an `AUTH` webhook's body.
fn account_of(body: &str) -> Option<String> {
    let json: serde_json::Value = serde_json::from_str(body).ok()?;
    json["account_id"].as_str().map(str::to_owned)
}
