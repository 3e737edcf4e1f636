//! [`PlaidMetrics`]: every HTTP attempt against Plaid, by endpoint and outcome, with its
//! latency, for the `/metrics` of the service that owns the client.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::PlaidError;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AttemptLabels {
    endpoint: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointLabel {
    endpoint: &'static str,
}

/// Counters and latencies of Plaid calls. Cheap to clone; register once per process.
///
/// | metric | kind | meaning |
/// |---|---|---|
/// | `plaid_requests_total{endpoint,outcome}` | counter | HTTP attempts (retries count each) by outcome: `ok`, `rate_limited` (429), `client_error` (other 4xx), `server_error` (5xx), `transport` (connect, timeout, reset) |
/// | `plaid_request_duration_seconds{endpoint}` | histogram | time of one attempt |
#[derive(Clone, Debug)]
pub struct PlaidMetrics {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    attempts: Family<AttemptLabels, Counter>,
    latency: Family<EndpointLabel, Histogram, fn() -> Histogram>,
}

/// The `outcome` label's values.
const OUTCOMES: [&str; 5] = [
    "ok",
    "rate_limited",
    "client_error",
    "server_error",
    "transport",
];

fn latency_histogram() -> Histogram {
    // 1 ms .. ~33 s: a sandbox answers in a millisecond, Plaid in tens to hundreds.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

impl PlaidMetrics {
    /// Creates the metrics and registers them in `registry` (under its prefix).
    pub fn register(registry: &mut Registry) -> Self {
        let inner = Inner {
            attempts: Family::default(),
            latency: Family::new_with_constructor(latency_histogram),
        };
        registry.register(
            "plaid_requests",
            "HTTP attempts against Plaid, by endpoint and outcome",
            inner.attempts.clone(),
        );
        registry.register(
            "plaid_request_duration_seconds",
            "Time of one HTTP attempt against Plaid",
            inner.latency.clone(),
        );
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Starts the series of `endpoints` (the ones the service calls) at 0, every outcome and the
    /// latency, so dashboards and alerts see them before the first call.
    pub fn with_endpoints(self, endpoints: &[&'static str]) -> Self {
        for &endpoint in endpoints {
            for outcome in OUTCOMES {
                let _ = self
                    .inner
                    .attempts
                    .get_or_create(&AttemptLabels { endpoint, outcome });
            }
            let _ = self
                .inner
                .latency
                .get_or_create(&EndpointLabel { endpoint });
        }
        self
    }

    /// Counts one attempt.
    pub(crate) fn record(
        &self,
        endpoint: &'static str,
        result: Result<(), &PlaidError>,
        took: Duration,
    ) {
        let outcome = match result {
            Ok(()) => "ok",
            Err(err) => match err.http_status() {
                Some(429) => "rate_limited",
                Some(s) if s >= 500 => "server_error",
                Some(_) => "client_error",
                None => "transport",
            },
        };
        self.inner
            .attempts
            .get_or_create(&AttemptLabels { endpoint, outcome })
            .inc();
        self.inner
            .latency
            .get_or_create(&EndpointLabel { endpoint })
            .observe(took.as_secs_f64());
    }

    /// Attempts counted for `endpoint` with `outcome` (for tests and benchmarks).
    pub fn attempts(&self, endpoint: &'static str, outcome: &'static str) -> u64 {
        self.inner
            .attempts
            .get_or_create(&AttemptLabels { endpoint, outcome })
            .get()
    }
}
