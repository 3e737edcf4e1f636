//! [`RetryPolicy`]: exponential backoff with jitter, by failure count; parking bounds.

use std::time::Duration;

use rand::Rng;

/// How transient failures are retried: a message's `n`-th failure is redelivered after
/// [`RetryPolicy::delay`]`(n)`, and its `max_deliveries`-th failure parks it. Waits for a
/// rate-limit turn are not failures; they are bounded by [`RetryPolicy::max_total_deliveries`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Ceiling of the first delay (doubles with each delivery).
    pub base: Duration,
    /// Largest ceiling.
    pub cap: Duration,
    /// Failed deliveries before a message is parked (waits for a rate-limit turn not counted).
    pub max_deliveries: u64,
}

impl Default for RetryPolicy {
    /// 1 s doubling to 5 min, 20 deliveries: about an hour of retries before parking, which
    /// rides out a Plaid or database outage of that order.
    fn default() -> Self {
        Self {
            base: Duration::from_secs(1),
            cap: Duration::from_secs(300),
            max_deliveries: 20,
        }
    }
}

impl RetryPolicy {
    /// The delay before redelivering a message that has now failed `failures` times.
    ///
    /// Full jitter over the ceiling `min(cap, base · 2^(delivered-1))`, floored at half of
    /// `min(base, cap)` (and at 1 ms) so it is never zero: a plain Nak redelivers at once and
    /// would turn an outage into a hot loop.
    pub fn delay(&self, failures: u64) -> Duration {
        let ceiling = self.ceiling(failures);
        let floor = (self.base.min(self.cap) / 2).max(Duration::from_millis(1));
        if ceiling <= floor {
            return floor;
        }
        let nanos = rand::rng().random_range(floor.as_nanos()..=ceiling.as_nanos());
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// The ceiling of [`RetryPolicy::delay`] for `failures`: `min(cap, base · 2^(failures-1))`.
    pub fn ceiling(&self, failures: u64) -> Duration {
        let exponent = u32::try_from(failures.saturating_sub(1).min(32)).unwrap_or(32);
        self.base
            .checked_mul(1u32 << exponent.min(31))
            .unwrap_or(self.cap)
            .min(self.cap)
            .max(Duration::from_millis(1))
    }

    /// The redelivery delay of an `Outcome::RetryAfter` that asked for `delay`: exactly
    /// `delay`, capped at `cap` (no jitter: the handler chose the time and adds its own).
    pub fn capped(&self, delay: Duration) -> Duration {
        delay.min(self.cap)
    }

    /// Whether a message that has now failed `failures` times has used up its retries.
    /// Deliveries handed back to wait (`Outcome::RetryAfter`) are not failures.
    pub fn exhausted(&self, failures: u64) -> bool {
        failures >= self.max_deliveries.max(1)
    }

    /// Deliveries a message may take in all, waits included: ten times `max_deliveries`. A message still handed back to wait on its last one is parked (a turn
    /// that never comes is a fault to look at, not a reason to loop forever).
    pub fn max_total_deliveries(&self) -> u64 {
        self.max_deliveries.max(1).saturating_mul(WAITS_PER_RETRY)
    }

    /// A `max_deliver` for the JetStream consumer that never stops redelivery before this
    /// policy parks the message: [`RetryPolicy::max_total_deliveries`] + 5 (the margin covers
    /// handlers that crash or time out without an outcome; those are parked on the next
    /// delivery).
    pub fn consumer_max_deliver(&self) -> i64 {
        i64::try_from(self.max_total_deliveries().saturating_add(5)).unwrap_or(-1)
    }
}

/// How many deliveries a message may take per allowed failure, counting its waits for a
/// rate-limit turn: 200 by default (20 failures), each wait at most [`RetryPolicy::cap`].
const WAITS_PER_RETRY: u64 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_grows_is_capped_and_never_zero() {
        let p = RetryPolicy {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(2),
            max_deliveries: 5,
        };
        assert_eq!(p.ceiling(1), Duration::from_millis(100));
        assert_eq!(p.ceiling(2), Duration::from_millis(200));
        assert_eq!(p.ceiling(5), Duration::from_millis(1600));
        assert_eq!(p.ceiling(6), Duration::from_secs(2));
        assert_eq!(p.ceiling(1000), Duration::from_secs(2));
        for n in 0..100 {
            let d = p.delay(n);
            assert!(d >= Duration::from_millis(50), "{d:?}");
            assert!(d <= p.ceiling(n), "{d:?}");
        }
        let zero = RetryPolicy {
            base: Duration::ZERO,
            cap: Duration::ZERO,
            max_deliveries: 1,
        };
        assert!(zero.delay(3) > Duration::ZERO);
    }

    #[test]
    fn delays_are_jittered() {
        let p = RetryPolicy::default();
        let samples: std::collections::HashSet<_> = (0..20).map(|_| p.delay(8)).collect();
        assert!(samples.len() > 1);
    }

    #[test]
    fn handler_chosen_delays_are_kept_but_capped() {
        let p = RetryPolicy {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(2),
            max_deliveries: 5,
        };
        assert_eq!(
            p.capped(Duration::from_millis(1234)),
            Duration::from_millis(1234)
        );
        assert_eq!(p.capped(Duration::from_secs(65)), Duration::from_secs(2));
        assert_eq!(p.capped(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn exhaustion() {
        let p = RetryPolicy {
            max_deliveries: 3,
            ..RetryPolicy::default()
        };
        assert!(!p.exhausted(2));
        assert!(p.exhausted(3));
        assert_eq!(p.max_total_deliveries(), 30);
        assert_eq!(p.consumer_max_deliver(), 35);
    }
}
