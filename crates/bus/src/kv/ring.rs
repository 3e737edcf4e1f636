//! The slot arithmetic of [`RateLimiter`](super::RateLimiter): a ring of per-slot request
//! counters, its text encoding in the KV value, and the admit-or-wait decision.
//!
//! The window is cut into [`SLOTS`] slots and a request is admitted only if the requests in the
//! current slot and the `SLOTS` slots before it, plus this one, stay within the limit. Any
//! window-long interval lies within `SLOTS + 1` consecutive slots, so the limit holds for *every*
//! such interval, whichever way the remote side aligns its own windows.

use bytes::Bytes;

/// Slots per window.
pub(crate) const SLOTS: u64 = 12;

/// The per-slot counters of one key, oldest first: `(slot index, count)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Ring(Vec<(u64, u32)>);

impl Ring {
    /// Decodes `slot:count,slot:count`; garbage decodes as empty (fails open only for one
    /// corrupted key, which the next write repairs).
    pub(crate) fn decode(bytes: &[u8]) -> Self {
        let text = std::str::from_utf8(bytes).unwrap_or_default();
        Self(
            text.split(',')
                .filter_map(|pair| {
                    let (slot, count) = pair.split_once(':')?;
                    Some((slot.parse().ok()?, count.parse().ok()?))
                })
                .collect(),
        )
    }

    /// Encodes as `slot:count,slot:count`.
    pub(crate) fn encode(&self) -> Bytes {
        let text = self
            .0
            .iter()
            .map(|(slot, count)| format!("{slot}:{count}"))
            .collect::<Vec<_>>()
            .join(",");
        Bytes::from(text)
    }

    /// Requests counted in slots `from..=to`.
    fn sum(&self, from: u64, to: u64) -> u64 {
        self.0
            .iter()
            .filter(|(slot, _)| (from..=to).contains(slot))
            .map(|(_, count)| u64::from(*count))
            .sum()
    }

    /// Decides whether one more request fits at slot `now_slot` under `limit`; if it does,
    /// returns the ring with it counted (older slots dropped). `Err(slots)` = the number of
    /// slots to wait before it would fit.
    pub(crate) fn admit(&self, now_slot: u64, limit: u32) -> Result<Ring, u64> {
        let limit = u64::from(limit);
        let oldest = now_slot.saturating_sub(SLOTS);
        if self.sum(oldest, now_slot) < limit {
            let mut kept: Vec<(u64, u32)> = self
                .0
                .iter()
                .copied()
                .filter(|(slot, _)| *slot >= oldest && *slot <= now_slot)
                .collect();
            match kept.iter_mut().find(|(slot, _)| *slot == now_slot) {
                Some((_, count)) => *count = count.saturating_add(1),
                None => kept.push((now_slot, 1)),
            }
            kept.sort_unstable();
            return Ok(Ring(kept));
        }
        // The smallest d such that the slots still in the window at now_slot + d leave room.
        let wait = (1..=SLOTS + 1)
            .find(|d| self.sum(oldest + d, now_slot) < limit)
            .unwrap_or(SLOTS + 1);
        Err(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_round_trips_and_tolerates_garbage() {
        let ring = Ring(vec![(10, 3), (12, 1)]);
        assert_eq!(Ring::decode(&ring.encode()), ring);
        assert_eq!(Ring::decode(b"nonsense,1:x"), Ring::default());
    }

    #[test]
    fn admits_up_to_the_limit_across_the_window_and_its_partial_neighbour() {
        let mut ring = Ring::default();
        for _ in 0..3 {
            ring = ring.admit(100, 3).unwrap();
        }
        assert_eq!(ring.admit(100, 3), Err(SLOTS + 1));
        // Still full SLOTS slots later: slot 100 is within [now - SLOTS, now].
        assert_eq!(ring.admit(100 + SLOTS, 3), Err(1));
        // One more slot and slot 100 has left the window.
        assert!(ring.admit(101 + SLOTS, 3).is_ok());
    }

    #[test]
    fn wait_is_until_enough_old_requests_leave() {
        let ring = Ring(vec![(95, 2), (99, 1), (100, 1)]);
        // limit 4, 4 counted in [88, 100]: slot 95 must leave, i.e. now = 95 + SLOTS + 1.
        assert_eq!(ring.admit(100, 4), Err(95 + SLOTS + 1 - 100));
    }

    #[test]
    fn never_more_than_the_limit_in_any_window_of_slots() {
        // Simulate one request attempt per tick, 4 ticks per slot, with limit 5: every span
        // of SLOTS + 1 slots holds at most 5 admitted requests.
        let mut ring = Ring::default();
        let mut admitted = Vec::new();
        for tick in 0..400u64 {
            let slot = tick / 4;
            if let Ok(next) = ring.admit(slot, 5) {
                ring = next;
                admitted.push(slot);
            }
        }
        for start in 0..100 {
            let n = admitted
                .iter()
                .filter(|s| (start..=start + SLOTS).contains(*s))
                .count();
            assert!(n <= 5, "{n} in slots {start}..={}", start + SLOTS);
        }
        assert!(admitted.len() >= 5 * (100 / (SLOTS as usize + 1)));
    }
}
