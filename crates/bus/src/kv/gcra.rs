//! The generic cell rate algorithm (GCRA): a token bucket held as one number, the theoretical
//! arrival time (TAT) of the next unit, so a shared budget is one compare-and-set key.
//!
//! A budget of `limit` units per `window` is spent at a steady `(limit - burst + 1) / window`
//! with at most `burst` units at once, which keeps **every** window of that length (however
//! Plaid aligns its own) within `limit`: at most `burst + window / interval - 1 = limit` units
//! conform in any half-open interval of `window`. A large budget (the client's 12,000/min) gets
//! one second's share as its burst, so it is spent evenly through the minute instead of in its
//! first seconds and the steady rate loses under 2% of it; a small one (an Item's 15/min) gets
//! half of it, so a few calls for one Item never wait.

use std::time::Duration;

/// The schedule of one budget: the interval between units and the burst tolerance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Schedule {
    /// Time between units at the steady rate, in microseconds.
    interval: u64,
    /// How far ahead of now the TAT may run: `(burst - 1) × interval`, in microseconds.
    tolerance: u64,
}

impl Schedule {
    /// The schedule of a shared budget (a client's): `limit` units per `window` (`limit` ≥ 1)
    /// with a burst of one second's share, at least one unit.
    pub(crate) fn shared(limit: u32, window: Duration) -> Self {
        let window_us = u64::try_from(window.as_micros()).unwrap_or(u64::MAX).max(1);
        let one_second = u64::from(limit) * 1_000_000 / window_us;
        Self::new(limit, window, one_second)
    }

    /// The schedule of a small budget (an Item's): a burst of half of it.
    pub(crate) fn small(limit: u32, window: Duration) -> Self {
        Self::new(limit, window, u64::from(limit).div_ceil(2))
    }

    /// `limit` units per `window` with at most `burst` at once (clamped to 1..=limit).
    fn new(limit: u32, window: Duration, burst: u64) -> Self {
        let limit = u64::from(limit.max(1));
        let window_us = u64::try_from(window.as_micros()).unwrap_or(u64::MAX).max(1);
        let burst = burst.clamp(1, limit);
        // Rounded up: a shorter interval would let one unit too many into some window.
        let interval = window_us.div_ceil(limit - burst + 1).max(1);
        Self {
            interval,
            tolerance: (burst - 1) * interval,
        }
    }

    /// Time between units at the steady rate, in microseconds.
    pub(crate) fn interval_micros(&self) -> u64 {
        self.interval
    }

    /// Units per second at the steady rate.
    pub(crate) fn rate_per_second(&self) -> f64 {
        1_000_000.0 / self.interval as f64
    }

    /// Admits one unit at `now` (microseconds) given the stored `tat`: the new TAT to store, or
    /// how long until a unit conforms.
    pub(crate) fn admit(&self, tat: u64, now: u64) -> Result<u64, Duration> {
        let tat = tat.max(now);
        if tat - now <= self.tolerance {
            Ok(tat + self.interval)
        } else {
            Err(Duration::from_micros(tat - now - self.tolerance))
        }
    }
}

/// A stored TAT (decimal microseconds since the Unix epoch); anything unreadable counts as
/// "no debt" (0), which admits at once and is overwritten by the next update.
pub(crate) fn decode(bytes: &[u8]) -> u64 {
    std::str::from_utf8(bytes)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    /// Offers one request every `step` µs for `span` µs; returns the admitted times.
    fn run(schedule: Schedule, step: u64, span: u64) -> Vec<u64> {
        let mut tat = 0;
        let mut admitted = Vec::new();
        let mut now = 1_000_000_000;
        let end = now + span;
        while now < end {
            if let Ok(next) = schedule.admit(tat, now) {
                tat = next;
                admitted.push(now);
            }
            now += step;
        }
        admitted
    }

    /// The most units admitted in any half-open window of `window` µs.
    fn busiest(admitted: &[u64], window: u64) -> usize {
        let mut most = 0;
        let mut start = 0;
        for end in 0..admitted.len() {
            while admitted[end] - admitted[start] >= window {
                start += 1;
            }
            most = most.max(end - start + 1);
        }
        most
    }

    #[test]
    fn no_window_ever_holds_more_than_the_limit() {
        for limit in [1, 2, 4, 15, 100, 12_000] {
            let schedule = Schedule::shared(limit, MINUTE);
            // Requests far faster than the budget, for five minutes.
            let admitted = run(schedule, 1_000, 300_000_000);
            let most = busiest(&admitted, 60_000_000);
            assert!(
                most <= limit as usize,
                "limit {limit}: {most} in one minute"
            );
            // And it does not leave much on the table: at least 97% of the budget over the run
            // (small limits lose one unit to the burst rule, hence the floor).
            let floor = (5 * limit as usize * 97 / 100).saturating_sub(5);
            assert!(
                admitted.len() >= floor,
                "limit {limit}: only {}",
                admitted.len()
            );
        }
    }

    #[test]
    fn the_budget_is_spent_evenly_not_in_the_first_seconds() {
        let schedule = Schedule::shared(12_000, MINUTE);
        let admitted = run(schedule, 100, 10_000_000);
        // In the first second: the burst (200) plus the steady rate (~197/s), not 12,000.
        let first_second = admitted.iter().filter(|t| **t < 1_001_000_000).count();
        assert!((390..=400).contains(&first_second), "{first_second}");
        let rate = schedule.rate_per_second();
        assert!((196.0..197.0).contains(&rate), "{rate}");
    }

    #[test]
    fn small_budgets_allow_half_at_once() {
        let schedule = Schedule::small(15, MINUTE); // burst 8, then one unit every 7.5 s
        let admitted = run(schedule, 1_000, 60_000_000);
        let first_second = admitted.iter().filter(|t| **t < 1_001_000_000).count();
        assert_eq!(first_second, 8);
    }

    #[test]
    fn a_refusal_says_when_the_next_unit_conforms() {
        let schedule = Schedule::shared(2, MINUTE); // burst 1, one unit every 30 s
        let now = 5_000_000;
        let tat = schedule.admit(0, now).unwrap();
        assert_eq!(schedule.admit(tat, now), Err(Duration::from_secs(30)));
        assert!(schedule.admit(tat, now + 30_000_000).is_ok());
    }

    #[test]
    fn garbage_counts_as_no_debt() {
        assert_eq!(decode(b"1700000000000000"), 1_700_000_000_000_000);
        assert_eq!(decode(b"nonsense"), 0);
    }
}
