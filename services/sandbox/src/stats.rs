//! Per-endpoint call counters (calls, successes, errors, 429s) for `GET /__sandbox/stats`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use crate::endpoint::{COUNT, Endpoint};

/// Lock-free counters.
#[derive(Debug, Default)]
pub struct Stats {
    calls: [AtomicU64; COUNT],
    ok: [AtomicU64; COUNT],
    errors: [AtomicU64; COUNT],
    rate_limited: [AtomicU64; COUNT],
}

/// Counters of one endpoint.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct EndpointStats {
    /// Requests received.
    pub calls: u64,
    /// 200 responses.
    pub ok: u64,
    /// Error responses (any status, 429 included).
    pub errors: u64,
    /// 429 responses (rate limits and injected 429s).
    pub rate_limited: u64,
}

impl Stats {
    /// Records the outcome of one request.
    pub fn record(&self, ep: Endpoint, status: u16) {
        let i = ep.index();
        self.calls[i].fetch_add(1, Ordering::Relaxed);
        if status == 200 {
            self.ok[i].fetch_add(1, Ordering::Relaxed);
        } else {
            self.errors[i].fetch_add(1, Ordering::Relaxed);
            if status == 429 {
                self.rate_limited[i].fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// A snapshot keyed by path.
    pub fn snapshot(&self) -> BTreeMap<&'static str, EndpointStats> {
        Endpoint::ALL
            .into_iter()
            .map(|ep| {
                let i = ep.index();
                let s = EndpointStats {
                    calls: self.calls[i].load(Ordering::Relaxed),
                    ok: self.ok[i].load(Ordering::Relaxed),
                    errors: self.errors[i].load(Ordering::Relaxed),
                    rate_limited: self.rate_limited[i].load(Ordering::Relaxed),
                };
                (ep.path(), s)
            })
            .collect()
    }

    /// Resets every counter.
    pub fn reset(&self) {
        for table in [&self.calls, &self.ok, &self.errors, &self.rate_limited] {
            for c in table {
                c.store(0, Ordering::Relaxed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_outcome() {
        let s = Stats::default();
        s.record(Endpoint::AuthGet, 200);
        s.record(Endpoint::AuthGet, 429);
        s.record(Endpoint::AuthGet, 400);
        let snap = s.snapshot();
        assert_eq!(
            snap["/auth/get"],
            EndpointStats {
                calls: 3,
                ok: 1,
                errors: 2,
                rate_limited: 1
            }
        );
        s.reset();
        assert_eq!(s.snapshot()["/auth/get"].calls, 0);
    }
}
