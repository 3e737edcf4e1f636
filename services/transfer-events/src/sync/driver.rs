//! Each replica's loop: wait for a wake-up (a request recorded here) or the check interval,
//! look for unserved requests, take the lease if one waits, and sync while requests wait. A
//! failed sync releases the lease and backs off; a busy lease means another replica serves.

use std::time::Duration;

use penny_bus::kv::Finished;
use rand::Rng as _;
use tokio_util::sync::CancellationToken;

use super::Syncer;
use super::once::SyncError;
use crate::crash::{self, CrashPoint};
use crate::store::feed::{self, Start};

/// How a round of [`Syncer::serve_pending`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Round {
    /// Nothing waits (or shutting down).
    Idle,
    /// Another replica holds the lease: it serves (or its lease expires and we look again).
    Busy,
}

impl Syncer {
    /// Runs this replica's driver until `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        let settings = &self.inner.settings;
        tracing::info!(
            feed = %self.inner.feed,
            holder = %settings.holder,
            lease = %self.lease_name(),
            "sync driver started"
        );
        let mut failures: u32 = 0;
        // Look at once: requests a crashed replica left.
        let mut wait = Duration::ZERO;
        loop {
            tokio::select! {
                biased;
                () = shutdown.cancelled() => break,
                () = self.inner.wake.notified(), if failures == 0 => {}
                () = tokio::time::sleep(wait) => {}
            }
            match self.serve_pending(&shutdown).await {
                Ok(_) => {
                    failures = 0;
                    wait = settings.check_every;
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    wait = backoff(settings.retry_base, settings.retry_cap, failures);
                    tracing::warn!(%error, failures, ?wait, "sync failed; the request stays pending");
                }
            }
        }
        tracing::info!(feed = %self.inner.feed, "sync driver stopped");
    }

    /// While a request waits: take the lease and sync under it.
    async fn serve_pending(&self, shutdown: &CancellationToken) -> Result<Round, SyncError> {
        let inner = &self.inner;
        loop {
            if shutdown.is_cancelled() || !feed::pending(&inner.db, inner.feed).await? {
                return Ok(Round::Idle);
            }
            let acquired = inner
                .leases
                .try_acquire(&self.lease_name(), &inner.settings.holder)
                .await
                .map_err(|e| SyncError::Internal(e.into()))?;
            let Some(lease) = acquired else {
                inner.metrics.lease_busy();
                return Ok(Round::Busy);
            };
            inner.metrics.lease_acquired();
            let token = lease.token();
            tracing::info!(token, holder = %inner.settings.holder, "sync lease acquired");
            let finished = lease
                .run_while_held(shutdown, |token, cancel| async move {
                    self.serve(token, &cancel).await
                })
                .await;
            match finished {
                // The lease is released by now, also after a failure.
                Finished::Completed(result) => result?,
                Finished::Lost { output, cause } => {
                    inner.metrics.lease_lost();
                    tracing::warn!(token, %cause, ?output, "sync lease lost");
                }
            }
        }
    }

    /// Under the lease `token`: claim the feed, then run syncs while requests wait.
    async fn serve(&self, token: u64, cancel: &CancellationToken) -> Result<(), SyncError> {
        let inner = &self.inner;
        if !feed::claim(&inner.db, inner.feed, token).await? {
            tracing::error!(
                token,
                "the database fence is ahead of this lease token: was the lease bucket deleted? \
                 (stop every replica and run `penny-transfer-events reset-fence`)"
            );
            return Err(SyncError::Fenced);
        }
        crash::maybe_crash(inner.settings.crash_at, CrashPoint::HoldingLease);
        loop {
            if cancel.is_cancelled() {
                return Ok(());
            }
            let now = crate::store::now();
            match feed::start(&inner.db, inner.feed, token, &inner.settings.holder, now).await? {
                Start::NothingPending => return Ok(()),
                Start::Fenced => return Err(SyncError::Fenced),
                Start::Started(taken) => self.sync_once(token, taken, cancel).await?,
            }
        }
    }
}

/// Full-jitter exponential backoff: uniformly random in `[base/2, min(cap, base·2^(n-1))]`.
fn backoff(base: Duration, cap: Duration, failures: u32) -> Duration {
    let factor = 1u32
        .checked_shl(failures.saturating_sub(1))
        .unwrap_or(u32::MAX);
    let ceiling = base.checked_mul(factor).unwrap_or(cap).min(cap);
    let floor = (base / 2).min(ceiling);
    let span = ceiling.saturating_sub(floor);
    floor + span.mul_f64(rand::rng().random::<f64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_its_cap() {
        let (base, cap) = (Duration::from_secs(1), Duration::from_secs(60));
        for n in 1..20 {
            let d = backoff(base, cap, n);
            assert!(d >= Duration::from_millis(500) && d <= cap, "{n}: {d:?}");
            let ceiling = base * 2u32.pow((n - 1).min(10));
            assert!(d <= ceiling.min(cap), "{n}: {d:?}");
        }
    }
}
