//! Plaid's webhook delivery misbehaving during the burst: every webhook sent three times and
//! held in windows sent newest first (the last window only when flushed), and the signing key
//! rotated at random points while the burst is delivered (a webhook signed with the old key
//! after ingress learnt of the rotation is refused and Plaid's retry, signed with the new key,
//! is stored).

use std::time::Duration;

use penny_testkit::{WebhookFaults, poll_until};

use super::harness::{Case, FaultEnd};

/// Members in the short burst.
const N: usize = 100;
/// Copies of each webhook.
const DUPLICATES: u32 = 3;
/// Webhooks held before a window is sent newest first.
const REORDER_WINDOW: u32 = 7;
/// Members in the short key-rotation burst: fewer than [`HOLD_WINDOW`].
const KEY_ROTATION_N: usize = 90;
/// The largest reorder window: webhooks wait in it until it fills or is flushed.
const HOLD_WINDOW: u32 = 100;
/// Plaid's first retry of a refused webhook (the sandbox's `retry_delay`), and a second.
const PLAID_RETRY: Duration = Duration::from_secs(31);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicated_and_reordered_webhooks_end_in_one_effect_each() -> anyhow::Result<()> {
    let mut case = Case::start("duplicates_reordered", N, |_| {}).await?;
    let sandbox = case.stack.sandbox();
    sandbox
        .set_webhook_faults(&WebhookFaults {
            duplicates: Some(DUPLICATES),
            reorder_window: Some(REORDER_WINDOW),
            ..WebhookFaults::default()
        })
        .await?;
    case.trigger().await?;
    case.pause(Duration::from_secs(1), Duration::from_secs(3))
        .await;
    let (t, pushed, n) = (case.t(), case.pushes(), case.size.n);
    let flushed = sandbox.flush_webhooks().await?;
    sandbox.clear_faults().await?;
    let end = FaultEnd::now();
    let fault = format!(
        "each webhook sent ×{DUPLICATES}, windows of {REORDER_WINDOW} newest first, the last \
         {flushed} flushed at {t:.1} s ({pushed}/{n})"
    );
    let figures = case.finish(fault, end).await?;
    assert_eq!(
        figures.webhooks_sent,
        n * DUPLICATES as usize,
        "every copy sent"
    );
    case.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_key_rotated_mid_burst_loses_and_doubles_nothing() -> anyhow::Result<()> {
    // Fewer than a window: the short burst is held until flushed, signed then.
    let mut case = Case::start("key_rotation", KEY_ROTATION_N, |_| {}).await?;
    let sandbox = case.stack.sandbox();
    let n = case.size.n;
    sandbox
        .set_webhook_faults(&WebhookFaults::reorder_window(HOLD_WINDOW))
        .await?;
    let timers = sandbox.stats().await?.pending_timers;
    case.trigger().await?;
    // Every member's verification timer fired: their webhooks are built (and held).
    poll_until(Duration::from_secs(10), || {
        let sandbox = sandbox.clone();
        async move {
            let left = sandbox.stats().await.ok()?.pending_timers;
            (left + n as u64 <= timers).then_some(())
        }
    })
    .await?;
    let mut rotations = Vec::new();
    let mut flushed = 0;
    for i in 0..case.size.faults {
        let (t, pushed) = (case.t(), case.pushes());
        sandbox.rotate_key().await?;
        rotations.push(format!("{t:.2} s ({pushed}/{n})"));
        if i == 0 {
            // What was held leaves signed with a key ingress has not seen yet; the next
            // rotations strike while it is delivered.
            flushed = sandbox.flush_webhooks().await?;
            sandbox.clear_faults().await?;
        }
        case.pause(Duration::ZERO, Duration::from_millis(100)).await;
    }
    // Plaid's retries of anything refused (signed with a key expired meanwhile) fall due.
    case.pause(Duration::from_secs(1), Duration::from_secs(2))
        .await;
    sandbox.advance_clock(PLAID_RETRY).await?;
    let end = FaultEnd::now();
    let fault = format!(
        "signing key rotated ×{} at {}, {flushed} held webhooks sent after the first \
         (Plaid's retries 30 s later)",
        rotations.len(),
        rotations.join(", ")
    );
    case.finish(fault, end).await?;
    case.stop().await
}
