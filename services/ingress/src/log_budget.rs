//! Rate-limited log lines for per-request failures. A flood of forged or malformed webhooks, or
//! every webhook of a burst while NATS is down, must not become a flood of log lines: metrics
//! count every failure, and the log gets at most a burst and then a steady trickle of lines, each
//! saying how many similar lines were left out since the previous one.

use std::sync::Mutex;
use std::sync::PoisonError;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use crate::throttle::TokenBucket;

/// Lines per second once the burst is spent.
const LINES_PER_SECOND: f64 = 5.0;
/// Lines allowed at once.
const BURST: u32 = 20;

/// Decides which failures get a log line.
#[derive(Debug)]
pub(crate) struct LogBudget {
    bucket: Mutex<TokenBucket>,
    suppressed: AtomicU64,
}

impl Default for LogBudget {
    fn default() -> Self {
        Self::new(LINES_PER_SECOND, BURST)
    }
}

impl LogBudget {
    /// At most `burst` lines at once, then `per_second`.
    pub(crate) fn new(per_second: f64, burst: u32) -> Self {
        Self {
            bucket: Mutex::new(TokenBucket::new(per_second, burst, Instant::now())),
            suppressed: AtomicU64::new(0),
        }
    }

    /// `Some(n)` when this failure may be logged, `n` being how many were left out since the
    /// last logged one; `None` when it must not be logged (it is then counted as left out).
    pub(crate) fn admit(&self) -> Option<u64> {
        let allowed = self
            .bucket
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .try_take(Instant::now());
        if allowed {
            Some(self.suppressed.swap(0, Ordering::Relaxed))
        } else {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LogBudget;

    #[test]
    fn a_flood_gets_a_burst_of_lines_then_counts_the_rest() {
        // A rate this low refills nothing during the test.
        let budget = LogBudget::new(0.001, 3);
        let admitted: Vec<Option<u64>> = (0..10).map(|_| budget.admit()).collect();
        assert_eq!(&admitted[..3], &[Some(0), Some(0), Some(0)]);
        assert!(admitted[3..].iter().all(Option::is_none));
    }

    #[test]
    fn the_next_line_reports_how_many_were_left_out() {
        let budget = LogBudget::new(1000.0, 1);
        assert_eq!(budget.admit(), Some(0));
        let mut left_out = 0;
        // At 1000 lines/s a token comes back within a few ms; count the misses until then.
        let reported = loop {
            match budget.admit() {
                Some(n) => break n,
                None => left_out += 1,
            }
        };
        assert_eq!(reported, left_out);
    }
}
