//! Load shedding for `POST /webhooks/plaid`: at most `max` webhook requests are handled at once.
//! One more is answered 503 at once (Plaid retries it) instead of queueing, so latency stays
//! bounded under a burst. A counter and a guard: cheaper per request than a tower layer stack.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts webhook requests in flight against a limit.
#[derive(Debug)]
pub(crate) struct LoadShedder {
    in_flight: AtomicUsize,
    max: usize,
}

/// One admitted request; dropping it (also when the request future is cancelled) frees the slot.
#[derive(Debug)]
pub(crate) struct Permit<'a>(&'a LoadShedder);

impl LoadShedder {
    /// Admits at most `max` requests at once (at least one).
    pub(crate) fn new(max: usize) -> Self {
        Self {
            in_flight: AtomicUsize::new(0),
            max: max.max(1),
        }
    }

    /// A permit, or `None` when `max` requests are already in flight.
    pub(crate) fn try_enter(&self) -> Option<Permit<'_>> {
        let before = self.in_flight.fetch_add(1, Ordering::AcqRel);
        if before >= self.max {
            self.in_flight.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Permit(self))
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use super::LoadShedder;

    #[test]
    fn admits_up_to_the_limit_and_frees_slots_on_drop() {
        let load_shedder = LoadShedder::new(2);
        let a = load_shedder.try_enter().expect("first");
        let b = load_shedder.try_enter().expect("second");
        assert!(load_shedder.try_enter().is_none(), "third is shed");
        drop(a);
        let c = load_shedder.try_enter().expect("a slot was freed");
        assert!(load_shedder.try_enter().is_none());
        drop((b, c));
        assert!(load_shedder.try_enter().is_some());
    }

    #[test]
    fn a_zero_limit_still_admits_one() {
        let load_shedder = LoadShedder::new(0);
        let _one = load_shedder.try_enter().expect("one");
        assert!(load_shedder.try_enter().is_none());
    }
}
