//! Retry policy: which calls may be retried and how long to wait between attempts.

use std::time::Duration;

use rand::Rng;

/// Whether a call may be sent again after a retryable failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// Read-only: retried on retryable errors up to `max_retries` times.
    ReadOnly,
    /// Changes state at Plaid: the first error is returned as is.
    Mutating,
}

/// Full-jitter exponential backoff: a uniformly random sleep in
/// `[0, min(cap, base * 2^(retry - 1))]` for the `retry`-th retry (1-based).
pub(crate) fn backoff(base: Duration, cap: Duration, retry: u32) -> Duration {
    let ceiling = backoff_ceiling(base, cap, retry);
    if ceiling.is_zero() {
        return ceiling;
    }
    let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
    Duration::from_nanos(rand::rng().random_range(0..=nanos))
}

/// The upper bound of the sleep before the `retry`-th retry.
pub(crate) fn backoff_ceiling(base: Duration, cap: Duration, retry: u32) -> Duration {
    let factor = 1u32
        .checked_shl(retry.saturating_sub(1))
        .unwrap_or(u32::MAX);
    base.checked_mul(factor).unwrap_or(cap).min(cap)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceiling_doubles_then_caps() {
        let base = Duration::from_millis(200);
        let cap = Duration::from_secs(5);
        let ceilings: Vec<u128> = (1..=7)
            .map(|n| backoff_ceiling(base, cap, n).as_millis())
            .collect();
        assert_eq!(ceilings, [200, 400, 800, 1600, 3200, 5000, 5000]);
        assert_eq!(backoff_ceiling(base, cap, 64), cap);
        assert_eq!(backoff_ceiling(base, cap, u32::MAX), cap);
    }

    #[test]
    fn jittered_sleep_stays_within_the_ceiling() {
        let base = Duration::from_millis(200);
        let cap = Duration::from_secs(5);
        for retry in 1..10 {
            for _ in 0..50 {
                assert!(backoff(base, cap, retry) <= backoff_ceiling(base, cap, retry));
            }
        }
        assert_eq!(backoff(Duration::ZERO, cap, 3), Duration::ZERO);
    }
}
