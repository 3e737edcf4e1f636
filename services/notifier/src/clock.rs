//! The notifier's clock for business time: when an alert is due, when it was created and sent.
//! Production uses [`SystemClock`]; tests inject a [`TestClock`] and move it, so "never before
//! Tuesday 8:30 ET" is tested in seconds.
//!
//! Infrastructure time is not business time and never comes from here: claim expiry, lease
//! renewal, provider timeouts and Standard Webhooks timestamps (checked by the receiver against
//! its own clock) use the real clock.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, SubsecRound as _, Utc};
use tokio::time::Instant;

/// Business time.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Now, at the database's precision (microseconds).
    fn now(&self) -> DateTime<Utc>;
}

/// A shared clock.
pub type SharedClock = Arc<dyn Clock>;

/// The real clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}

/// A clock tests set: it starts at a given instant and runs at real speed from the last time
/// it was set, so retries and backoffs still happen while a test waits, and a jump of days is
/// one call.
#[derive(Clone)]
pub struct TestClock {
    inner: Arc<Mutex<(DateTime<Utc>, Instant)>>,
}

impl fmt::Debug for TestClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestClock")
            .field("now", &self.now())
            .finish()
    }
}

impl TestClock {
    /// A clock reading `at` now.
    pub fn starting_at(at: DateTime<Utc>) -> Self {
        Self {
            inner: Arc::new(Mutex::new((at, Instant::now()))),
        }
    }

    /// Makes it read `at` now.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.inner.lock().unwrap_or_else(PoisonError::into_inner) = (at, Instant::now());
    }

    /// Moves it forward by `by`.
    pub fn advance(&self, by: chrono::Duration) {
        self.set(self.now() + by);
    }

    /// This clock as the app takes it.
    pub fn shared(&self) -> SharedClock {
        Arc::new(self.clone())
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        let (at, since) = *self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let elapsed = chrono::Duration::from_std(since.elapsed()).unwrap_or_default();
        (at + elapsed).trunc_subsecs(6)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    #[test]
    fn a_test_clock_is_set_and_runs_on() {
        let start = Utc.with_ymd_and_hms(2027, 1, 15, 21, 0, 0).unwrap();
        let clock = TestClock::starting_at(start);
        let now = clock.now();
        assert!(now >= start && now < start + chrono::Duration::seconds(5));
        clock.advance(chrono::Duration::days(4));
        assert!(clock.now() >= start + chrono::Duration::days(4));
        let shared = clock.shared();
        clock.set(start);
        assert!(
            shared.now() < start + chrono::Duration::seconds(5),
            "one clock"
        );
        assert!(SystemClock.now() > start - chrono::Duration::days(3650));
    }
}
