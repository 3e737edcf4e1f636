//! [`RateLimitMetrics`]: what a service's `/metrics` says about the shared rate limiter: every
//! decision by endpoint, budget and result, and the client budget it spends.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use super::rate_limiter::{Grant, Limits};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DecisionLabels {
    endpoint: String,
    budget: &'static str,
    decision: &'static str,
}

fn labels(endpoint: &str, budget: Budget, grant: &Grant) -> DecisionLabels {
    DecisionLabels {
        endpoint: endpoint.to_owned(),
        budget: match budget {
            Budget::Item => "item",
            Budget::Client => "client",
        },
        decision: match grant {
            Grant::Granted => "granted",
            Grant::Wait(_) => "refused",
        },
    }
}

/// Which budget a decision was about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Budget {
    /// One Item's (Plaid: 15/min).
    Item,
    /// The whole client's, shared by every replica (Plaid: 12,000/min for `/auth/get`).
    Client,
}

/// The limiter's metrics. Cheap to clone; give one to [`super::RateLimiter::with_metrics`].
///
/// | metric | kind | meaning |
/// |---|---|---|
/// | `rate_limit_decisions_total{endpoint,budget,decision}` | counter | each unit asked of a budget (`item`, `client`): `granted` or `refused` (spent: the caller waits or hands its work back) |
/// | `rate_limit_client_limit_per_second` | gauge | the configured client budget in units per second (0 = unlimited) |
#[derive(Clone, Debug)]
pub struct RateLimitMetrics {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    decisions: Family<DecisionLabels, Counter>,
    client_limit: Gauge<f64, AtomicU64>,
}

impl RateLimitMetrics {
    /// Creates the metrics and registers them in `registry` (under its prefix).
    pub fn register(registry: &mut Registry) -> Self {
        let inner = Inner::default();
        registry.register(
            "rate_limit_decisions",
            "Units asked of a shared rate-limit budget, by endpoint, budget and decision",
            inner.decisions.clone(),
        );
        registry.register(
            "rate_limit_client_limit_per_second",
            "The configured client budget in units per second (0 = unlimited)",
            inner.client_limit.clone(),
        );
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Starts every decision of `endpoints` (the ones the service limits) at 0, so dashboards
    /// and alerts see them before the first call.
    pub fn with_endpoints(self, endpoints: &[&str]) -> Self {
        for endpoint in endpoints {
            for budget in [Budget::Item, Budget::Client] {
                for grant in [Grant::Granted, Grant::Wait(Duration::ZERO)] {
                    let _ = self
                        .inner
                        .decisions
                        .get_or_create(&labels(endpoint, budget, &grant));
                }
            }
        }
        self
    }

    /// Publishes the configured client budget.
    pub(crate) fn limits(&self, limits: Limits) {
        let window = limits.window.as_secs_f64();
        let per_second = if window > 0.0 {
            f64::from(limits.per_client) / window
        } else {
            0.0
        };
        self.inner.client_limit.set(per_second);
    }

    /// Counts one decision of `budget` for `endpoint`.
    pub(crate) fn decided(&self, endpoint: &str, budget: Budget, grant: &Grant) {
        self.inner
            .decisions
            .get_or_create(&labels(endpoint, budget, grant))
            .inc();
    }

    /// Decisions counted so far for `endpoint`, `budget` (`item` or `client`) and `decision`
    /// (`granted` or `refused`), for tests.
    pub fn decisions(&self, endpoint: &str, budget: &'static str, decision: &'static str) -> u64 {
        self.inner
            .decisions
            .get(&DecisionLabels {
                endpoint: endpoint.to_owned(),
                budget,
                decision,
            })
            .map_or(0, |c| c.get())
    }
}
