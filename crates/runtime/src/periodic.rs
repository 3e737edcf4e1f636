//! Work repeated on a timer until shutdown (the verification reconciliation sweep, the
//! transfer-events sync sweep): once at start, then every interval; a run longer than the
//! interval pushes the next to one interval after it ends, so slow runs never queue up.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

/// The shortest interval [`every`] runs at (a zero or tiny setting would spin).
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// Runs `work` now and then every `interval` (at least [`MIN_INTERVAL`]) until `shutdown` is
/// cancelled. A run in progress is not interrupted: work that can take long checks `shutdown`
/// itself.
pub async fn every<F, Fut>(interval: Duration, shutdown: &CancellationToken, mut work: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    let mut tick = tokio::time::interval(interval.max(MIN_INTERVAL));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = tick.tick() => work().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn runs_at_once_then_on_the_interval_until_cancelled() {
        let runs = Arc::new(AtomicUsize::new(0));
        let shutdown = CancellationToken::new();
        let task = tokio::spawn({
            let runs = runs.clone();
            let shutdown = shutdown.clone();
            async move {
                every(Duration::ZERO, &shutdown, || {
                    runs.fetch_add(1, Ordering::SeqCst);
                    async {}
                })
                .await;
            }
        });
        penny_testkit::poll_until(Duration::from_secs(10), || {
            let n = runs.load(Ordering::SeqCst);
            async move { n >= 3 }
        })
        .await
        .expect("three runs (the first at once, then every 100 ms)");
        shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("returns once cancelled")
            .expect("no panic");
        let after = runs.load(Ordering::SeqCst);
        tokio::time::sleep(MIN_INTERVAL * 3).await;
        assert_eq!(
            runs.load(Ordering::SeqCst),
            after,
            "no run after the cancel"
        );
    }
}
