//! Running work while holding a lease: renew every `ttl / 3`, and cancel the work as soon as
//! the lease is lost or can no longer be proven.

use std::{future::Future, time::Duration};

use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

use super::{Lease, LeaseError};

/// Shortest pause between renewal attempts after a transport failure.
const MIN_RETRY: Duration = Duration::from_millis(50);

/// How [`Lease::run_while_held`] ended.
#[derive(Debug)]
pub enum Finished<T> {
    /// The work returned while the lease was held (then the lease was released).
    Completed(T),
    /// The lease was lost or could not be proven in time: the work was cancelled, and this is
    /// what it returned.
    Lost {
        /// What the work returned after its cancellation.
        output: T,
        /// Why the lease was lost ([`LeaseError::is_lost`] holds).
        cause: LeaseError,
    },
}

impl<T> Finished<T> {
    /// What the work returned, either way.
    pub fn into_output(self) -> T {
        match self {
            Self::Completed(output) | Self::Lost { output, .. } => output,
        }
    }

    /// True when the lease was lost while the work ran.
    pub fn is_lost(&self) -> bool {
        matches!(self, Self::Lost { .. })
    }
}

impl Lease {
    /// Runs `work(token, cancel)` while holding the lease: renews it every `ttl / 3` (retrying
    /// transport failures until the lease's deadline) and cancels `cancel` as soon as the lease
    /// is lost or its deadline passes without a successful renewal. `cancel` is a child of
    /// `shutdown`, so shutting down cancels the work too. The work must stop promptly once
    /// `cancel` fires; this waits for it to return.
    ///
    /// When the work returns while the lease is held, the lease is released (a failed release
    /// is logged: the key then expires after the TTL). A lost lease is not released.
    pub async fn run_while_held<F, Fut, T>(
        mut self,
        shutdown: &CancellationToken,
        work: F,
    ) -> Finished<T>
    where
        F: FnOnce(u64, CancellationToken) -> Fut,
        Fut: Future<Output = T>,
    {
        let cancel = shutdown.child_token();
        let work = work(self.token(), cancel.clone());
        tokio::pin!(work);
        let ended = {
            let keeper = keep_alive(&mut self);
            tokio::pin!(keeper);
            tokio::select! {
                biased;
                output = &mut work => Ok(output),
                cause = &mut keeper => Err(cause),
            }
        };
        match ended {
            Ok(output) => {
                if let Err(error) = self.release().await {
                    tracing::warn!(%error, "releasing the lease after the work failed; it expires by itself");
                }
                Finished::Completed(output)
            }
            Err(cause) => {
                tracing::warn!(error = %cause, "lease lost; cancelling the work it guarded");
                cancel.cancel();
                let output = work.await;
                Finished::Lost { output, cause }
            }
        }
    }
}

/// Renews `lease` every `ttl / 3` until it is lost; returns why. Never returns while the lease
/// is held. Fires at the lease's deadline even while a renewal is in flight.
async fn keep_alive(lease: &mut Lease) -> LeaseError {
    let every = lease.shared.ttl / 3;
    let retry = (lease.shared.ttl / 10).max(MIN_RETRY);
    let mut next = lease.proven_at() + every;
    loop {
        tokio::select! {
            () = sleep_until(lease.valid_until()) => {
                // The deadline passed between attempts: renew() reports it as Expired.
            }
            () = sleep_until(next) => {}
        }
        match lease.renew().await {
            Ok(()) => next = lease.proven_at() + every,
            Err(cause) if cause.is_lost() => return cause,
            Err(error) => {
                tracing::warn!(%error, "renewing the lease failed; retrying until its deadline");
                next = Instant::now() + retry;
            }
        }
    }
}
