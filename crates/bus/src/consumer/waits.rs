//! [`Waits`]: how many of a message's deliveries were waits ([`super::Outcome::RetryAfter`],
//! a rate-limit turn) rather than failures, so that the retry policy counts failures alone.
//!
//! JetStream counts every delivery; a webhook handed back three times for its budget turn and
//! then failing once would otherwise back off and be parked as if it had failed four times.
//! The ledger is this process's memory: after a restart, or for waits another replica handed
//! back, it knows less and the policy counts those waits as failures (as if there were no
//! ledger), so it never parks later than the policy allows, only sometimes sooner.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Entries kept before the oldest are dropped (a message another replica finished leaves its
/// entry behind here).
const MAX_ENTRIES: usize = 65_536;

/// Waits seen per stream sequence, with when the last one was.
#[derive(Debug, Default)]
pub(super) struct Waits {
    seen: Mutex<HashMap<u64, (u64, Instant)>>,
}

impl Waits {
    /// Records that a delivery of `seq` was handed back to wait. A full ledger first drops the
    /// entries not touched for `keep_for`; if it is still full the wait goes unrecorded (and
    /// counts as a failure, the safe side).
    pub(super) fn record(&self, seq: u64, keep_for: Duration) {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let now = Instant::now();
        if seen.len() >= MAX_ENTRIES && !seen.contains_key(&seq) {
            seen.retain(|_, (_, at)| now.duration_since(*at) < keep_for);
            if seen.len() >= MAX_ENTRIES {
                return;
            }
        }
        let entry = seen.entry(seq).or_insert((0, now));
        *entry = (entry.0 + 1, now);
    }

    /// How many of `delivered` deliveries of `seq` were failures (at least 1: the current one
    /// is being judged).
    pub(super) fn failures(&self, seq: u64, delivered: u64) -> u64 {
        let waits = self
            .seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&seq)
            .map_or(0, |(n, _)| *n);
        delivered.saturating_sub(waits).max(1)
    }

    /// Forgets `seq` (acked or parked).
    pub(super) fn forget(&self, seq: u64) {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&seq);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEEP: Duration = Duration::from_secs(600);

    #[test]
    fn failures_are_deliveries_minus_the_waits_seen() {
        let waits = Waits::default();
        assert_eq!(waits.failures(7, 1), 1);
        assert_eq!(
            waits.failures(7, 4),
            4,
            "unknown here: every delivery counts"
        );
        for _ in 0..3 {
            waits.record(7, KEEP);
        }
        assert_eq!(waits.failures(7, 4), 1, "three waits, then this delivery");
        assert_eq!(waits.failures(7, 6), 3);
        assert_eq!(
            waits.failures(8, 6),
            6,
            "another message's waits do not count"
        );
        waits.forget(7);
        assert_eq!(waits.failures(7, 6), 6);
    }

    #[test]
    fn failures_never_drop_below_one() {
        let waits = Waits::default();
        for _ in 0..5 {
            waits.record(1, KEEP);
        }
        assert_eq!(waits.failures(1, 3), 1);
    }

    #[test]
    fn a_full_ledger_drops_stale_entries_and_never_grows_past_its_bound() {
        let waits = Waits::default();
        let full = u64::try_from(MAX_ENTRIES).unwrap();
        for seq in 0..full {
            waits.record(seq, KEEP);
        }
        waits.record(full, KEEP);
        assert_eq!(
            waits.failures(full, 2),
            2,
            "nothing stale to drop: not recorded"
        );
        assert_eq!(waits.failures(0, 2), 1, "the recent entries are kept");
        waits.record(0, KEEP);
        assert_eq!(waits.failures(0, 3), 1, "a known entry is still counted");
        // With a zero keep everything is stale: dropped, and the new wait recorded.
        waits.record(full, Duration::ZERO);
        assert_eq!(waits.failures(full, 2), 1);
        assert_eq!(waits.failures(0, 3), 3);
        assert_eq!(waits.seen.lock().unwrap().len(), 1);
    }
}
