//! The scheduler: one replica at a time (a `kv::Lease` shared through NATS) sweeps the
//! database for alerts whose time has come — scheduled ones ("check your statement" at 8:30 ET),
//! retries after their backoff, quiet hours that ended, unknown email and push alerts whose
//! resend is due — and for claims that ran out, and hands the due ones to its dispatcher.
//!
//! The lease makes one replica do the sweeping; it is not what makes a send happen once. The
//! compare-and-set claim on each alert row is: a paused ex-holder that sweeps again after
//! losing the lease finds its claims refused. Scheduled alerts live in the database with their
//! due time, so a restart (or a new holder) picks up exactly where the last one stopped.

use std::time::Duration;

use penny_bus::kv::LeaseBucket;
use tokio_util::sync::CancellationToken;

use super::{DispatchHandle, Offer};
use crate::domain::SendState;
use crate::notifier::Notifier;

/// The lease's name in the bucket.
pub const LEASE_NAME: &str = "notifier.scheduler";

/// The scheduler's knobs.
#[derive(Clone, Debug)]
pub struct SchedulerSettings {
    /// Time between sweeps.
    pub poll: Duration,
    /// Alerts looked at per state and sweep.
    pub batch: u64,
    /// This replica's name in the lease.
    pub holder: String,
}

/// Runs until `shutdown`: acquires the lease when free, sweeps while holding it.
pub async fn run(
    notifier: Notifier,
    handle: DispatchHandle,
    leases: LeaseBucket,
    settings: SchedulerSettings,
    shutdown: CancellationToken,
) {
    while !shutdown.is_cancelled() {
        match leases.try_acquire(LEASE_NAME, &settings.holder).await {
            Ok(Some(lease)) => {
                tracing::info!(token = lease.token(), "scheduler lease acquired");
                notifier.metrics().set_leader(true);
                let finished = lease
                    .run_while_held(&shutdown, |_token, cancel| {
                        sweep_until(&notifier, &handle, &settings, cancel)
                    })
                    .await;
                notifier.metrics().set_leader(false);
                if finished.is_lost() {
                    tracing::warn!("scheduler lease lost; another replica sweeps now");
                }
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "scheduler lease unavailable"),
        }
        tokio::select! {
            () = shutdown.cancelled() => {}
            () = tokio::time::sleep(settings.poll) => {}
        }
    }
}

async fn sweep_until(
    notifier: &Notifier,
    handle: &DispatchHandle,
    settings: &SchedulerSettings,
    cancel: CancellationToken,
) {
    while !cancel.is_cancelled() {
        let full = match sweep(notifier, handle, settings.batch).await {
            Ok(full) => full,
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "scheduler sweep failed");
                false
            }
        };
        notifier.metrics().swept();
        if full {
            tokio::task::yield_now().await;
            continue;
        }
        tokio::select! {
            () = cancel.cancelled() => {}
            () = tokio::time::sleep(settings.poll) => {}
        }
    }
}

/// One pass: expired claims → unknown; due pending and due unknown (resend) alerts → the
/// dispatcher. `true` when it found a full batch (sweep again at once).
async fn sweep(notifier: &Notifier, handle: &DispatchHandle, batch: u64) -> anyhow::Result<bool> {
    notifier.expire_claims(batch).await?;
    let mut full = false;
    for state in [SendState::Pending, SendState::Unknown] {
        let limit = batch.min(u64::try_from(handle.room()).unwrap_or(u64::MAX));
        if limit == 0 {
            return Ok(false);
        }
        let mut queued = 0u64;
        for id in notifier.due_alerts(state, limit).await? {
            match handle.offer(id) {
                Offer::Queued => queued += 1,
                Offer::AlreadyQueued => {}
                Offer::Full => return Ok(false),
            }
        }
        full |= queued == batch;
    }
    Ok(full)
}
