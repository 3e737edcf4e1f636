//! Waiting for a condition with a deadline: the replacement for "sleep and hope".

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// What a [`poll_until`] probe returns: `bool` (ready or not) or `Option<T>` (ready with a value).
pub trait Ready {
    /// The value handed back once ready.
    type Output;
    /// `Some` when the condition holds.
    fn ready(self) -> Option<Self::Output>;
}

impl Ready for bool {
    type Output = ();
    fn ready(self) -> Option<()> {
        self.then_some(())
    }
}

impl<T> Ready for Option<T> {
    type Output = T;
    fn ready(self) -> Option<T> {
        self
    }
}

/// Calls `probe` until it reports ready (`true` / `Some(v)`) and returns the value, or fails once
/// `timeout` has passed. Probes start 5 ms apart and back off to 100 ms. The probe always runs at
/// least once, and once more at the deadline.
///
/// ```
/// # async fn demo() -> anyhow::Result<()> {
/// use std::time::Duration;
/// let n = penny_testkit::poll_until(Duration::from_secs(1), || async { Some(42) }).await?;
/// assert_eq!(n, 42);
/// # Ok(()) }
/// ```
pub async fn poll_until<R, F, Fut>(timeout: Duration, mut probe: F) -> anyhow::Result<R::Output>
where
    R: Ready,
    F: FnMut() -> Fut,
    Fut: Future<Output = R>,
{
    let deadline = Instant::now() + timeout;
    let mut delay = Duration::from_millis(5);
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        if let Some(v) = probe().await.ready() {
            return Ok(v);
        }
        let now = Instant::now();
        if now >= deadline {
            anyhow::bail!("condition not met within {timeout:?} ({attempts} attempts)");
        }
        tokio::time::sleep(delay.min(deadline - now)).await;
        delay = (delay * 2).min(Duration::from_millis(100));
    }
}

/// Probes every `interval` until `settled` holds for the probe's value or `timeout` has passed,
/// and returns the last value either way: for counts a caller reports whether they settled or
/// not (a fault suite prints what was lost). Fails only when the probe fails.
pub async fn last_until<T, F, Fut>(
    timeout: Duration,
    interval: Duration,
    mut probe: F,
    settled: impl Fn(&T) -> bool,
) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        let value = probe().await?;
        let now = Instant::now();
        if settled(&value) || now >= deadline {
            return Ok(value);
        }
        tokio::time::sleep(interval.min(deadline - now)).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[tokio::test]
    async fn returns_the_value_once_ready() {
        let calls = AtomicU32::new(0);
        let v = poll_until(Duration::from_secs(5), || async {
            let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
            (n >= 3).then_some(n * 10)
        })
        .await
        .unwrap();
        assert_eq!(v, 30);
    }

    #[tokio::test]
    async fn bool_probes_work() {
        poll_until(Duration::from_secs(1), || async { true })
            .await
            .unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn fails_with_a_message_at_the_deadline() {
        let err = poll_until(Duration::from_millis(300), || async { false })
            .await
            .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("condition not met within 300ms"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn last_until_returns_the_settled_value() -> anyhow::Result<()> {
        let calls = AtomicU32::new(0);
        let n = last_until(
            Duration::from_secs(5),
            Duration::from_millis(1),
            || async { Ok(calls.fetch_add(1, Ordering::SeqCst) + 1) },
            |n| *n == 3,
        )
        .await?;
        assert_eq!(n, 3);
        Ok(())
    }

    #[tokio::test]
    async fn last_until_returns_the_last_value_at_the_deadline() -> anyhow::Result<()> {
        let calls = AtomicU32::new(0);
        let n = last_until(
            Duration::from_millis(30),
            Duration::from_millis(5),
            || async { Ok(calls.fetch_add(1, Ordering::SeqCst) + 1) },
            |_| false,
        )
        .await?;
        assert!(n >= 2, "probed more than once: {n}");
        assert_eq!(n, calls.load(Ordering::SeqCst), "the last value");
        Ok(())
    }
}
