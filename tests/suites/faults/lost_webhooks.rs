//! Webhooks lost on the way (the sandbox drops 20% of them, never sent, as when Plaid gives up
//! after 24 hours): the reconciliation sweep settles their accounts by asking `/accounts/get`,
//! with no help from the app backend. The sweep checks each account a second after linking and
//! every 5 s after (in production: two business days after linking, then every 6 h), so it
//! races the delivered webhooks too; every member still ends with exactly one of each effect,
//! and each dropped webhook's account shows the sweep as the cause of its change.

use std::collections::HashSet;
use std::time::Duration;

use penny_proto::v1 as pb;
use penny_testkit::{DeliveryOutcome, WebhookFaults, poll_until};

use super::harness::{Case, FaultEnd};

/// Members in the short burst.
const N: usize = 100;
/// Share of the webhooks dropped.
const DROP: f64 = 0.2;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_webhooks_are_settled_by_the_reconciliation_sweep_and_nothing_is_lost()
-> anyhow::Result<()> {
    let mut case = Case::start("lost_webhooks", N, |options| {
        for (var, value) in [
            ("PENNY_VERIFICATION_RECONCILE_INTERVAL", "1s"),
            ("PENNY_VERIFICATION_RECONCILE_FIRST_CHECK", "1s"),
            // Under Plaid's 15/min per Item: one check of an Item every 5 s is 12/min.
            ("PENNY_VERIFICATION_RECONCILE_RECHECK", "5s"),
            ("PENNY_VERIFICATION_RECONCILE_CLAIM", "5s"),
        ] {
            options
                .env
                .push(("penny-verification", var, value.to_owned()));
        }
    })
    .await?;
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
    let end = FaultEnd::now();
    let dropped: HashSet<String> = attempts
        .iter()
        .filter(|a| a.outcome == DeliveryOutcome::Dropped)
        .filter_map(|a| account_of(&a.body))
        .collect();
    assert!(!dropped.is_empty(), "no webhook was dropped");
    let fault = format!(
        "{:.0}% of webhooks dropped ({} of {n}); the reconciliation sweep settles them",
        DROP * 100.0,
        dropped.len()
    );
    case.finish(fault, end).await?;
    // Nothing but the sweep could have settled a dropped webhook's account.
    let mut clients = case.clients.clone();
    for account_id in &dropped {
        let history = clients
            .verification
            .get_account_history(pb::GetAccountHistoryRequest {
                account_id: account_id.clone(),
            })
            .await?
            .into_inner();
        let verified = history
            .status_changes
            .iter()
            .find(|c| c.to_status == pb::AccountStatus::Verified as i32)
            .ok_or_else(|| anyhow::anyhow!("{account_id}: no change to verified"))?;
        assert_eq!(verified.cause, "sweep/reconcile", "{account_id}");
        assert_eq!(
            verified.dedupe_key, "",
            "{account_id}: no webhook caused it"
        );
    }
    case.stop().await
}

/// The `account_id` of an `AUTH` webhook's body.
fn account_of(body: &str) -> Option<String> {
    let json: serde_json::Value = serde_json::from_str(body).ok()?;
    json["account_id"].as_str().map(str::to_owned)
}
