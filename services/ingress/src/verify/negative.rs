//! A bounded, time-limited memory of key ids Plaid rejected, so the same bogus `kid` repeated
//! does not cost a key fetch per request.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// Key ids Plaid rejected, remembered for `ttl`, at most `capacity` of them (oldest evicted
/// first). Every operation is O(1) amortised.
#[derive(Debug)]
pub(crate) struct NegativeCache {
    ttl: Duration,
    capacity: usize,
    entries: HashMap<String, Instant>,
    /// Insertion order, oldest first; may hold stale pairs already removed from `entries`.
    order: VecDeque<(String, Instant)>,
}

impl NegativeCache {
    pub(crate) fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity,
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// Whether `kid` was rejected less than `ttl` ago.
    pub(crate) fn contains(&mut self, kid: &str, now: Instant) -> bool {
        match self.entries.get(kid) {
            Some(at) if now.saturating_duration_since(*at) < self.ttl => true,
            Some(_) => {
                self.entries.remove(kid);
                false
            }
            None => false,
        }
    }

    /// Remembers that `kid` was rejected at `now`.
    pub(crate) fn insert(&mut self, kid: &str, now: Instant) {
        if self.capacity == 0 || self.ttl.is_zero() {
            return;
        }
        // Drop everything that has expired (the front is the oldest), then make room.
        while let Some((_, at)) = self.order.front() {
            if now.saturating_duration_since(*at) < self.ttl && self.entries.len() < self.capacity {
                break;
            }
            if let Some((old, at)) = self.order.pop_front()
                && self.entries.get(&old) == Some(&at)
            {
                self.entries.remove(&old);
            }
        }
        self.entries.insert(kid.to_owned(), now);
        self.order.push_back((kid.to_owned(), now));
    }

    /// Number of remembered key ids.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_for_ttl_and_stays_bounded() {
        let t0 = Instant::now();
        let mut c = NegativeCache::new(Duration::from_secs(10), 3);
        c.insert("a", t0);
        assert!(c.contains("a", t0 + Duration::from_secs(9)));
        assert!(!c.contains("a", t0 + Duration::from_secs(10)));
        assert!(!c.contains("b", t0));
        for i in 0..100 {
            c.insert(&format!("k{i}"), t0 + Duration::from_millis(i));
            assert!(c.len() <= 3);
            assert!(c.order.len() <= 4);
        }
        assert!(c.contains("k99", t0 + Duration::from_secs(1)));
        assert!(!c.contains("k0", t0 + Duration::from_secs(1)));
    }

    #[test]
    fn reinsertion_refreshes() {
        let t0 = Instant::now();
        let mut c = NegativeCache::new(Duration::from_secs(10), 10);
        c.insert("a", t0);
        c.insert("a", t0 + Duration::from_secs(8));
        assert!(c.contains("a", t0 + Duration::from_secs(15)));
        assert_eq!(c.len(), 1);
    }
}
