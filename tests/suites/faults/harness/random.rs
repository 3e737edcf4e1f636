//! [`Random`]: fault points from a seed (xorshift64*): printed by each case, replayed with
//! `PENNY_FAULTS_SEED`.

use std::time::Duration;

/// A small seeded generator; not for anything but choosing test delays.
#[derive(Debug, Clone)]
pub struct Random {
    state: u64,
    /// The seed it started from.
    pub seed: u64,
}

impl Random {
    /// Seeded from `PENNY_FAULTS_SEED`, else from the clock.
    pub fn from_env() -> Self {
        let seed = std::env::var("PENNY_FAULTS_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
        Self {
            state: seed.max(1),
            seed,
        }
    }

    /// The next value.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A duration in `[low, high)`.
    pub fn between(&mut self, low: Duration, high: Duration) -> Duration {
        let span = high.saturating_sub(low).as_millis().max(1) as u64;
        low + Duration::from_millis(self.next_u64() % span)
    }
}
