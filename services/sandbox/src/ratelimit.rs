//! Plaid's rate limits (per Item and per client, per endpoint, per minute), off by default.
//!
//! Windows are fixed minutes of the *wall* clock, not the simulated one: Plaid's limits guard
//! request throughput, which a fast simulated clock must not loosen or tighten.

use std::sync::RwLock;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::config::RateLimitMode;
use crate::endpoint::{COUNT, Endpoint};
use crate::error::ApiError;

/// Limits of one endpoint; `None` means unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// Requests per minute per Item.
    pub per_item: Option<u32>,
    /// Requests per minute per client.
    pub per_client: Option<u32>,
}

/// Per-Item counters for the endpoints limited per Item, stored inside each Item.
#[derive(Debug, Default)]
pub struct ItemCounters([AtomicU64; 4]);

fn item_slot(ep: Endpoint) -> Option<usize> {
    match ep {
        Endpoint::AccountsGet => Some(0),
        Endpoint::AuthGet => Some(1),
        Endpoint::ItemGet => Some(2),
        Endpoint::ItemRemove => Some(3),
        _ => None,
    }
}

/// Plaid's published table (reference 3.3) for a mode.
pub fn table(mode: RateLimitMode) -> [Limit; COUNT] {
    let mut t = [Limit::default(); COUNT];
    let mut set = |ep: Endpoint, per_item: Option<u32>, per_client: Option<u32>| {
        t[ep.index()] = Limit {
            per_item,
            per_client,
        };
    };
    match mode {
        RateLimitMode::Off => {}
        RateLimitMode::Sandbox => {
            set(Endpoint::AccountsGet, Some(100), Some(5_000));
            set(Endpoint::AuthGet, Some(100), Some(500));
            set(Endpoint::ItemGet, Some(40), Some(5_000));
            set(Endpoint::ItemRemove, Some(100), Some(500));
        }
        RateLimitMode::Production => {
            set(Endpoint::AccountsGet, Some(15), Some(15_000));
            set(Endpoint::AuthGet, Some(15), Some(12_000));
            set(Endpoint::ItemGet, Some(15), Some(5_000));
            set(Endpoint::ItemRemove, Some(30), Some(2_000));
            set(Endpoint::TransferEventSync, None, Some(5_000));
        }
    }
    t
}

/// The limiter: a table plus one per-client counter per endpoint.
#[derive(Debug)]
pub struct RateLimiter {
    enabled: AtomicBool,
    state: RwLock<(RateLimitMode, [Limit; COUNT])>,
    client: [AtomicU64; COUNT],
    start: Instant,
}

impl RateLimiter {
    /// A limiter enforcing `mode`.
    pub fn new(mode: RateLimitMode) -> Self {
        let limiter = Self {
            enabled: AtomicBool::new(false),
            state: RwLock::new((mode, table(mode))),
            client: Default::default(),
            start: Instant::now(),
        };
        limiter.configure(Some(mode), &[]);
        limiter
    }

    /// Sets the mode (resetting the table to Plaid's) and/or per-endpoint overrides.
    pub fn configure(&self, mode: Option<RateLimitMode>, overrides: &[(Endpoint, Limit)]) {
        let mut state = self.state.write().unwrap_or_else(|e| e.into_inner());
        if let Some(mode) = mode {
            *state = (mode, table(mode));
        }
        for (ep, limit) in overrides {
            state.1[ep.index()] = *limit;
        }
        let any = state
            .1
            .iter()
            .any(|l| l.per_item.is_some() || l.per_client.is_some());
        self.enabled.store(any, Ordering::Release);
    }

    /// The mode and the effective table.
    pub fn snapshot(&self) -> (RateLimitMode, [Limit; COUNT]) {
        *self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn window(&self) -> u64 {
        self.start.elapsed().as_secs() / 60
    }

    fn limit(&self, ep: Endpoint) -> Option<Limit> {
        if !self.enabled.load(Ordering::Acquire) {
            return None;
        }
        Some(self.state.read().unwrap_or_else(|e| e.into_inner()).1[ep.index()])
    }

    /// Counts a call against the per-client limit.
    pub fn check_client(&self, ep: Endpoint) -> Result<(), ApiError> {
        match self.limit(ep).and_then(|l| l.per_client) {
            Some(max) if !hit(&self.client[ep.index()], self.window(), max) => {
                Err(ApiError::rate_limit(ep.rate_limit_code()))
            }
            _ => Ok(()),
        }
    }

    /// Counts a call against the per-Item limit.
    pub fn check_item(&self, ep: Endpoint, counters: &ItemCounters) -> Result<(), ApiError> {
        let (Some(max), Some(slot)) = (self.limit(ep).and_then(|l| l.per_item), item_slot(ep))
        else {
            return Ok(());
        };
        if hit(&counters.0[slot], self.window(), max) {
            Ok(())
        } else {
            Err(ApiError::rate_limit(ep.rate_limit_code()))
        }
    }
}

/// Counts one request in a fixed window (`window << 32 | count`); false when over `max`.
fn hit(counter: &AtomicU64, window: u64, max: u32) -> bool {
    let mut cur = counter.load(Ordering::Relaxed);
    loop {
        let (w, count) = (cur >> 32, cur & 0xffff_ffff);
        let next = if w == window {
            if count >= u64::from(max) {
                return false;
            }
            cur + 1
        } else {
            (window << 32) | 1
        };
        match counter.compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Relaxed) {
            Ok(_) => return true,
            Err(actual) => cur = actual,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_counts_and_resets() {
        let c = AtomicU64::new(0);
        assert!(hit(&c, 0, 2));
        assert!(hit(&c, 0, 2));
        assert!(!hit(&c, 0, 2));
        assert!(hit(&c, 1, 2), "a new minute starts a new window");
    }

    #[test]
    fn off_limits_nothing_and_overrides_enable() {
        let rl = RateLimiter::new(RateLimitMode::Off);
        for _ in 0..1000 {
            assert!(rl.check_client(Endpoint::AuthGet).is_ok());
        }
        rl.configure(
            None,
            &[(
                Endpoint::AuthGet,
                Limit {
                    per_item: Some(1),
                    per_client: None,
                },
            )],
        );
        let counters = ItemCounters::default();
        assert!(rl.check_item(Endpoint::AuthGet, &counters).is_ok());
        let e = rl
            .check_item(Endpoint::AuthGet, &counters)
            .expect_err("limited");
        assert_eq!(e.error_code, "AUTH_LIMIT");
        assert!(rl.check_item(Endpoint::ItemGet, &counters).is_ok());
    }

    #[test]
    fn production_table_matches_reference() {
        let t = table(RateLimitMode::Production);
        assert_eq!(
            t[Endpoint::AuthGet.index()],
            Limit {
                per_item: Some(15),
                per_client: Some(12_000)
            }
        );
        assert_eq!(
            table(RateLimitMode::Sandbox)[Endpoint::AuthGet.index()].per_client,
            Some(500)
        );
    }
}
