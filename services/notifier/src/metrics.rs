//! The notifier's `/metrics` (prefix `penny_notifier_`):
//!
//! - `alerts_total{kind, channel, outcome}`: what happened to alerts — `created`, `sent`,
//!   `retried`, `failed`, `unknown`, `suppressed`, `deferred` (quiet hours), `resent` (after
//!   an unknown outcome);
//! - `send_duration_seconds{channel}`: provider call latency;
//! - `scheduled_backlog_alerts`: alerts waiting in `pending` (scheduled, delayed, retrying);
//!   `oldest_overdue_seconds`: how long past its first due time the oldest unsent alert is
//!   (retries do not reset it; 0 when none);
//! - `unknown_alerts`: alerts whose outcome is unknown (SMS ones wait for an operator);
//! - `waiting_for_account_events`: deposit events waiting for their account to be known;
//! - `scheduler_leader` (1 on the replica holding the scheduler lease), `scheduler_sweeps_total`;
//! - the consumer's outcomes, lag and redeliveries ([`ConsumerMetrics`]).
//!
//! The gauges are sampled from the database every readiness interval ([`Metrics::sample_db`]).

use std::time::Duration;

use chrono::{DateTime, Utc};
use penny_bus::ConsumerMetrics;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sea_orm::DatabaseConnection;

use crate::domain::{AlertKind, Channel, SendState};
use crate::store::{alerts, waiting};

/// The `outcome` label's values (see the module documentation).
const OUTCOMES: [&str; 8] = [
    "created",
    "sent",
    "retried",
    "failed",
    "unknown",
    "suppressed",
    "deferred",
    "resent",
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AlertLabels {
    kind: &'static str,
    channel: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ChannelLabel {
    channel: &'static str,
}

/// Every metric of the service. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Metrics {
    /// The event consumer.
    pub consumer: ConsumerMetrics,
    alerts: Family<AlertLabels, Counter>,
    send_duration: Family<ChannelLabel, Histogram>,
    backlog: Gauge,
    oldest_overdue: Gauge,
    unknown: Gauge,
    waiting: Gauge,
    leader: Gauge,
    sweeps: Counter,
}

impl Metrics {
    /// Creates every metric and the registry `/metrics` encodes.
    pub fn new() -> (Registry, Self) {
        let mut registry = Registry::with_prefix("penny_notifier");
        let consumer = ConsumerMetrics::register(
            registry.sub_registry_with_label(("consumer".into(), "events".into())),
        );
        let alerts = Family::<AlertLabels, Counter>::default();
        registry.register(
            "alerts",
            "Alerts by kind, channel and outcome",
            alerts.clone(),
        );
        let send_duration = Family::<ChannelLabel, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.001, 2.0, 16))
        });
        registry.register(
            "send_duration_seconds",
            "Provider call latency by channel",
            send_duration.clone(),
        );
        let gauge = |registry: &mut Registry, name: &str, help: &str| {
            let g = Gauge::default();
            registry.register(name, help, g.clone());
            g
        };
        let backlog = gauge(
            &mut registry,
            "scheduled_backlog_alerts",
            "Alerts waiting in pending (scheduled, delayed or between retries)",
        );
        let oldest_overdue = gauge(
            &mut registry,
            "oldest_overdue_seconds",
            "How long past its first due time the oldest unsent alert is",
        );
        let unknown = gauge(
            &mut registry,
            "unknown_alerts",
            "Alerts whose outcome is unknown",
        );
        let waiting = gauge(
            &mut registry,
            "waiting_for_account_events",
            "Deposit events waiting for their account to be known",
        );
        let leader = gauge(
            &mut registry,
            "scheduler_leader",
            "Whether this replica holds the scheduler lease (1) or not (0)",
        );
        let sweeps = Counter::default();
        registry.register(
            "scheduler_sweeps",
            "Scheduler passes over due alerts",
            sweeps.clone(),
        );
        // Every kind, channel and outcome starts at 0: dashboards and alerts see 0, not nothing.
        for channel in Channel::ALL {
            for kind in AlertKind::ALL {
                for outcome in OUTCOMES {
                    let _ = alerts.get_or_create(&AlertLabels {
                        kind: kind.as_str(),
                        channel: channel.as_str(),
                        outcome,
                    });
                }
            }
            let _ = send_duration.get_or_create(&ChannelLabel {
                channel: channel.as_str(),
            });
        }
        let metrics = Self {
            consumer,
            alerts,
            send_duration,
            backlog,
            oldest_overdue,
            unknown,
            waiting,
            leader,
            sweeps,
        };
        (registry, metrics)
    }

    /// Counts one alert `outcome`.
    pub fn alert(&self, kind: AlertKind, channel: Channel, outcome: &'static str) {
        self.alerts
            .get_or_create(&AlertLabels {
                kind: kind.as_str(),
                channel: channel.as_str(),
                outcome,
            })
            .inc();
    }

    /// Records one provider call's latency.
    pub fn send_took(&self, channel: Channel, took: Duration) {
        self.send_duration
            .get_or_create(&ChannelLabel {
                channel: channel.as_str(),
            })
            .observe(took.as_secs_f64());
    }

    /// Sets whether this replica holds the scheduler lease.
    pub fn set_leader(&self, leader: bool) {
        self.leader.set(i64::from(leader));
    }

    /// Counts one scheduler pass.
    pub fn swept(&self) {
        self.sweeps.inc();
    }

    /// Scheduler passes so far (tests wait on it instead of sleeping).
    pub fn sweeps(&self) -> u64 {
        self.sweeps.get()
    }

    /// Refreshes the database-sampled gauges at business time `now`; failures leave the last
    /// values (readiness reports an unreachable database).
    pub async fn sample_db(&self, db: &DatabaseConnection, now: DateTime<Utc>) {
        if let Ok((pending, oldest)) = alerts::backlog(db, now).await {
            self.backlog.set(saturate(pending));
            let late = oldest.map_or(0, |due| (now - due).num_seconds().max(0));
            self.oldest_overdue.set(late);
        }
        if let Ok(n) = alerts::count_in(db, SendState::Unknown).await {
            self.unknown.set(saturate(n));
        }
        if let Ok(n) = waiting::count_waiting(db).await {
            self.waiting.set(saturate(n));
        }
    }
}

fn saturate(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}
