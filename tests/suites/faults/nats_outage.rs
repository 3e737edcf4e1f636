//! nats-server killed (SIGKILL) and started again on the same store under load. The first
//! outage begins as the burst leaves the sandbox, so ingress answers 503 to what it cannot
//! store and Plaid retries it (30 s later: the sandbox's clock is moved past the retry); later
//! ones strike at random points of the drain, while consumers fetch, commit and publish (and
//! Plaid's retries of anything they refused are brought forward too). Ingress and the
//! consumers reconnect without a restart.

use std::time::Duration;

use super::harness::{Case, FaultEnd, retry_until_delivered};

/// Members in the short burst.
const N: usize = 100;
/// Plaid's first retry of a refused webhook (the sandbox's `retry_delay`), and a second.
const PLAID_RETRY: Duration = Duration::from_secs(31);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_killed_under_load_gives_503s_then_loses_and_doubles_nothing() -> anyhow::Result<()> {
    let mut case = Case::start("nats_outage", N, |_| {}).await?;
    let n = case.size.n;
    let mut outages = Vec::new();
    let mut end = FaultEnd::now();
    for i in 0..case.size.faults {
        if i == 0 {
            case.stack.kill_nats().await?;
            case.trigger().await?;
        } else {
            case.pause(Duration::ZERO, Duration::from_secs(2)).await;
            case.stack.kill_nats().await?;
        }
        let (t, pushed) = (case.t(), case.pushes());
        let down = case
            .random
            .between(Duration::from_secs(1), Duration::from_secs(3));
        tokio::time::sleep(down).await;
        case.stack.start_nats().await?;
        case.ingress_ready().await?;
        end = FaultEnd::now();
        outages.push(format!(
            "{t:.1} s for {:.1} s ({pushed}/{n})",
            down.as_secs_f64()
        ));
        if i == 0 {
            // Plaid's retries of what ingress refused fall due.
            case.stack.sandbox().advance_clock(PLAID_RETRY).await?;
        }
    }
    // And of anything a later outage refused.
    let sandbox = case.stack.sandbox();
    retry_until_delivered(&sandbox, "AUTOMATICALLY_VERIFIED", n, || async { Ok(()) }).await?;
    let refused = case
        .stack
        .sandbox()
        .webhook_attempts("AUTOMATICALLY_VERIFIED")
        .await?
        .iter()
        .filter(|a| a.status == Some(503))
        .count();
    assert!(refused > 0, "ingress answered no 503 while NATS was down");
    let fault = format!(
        "nats-server kill -9 ×{} at {} ({refused} webhooks answered 503, retried by Plaid)",
        outages.len(),
        outages.join(", ")
    );
    case.finish(fault, end).await?;
    case.stop().await
}
