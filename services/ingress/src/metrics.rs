//! Prometheus metrics of the ingress, exposed as OpenMetrics text on `/metrics`.
//!
//! | metric | kind | meaning |
//! |---|---|---|
//! | `penny_ingress_webhooks_accepted_total` | counter | webhooks answered 200 (new or duplicate) |
//! | `penny_ingress_webhooks_duplicate_total` | counter | accepted webhooks the stream dropped as duplicates |
//! | `penny_ingress_webhooks_rejected_total{reason}` | counter | non-200 answers by reason code |
//! | `penny_ingress_publish_duration_seconds` | histogram | publish until PubAck (successful publishes) |
//! | `penny_ingress_requests_in_flight` | gauge | webhook requests being handled |
//! | `penny_ingress_key_fetches_total{outcome}` | counter | calls to `/webhook_verification_key/get` |
//! | `penny_ingress_key_negative_hits_total` | counter | unknown kids answered from the negative cache |
//! | `penny_ingress_nats_ready` | gauge | 1 when NATS is connected and the stream exists |

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;

use crate::error::Rejection;

/// `reason` label of the rejection counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

/// `outcome` label of the key-fetch counter.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

/// Outcome of one call to `/webhook_verification_key/get`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFetchOutcome {
    /// Plaid returned a key.
    Found,
    /// Plaid said the key id does not exist.
    Rejected,
    /// Plaid could not be reached or failed.
    Unavailable,
}

impl KeyFetchOutcome {
    const ALL: [KeyFetchOutcome; 3] = [Self::Found, Self::Rejected, Self::Unavailable];

    fn label(self) -> &'static str {
        match self {
            Self::Found => "found",
            Self::Rejected => "rejected",
            Self::Unavailable => "unavailable",
        }
    }
}

