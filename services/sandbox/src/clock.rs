//! The simulated clock: `now = base + real elapsed × speed`, with speed changes and jumps.

use std::sync::RwLock;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

/// Largest accepted clock speed (about 115 simulated days per real second).
pub const MAX_SPEED: f64 = 10_000_000.0;

/// Simulated time shared by every component.
#[derive(Debug)]
pub struct Clock {
    inner: RwLock<Inner>,
}

#[derive(Debug, Clone, Copy)]
struct Inner {
    base_sim: DateTime<Utc>,
    base_real: Instant,
    speed: f64,
}

/// Error for an invalid speed.
#[derive(Debug, thiserror::Error, PartialEq)]
#[error("speed must be a number greater than 0 and at most {MAX_SPEED}")]
pub struct InvalidSpeed;

impl Clock {
    /// A clock starting at the current wall time, running at `speed`.
    pub fn new(speed: f64) -> Result<Self, InvalidSpeed> {
        check_speed(speed)?;
        Ok(Self {
            inner: RwLock::new(Inner {
                base_sim: Utc::now(),
                base_real: Instant::now(),
                speed,
            }),
        })
    }

    fn read(&self) -> Inner {
        *self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The current simulated time.
    pub fn now(&self) -> DateTime<Utc> {
        let inner = self.read();
        sim_at(&inner, Instant::now())
    }

    /// The current speed.
    pub fn speed(&self) -> f64 {
        self.read().speed
    }

    /// Changes the speed from now on (time so far is kept).
    pub fn set_speed(&self, speed: f64) -> Result<(), InvalidSpeed> {
        check_speed(speed)?;
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let real = Instant::now();
        inner.base_sim = sim_at(&inner, real);
        inner.base_real = real;
        inner.speed = speed;
        Ok(())
    }

    /// Jumps simulated time forward.
    pub fn advance(&self, by: Duration) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        inner.base_sim += chrono::Duration::from_std(by).unwrap_or(chrono::Duration::MAX);
    }
}

fn check_speed(speed: f64) -> Result<(), InvalidSpeed> {
    if speed.is_finite() && speed > 0.0 && speed <= MAX_SPEED {
        Ok(())
    } else {
        Err(InvalidSpeed)
    }
}

fn sim_at(inner: &Inner, real: Instant) -> DateTime<Utc> {
    let elapsed = real
        .saturating_duration_since(inner.base_real)
        .as_secs_f64()
        * inner.speed;
    // Microsecond precision; saturates far beyond any realistic run.
    let micros = (elapsed * 1e6).min(i64::MAX as f64) as i64;
    inner.base_sim + chrono::Duration::microseconds(micros)
}

/// Formats a time the way Plaid does in bank transfer events: `2006-01-02T15:04:05Z`.
pub fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advance_moves_time_forward() {
        let clock = Clock::new(1.0).expect("valid speed");
        let before = clock.now();
        clock.advance(Duration::from_secs(3600));
        let after = clock.now();
        assert!(after - before >= chrono::Duration::seconds(3600));
        assert!(after - before < chrono::Duration::seconds(3700));
    }

    #[test]
    fn fast_clock_runs_fast() {
        let clock = Clock::new(100_000.0).expect("valid speed");
        let before = clock.now();
        std::thread::sleep(Duration::from_millis(20));
        assert!(clock.now() - before >= chrono::Duration::seconds(1_000));
    }

    #[test]
    fn invalid_speeds_are_refused() {
        assert_eq!(Clock::new(0.0).err(), Some(InvalidSpeed));
        assert!(Clock::new(f64::NAN).is_err());
        let clock = Clock::new(1.0).expect("valid speed");
        assert!(clock.set_speed(-1.0).is_err());
        assert!(clock.set_speed(3600.0).is_ok());
        assert_eq!(clock.speed(), 3600.0);
    }

    #[test]
    fn rfc3339_has_plaid_form() {
        let t = DateTime::parse_from_rfc3339("2006-01-02T15:04:05.123Z")
            .expect("valid")
            .with_timezone(&Utc);
        assert_eq!(rfc3339(t), "2006-01-02T15:04:05Z");
    }
}
