//! Timers on simulated time (verification, expiry, auto-post, webhook retries).

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};

use chrono::{DateTime, Utc};

use crate::outgoing::Outgoing;

/// Something to do at a simulated time.
#[derive(Debug, Clone)]
pub enum Timer {
    /// Verify a pending automated micro-deposit account.
    Verify {
        /// Item.
        access_token: String,
        account_id: String,
    },
    /// Expire a still-pending automated micro-deposit account.
    Expire {
        /// Item.
        access_token: String,
        account_id: String,
    },
    /// Post a pending micro-deposit (`--auto-post-after`).
    AutoPost {
        /// Its feed.
        feed: crate::ledger::Feed,
        /// The transfer.
        transfer_id: String,
    },
    /// (Re)try a webhook delivery.
    WebhookAttempt {
        /// The webhook.
        out: Outgoing,
        /// Attempt number (1 = first).
        attempt: u32,
    },
}

#[derive(Debug)]
struct Entry {
    due: DateTime<Utc>,
    seq: u64,
    timer: Timer,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        (self.due, self.seq) == (other.due, other.seq)
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    // Reversed: BinaryHeap is a max-heap, the earliest timer must come out first.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.due, other.seq).cmp(&(self.due, self.seq))
    }
}

/// A min-heap of timers.
#[derive(Debug, Default)]
pub struct Scheduler {
    heap: Mutex<BinaryHeap<Entry>>,
    seq: AtomicU64,
}

impl Scheduler {
    /// Schedules `timer` at simulated time `due`.
    pub fn schedule(&self, due: DateTime<Utc>, timer: Timer) {
        let seq = self.seq.fetch_add(1, AtomicOrdering::Relaxed);
        let mut heap = self.heap.lock().unwrap_or_else(|e| e.into_inner());
        heap.push(Entry { due, seq, timer });
    }

    /// Removes and returns every timer due at `now`, earliest first.
    pub fn pop_due(&self, now: DateTime<Utc>) -> Vec<Timer> {
        let mut heap = self.heap.lock().unwrap_or_else(|e| e.into_inner());
        let mut due = Vec::new();
        while heap.peek().is_some_and(|e| e.due <= now) {
            if let Some(e) = heap.pop() {
                due.push(e.timer);
            }
        }
        due
    }

    /// Number of pending timers.
    pub fn len(&self) -> usize {
        self.heap.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(id: &str) -> Timer {
        Timer::AutoPost {
            feed: crate::ledger::Feed::BankTransfer,
            transfer_id: id.into(),
        }
    }

    #[test]
    fn pops_in_due_order_only_when_due() {
        let s = Scheduler::default();
        let t0 = Utc::now();
        s.schedule(t0 + chrono::Duration::hours(2), post("b"));
        s.schedule(t0 + chrono::Duration::hours(1), post("a"));
        s.schedule(t0 + chrono::Duration::hours(3), post("c"));
        assert!(s.pop_due(t0).is_empty());
        let due = s.pop_due(t0 + chrono::Duration::hours(2));
        let ids: Vec<_> = due
            .iter()
            .map(|t| match t {
                Timer::AutoPost { transfer_id, .. } => transfer_id.as_str(),
                _ => "",
            })
            .collect();
        assert_eq!(ids, ["a", "b"]);
        assert_eq!(s.len(), 1);
    }
}