/// All ingress metrics and the registry that exposes them. Cheap to update from many tasks.
#[derive(Debug)]
pub struct Metrics {
    registry: Arc<Registry>,
    accepted: Counter,
    duplicates: Counter,
    rejected: Family<ReasonLabel, Counter>,
    publish_duration: Histogram,
    in_flight: Gauge,
    key_fetches: Family<OutcomeLabel, Counter>,
    key_negative_hits: Counter,
    nats_ready: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Creates and registers every metric (rejection reasons and fetch outcomes start at 0).
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("penny_ingress");
        let accepted = Counter::default();
        let duplicates = Counter::default();
        let rejected = Family::<ReasonLabel, Counter>::default();
        // 100 µs .. ~3.3 s: a loopback PubAck is ~0.2 ms, the publish timeout is seconds.
        let publish_duration = Histogram::new(exponential_buckets(0.0001, 2.0, 16));
        let in_flight = Gauge::default();
        let key_fetches = Family::<OutcomeLabel, Counter>::default();
        let key_negative_hits = Counter::default();
        let nats_ready = Gauge::default();
        for r in Rejection::ALL {
            let _ = rejected.get_or_create(&ReasonLabel { reason: r.code() });
        }
        for o in KeyFetchOutcome::ALL {
            let _ = key_fetches.get_or_create(&OutcomeLabel { outcome: o.label() });
        }
        registry.register(
            "webhooks_accepted",
            "Webhooks answered 200 after the stream acknowledged them (duplicates included)",
            accepted.clone(),
        );
        registry.register(
            "webhooks_duplicate",
            "Accepted webhooks the stream dropped as duplicates of an earlier Nats-Msg-Id",
            duplicates.clone(),
        );
        registry.register(
            "webhooks_rejected",
            "Webhook requests not accepted, by reason",
            rejected.clone(),
        );
        registry.register(
            "publish_duration_seconds",
            "Time from publish to PubAck of accepted webhooks",
            publish_duration.clone(),
        );
        registry.register(
            "requests_in_flight",
            "Webhook requests currently being handled",
            in_flight.clone(),
        );
        registry.register(
            "key_fetches",
            "Calls to /webhook_verification_key/get, by outcome",
            key_fetches.clone(),
        );
        registry.register(
            "key_negative_hits",
            "Unknown key ids answered from the negative cache without a fetch",
            key_negative_hits.clone(),
        );
        registry.register(
            "nats_ready",
            "1 when NATS is connected and the webhook stream exists",
            nats_ready.clone(),
        );
        Self {
            registry: Arc::new(registry),
            accepted,
            duplicates,
            rejected,
            publish_duration,
            in_flight,
            key_fetches,
            key_negative_hits,
            nats_ready,
        }
    }

    /// The registry `/metrics` encodes.
    pub fn registry(&self) -> Arc<Registry> {
        Arc::clone(&self.registry)
    }

    /// The OpenMetrics text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(8 * 1024);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    pub(crate) fn record_accepted(&self, duplicate: bool, publish_seconds: f64) {
        self.accepted.inc();
        if duplicate {
            self.duplicates.inc();
        }
        self.publish_duration.observe(publish_seconds);
    }

    pub(crate) fn record_rejection(&self, rejection: Rejection) {
        self.rejected
            .get_or_create(&ReasonLabel {
                reason: rejection.code(),
            })
            .inc();
    }

    pub(crate) fn record_key_fetch(&self, outcome: KeyFetchOutcome) {
        self.key_fetches
            .get_or_create(&OutcomeLabel {
                outcome: outcome.label(),
            })
            .inc();
    }

    pub(crate) fn record_negative_hit(&self) {
        self.key_negative_hits.inc();
    }

    pub(crate) fn set_nats_ready(&self, ready: bool) {
        self.nats_ready.set(i64::from(ready));
    }

    /// Marks one webhook request in flight until the returned guard is dropped.
    pub(crate) fn in_flight(&self) -> InFlightGuard {
        self.in_flight.inc();
        InFlightGuard(self.in_flight.clone())
    }

    /// Webhooks accepted so far (duplicates included).
    pub fn accepted_total(&self) -> u64 {
        self.accepted.get()
    }

    /// Accepted webhooks that were duplicates.
    pub fn duplicates_total(&self) -> u64 {
        self.duplicates.get()
    }

    /// Requests rejected with `rejection` so far.
    pub fn rejected_total(&self, rejection: Rejection) -> u64 {
        self.rejected
            .get(&ReasonLabel {
                reason: rejection.code(),
            })
            .map_or(0, |c| c.get())
    }

    /// Calls to `/webhook_verification_key/get` with `outcome` so far.
    pub fn key_fetches(&self, outcome: KeyFetchOutcome) -> u64 {
        self.key_fetches
            .get(&OutcomeLabel {
                outcome: outcome.label(),
            })
            .map_or(0, |c| c.get())
    }

    /// All calls to `/webhook_verification_key/get` so far.
    pub fn key_fetches_total(&self) -> u64 {
        KeyFetchOutcome::ALL
            .iter()
            .map(|o| self.key_fetches(*o))
            .sum()
    }

    /// Unknown kids answered from the negative cache so far.
    pub fn key_negative_hits_total(&self) -> u64 {
        self.key_negative_hits.get()
    }

    /// Webhook requests currently in flight.
    pub fn in_flight_now(&self) -> i64 {
        self.in_flight.get()
    }
}

/// Decrements the in-flight gauge on drop (also when the request future is cancelled).
#[derive(Debug)]
pub(crate) struct InFlightGuard(Gauge);

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_lists_every_family() {
        let m = Metrics::new();
        m.record_accepted(true, 0.001);
        m.record_rejection(Rejection::BadSignature);
        m.record_key_fetch(KeyFetchOutcome::Found);
        {
            let _g = m.in_flight();
            assert_eq!(m.in_flight_now(), 1);
        }
        assert_eq!(m.in_flight_now(), 0);
        let text = m.encode();
        for needle in [
            "penny_ingress_webhooks_accepted_total 1",
            "penny_ingress_webhooks_duplicate_total 1",
            "penny_ingress_webhooks_rejected_total{reason=\"bad_signature\"} 1",
            "penny_ingress_webhooks_rejected_total{reason=\"stale_iat\"} 0",
            "penny_ingress_publish_duration_seconds_count 1",
            "penny_ingress_requests_in_flight 0",
            "penny_ingress_key_fetches_total{outcome=\"found\"} 1",
        ] {
            assert!(text.contains(needle), "{needle} missing in\n{text}");
        }
        assert_eq!(m.rejected_total(Rejection::BadSignature), 1);
        assert_eq!(m.key_fetches_total(), 1);
    }
}
