//! Plaid's retries of refused webhooks, on the sandbox's clock: [`retry_until_delivered`] moves
//! the clock to each next retry (30 s after a failed attempt, ×4 each time, six in all) until
//! every webhook of the burst was delivered, so a case need not wait half a minute or more of
//! real time for each.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use penny_testkit::{DeliveryOutcome, SandboxControl, WebhookAttempt, poll_until};

/// Plaid's retries after each failed attempt (the sandbox's `retry_delay`), plus a second.
const RETRIES: [u64; 6] = [31, 121, 481, 1_921, 7_681, 30_721];
/// How long one round of attempts may take to be answered.
const ROUND: Duration = Duration::from_secs(60);

/// Until all `n` webhooks with `code` were delivered: waits for every attempt of the round to
/// be answered, runs `before_retry` (e.g. waits for space), and moves the clock to the next
/// retry. Returns how many were delivered after each round; fails once Plaid gave up on one.
pub async fn retry_until_delivered<F, Fut>(
    sandbox: &SandboxControl,
    code: &str,
    n: usize,
    mut before_retry: F,
) -> anyhow::Result<Vec<usize>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let mut rounds = Vec::new();
    for retry in RETRIES {
        let delivered = poll_until(ROUND, || async {
            answered(sandbox, code, n).await.ok().flatten()
        })
        .await?;
        rounds.push(delivered);
        if delivered >= n {
            return Ok(rounds);
        }
        before_retry().await?;
        sandbox.advance_clock(Duration::from_secs(retry)).await?;
    }
    anyhow::bail!("Plaid gave up retrying: delivered after each round {rounds:?}")
}

/// How many of the `n` webhooks with `code` were delivered, once each has been answered: its
/// last attempt delivered, or refused with a retry still to come; `None` while some wait for an
/// answer or a due retry.
async fn answered(sandbox: &SandboxControl, code: &str, n: usize) -> anyhow::Result<Option<usize>> {
    let now = sandbox.clock().await?.now;
    let mut last: HashMap<u64, WebhookAttempt> = HashMap::new();
    for attempt in sandbox.webhook_attempts(code).await? {
        let newer = last
            .get(&attempt.delivery_id)
            .is_none_or(|seen| seen.attempt < attempt.attempt);
        if newer {
            last.insert(attempt.delivery_id, attempt);
        }
    }
    let delivered = last
        .values()
        .filter(|a| a.outcome == DeliveryOutcome::Delivered)
        .count();
    let waiting = last
        .values()
        .filter(|a| a.next_retry_at.is_some_and(|due| due > now))
        .count();
    Ok((delivered + waiting >= n).then_some(delivered))
}
