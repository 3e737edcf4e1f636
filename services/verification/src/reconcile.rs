//! The reconciliation sweep's timer: a pass every `interval` (and one at start) on every
//! replica, each pass draining what is due batch by batch. Plaid drops a webhook for good after
//! 24 hours of retries and has no replay, so this is what makes "nothing lost" independent of
//! Plaid's delivery: an account whose outcome webhook never arrived is settled by asking
//! `/accounts/get` once its outcome is overdue (see [`crate::domain::reconcile`]).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::metrics::Metrics;
use crate::verifier::{CheckOutcome, SweepPass, Verifier};

/// Runs a pass now and every `interval` until `shutdown`.
pub async fn run(
    verifier: Verifier,
    pass: SweepPass,
    interval: Duration,
    metrics: Metrics,
    shutdown: CancellationToken,
) {
    penny_runtime::periodic::every(interval, &shutdown, || {
        drain(&verifier, pass, &metrics, &shutdown)
    })
    .await;
}

/// Passes until a batch comes back short of due accounts or all failed (then the next tick).
async fn drain(
    verifier: &Verifier,
    pass: SweepPass,
    metrics: &Metrics,
    shutdown: &CancellationToken,
) {
    while !shutdown.is_cancelled() {
        let outcomes = match verifier.reconcile_due(pass).await {
            Ok(outcomes) => outcomes,
            Err(error) => {
                tracing::warn!(error = %error, "reconciliation pass failed");
                return;
            }
        };
        for outcome in &outcomes {
            metrics.reconcile_checked(*outcome);
        }
        let progressed = outcomes.iter().any(|o| *o != CheckOutcome::Failed);
        if !outcomes.is_empty() {
            tracing::debug!(due = outcomes.len(), "reconciliation pass");
        }
        if (outcomes.len() as u64) < pass.batch || !progressed {
            return;
        }
    }
}
