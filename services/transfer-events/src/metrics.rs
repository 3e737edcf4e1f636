//! The service's `/metrics` (prefix `penny_transfer_events_`):
//!
//! - sync: `syncs_total{outcome}` (completed, failed, fenced, cancelled),
//!   `sync_duration_seconds`, `pages_fetched_total`, `events_recorded_total{event_type}`,
//!   `deposit_events_total{state}`, `unknown_account_events_total`,
//!   `page_commits_fenced_total`;
//! - pokes: `pokes_received_total`, `pokes_coalesced_total`, `pokes_other_feed_total`,
//!   `sync_requests_total{kind}` (poke, sweep, manual);
//! - lease: `lease_acquisitions_total`, `lease_busy_total`, `lease_losses_total`;
//! - sampled every readiness interval: `cursor_event_id`, `sync_lag_seconds` (how long the
//!   oldest unserved request has waited), `sync_pending_requests`,
//!   `last_sync_completed_timestamp_seconds{feed}` (Unix time of the feed's last completed sync,
//!   by any replica; 0 before the first), `outbox_backlog_messages`;
//! - Plaid attempts ([`PlaidMetrics`]) and both consumers ([`ConsumerMetrics`], labelled
//!   `consumer="pokes"` / `"accounts"`).

use chrono::Utc;
use penny_bus::ConsumerMetrics;
use penny_plaid::PlaidMetrics;
use penny_store::Outbox;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::{Registry, Unit};
use std::sync::atomic::AtomicU64;

use crate::domain::{DepositState, Stage};
use crate::store::entities::sync_feed;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventTypeLabel {
    event_type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FeedLabel {
    feed: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

/// Plaid event types counted under their own label; others count as `other` (the label set
/// stays bounded whatever Plaid sends).
const EVENT_TYPES: [&str; 9] = [
    "pending",
    "posted",
    "settled",
    "funds_available",
    "reversed",
    "returned",
    "failed",
    "cancelled",
    "sweep",
];

/// How a sync ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncOutcome {
    /// Paged to the end and served its request.
    Completed,
    /// Plaid or the database failed; the request stays pending.
    Failed,
    /// A newer lease holder owns the feed.
    Fenced,
    /// The lease was lost or the service is stopping.
    Cancelled,
}

impl SyncOutcome {
    fn label(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::Fenced => "fenced",
            Self::Cancelled => "cancelled",
        }
    }
}

/// The sync's metrics. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SyncMetrics {
    syncs: Family<OutcomeLabel, Counter>,
    duration: Histogram,
    pages: Counter,
    events: Family<EventTypeLabel, Counter>,
    deposit_events: Family<StateLabel, Counter>,
    unknown_accounts: Counter,
    fenced: Counter,
    pokes_received: Counter,
    pokes_coalesced: Counter,
    pokes_other_feed: Counter,
    requests: Family<KindLabel, Counter>,
    lease_acquired: Counter,
    lease_busy: Counter,
    lease_lost: Counter,
    cursor: Gauge,
    lag: Gauge<f64, AtomicU64>,
    pending: Gauge,
    last_completed: Family<FeedLabel, Gauge>,
}

impl SyncMetrics {
    fn register(registry: &mut Registry) -> Self {
        let m = Self {
            syncs: Family::default(),
            duration: Histogram::new(exponential_buckets(0.005, 2.0, 16)),
            pages: Counter::default(),
            events: Family::default(),
            deposit_events: Family::default(),
            unknown_accounts: Counter::default(),
            fenced: Counter::default(),
            pokes_received: Counter::default(),
            pokes_coalesced: Counter::default(),
            pokes_other_feed: Counter::default(),
            requests: Family::default(),
            lease_acquired: Counter::default(),
            lease_busy: Counter::default(),
            lease_lost: Counter::default(),
            cursor: Gauge::default(),
            lag: Gauge::default(),
            pending: Gauge::default(),
            last_completed: Family::default(),
        };
        m.start_at_zero();
        let r = registry;
        r.register("syncs", "Syncs run, by outcome", m.syncs.clone());
        r.register_with_unit(
            "sync_duration",
            "Duration of completed syncs",
            Unit::Seconds,
            m.duration.clone(),
        );
        r.register(
            "pages_fetched",
            "Event pages fetched from Plaid",
            m.pages.clone(),
        );
        r.register(
            "events_recorded",
            "ACH events newly stored, by Plaid event type",
            m.events.clone(),
        );
        r.register(
            "deposit_events",
            "Deposit domain events written to the outbox, by state",
            m.deposit_events.clone(),
        );
        r.register(
            "unknown_account_events",
            "Events recorded for accounts penny had not linked",
            m.unknown_accounts.clone(),
        );
        r.register(
            "page_commits_fenced",
            "Page commits refused by the fence (a stale lease holder)",
            m.fenced.clone(),
        );
        r.register(
            "pokes_received",
            "Event-update webhooks received",
            m.pokes_received.clone(),
        );
        r.register(
            "pokes_coalesced",
            "Pokes that joined an already requested sync",
            m.pokes_coalesced.clone(),
        );
        r.register(
            "pokes_other_feed",
            "Pokes of the feed this mode does not sync (acked, ignored)",
            m.pokes_other_feed.clone(),
        );
        r.register(
            "sync_requests",
            "Sync requests recorded, by kind",
            m.requests.clone(),
        );
        r.register(
            "lease_acquisitions",
            "Sync leases acquired",
            m.lease_acquired.clone(),
        );
        r.register(
            "lease_busy",
            "Attempts that found the sync lease held by another replica",
            m.lease_busy.clone(),
        );
        r.register(
            "lease_losses",
            "Sync leases lost while held",
            m.lease_lost.clone(),
        );
        r.register(
            "cursor_event_id",
            "The largest event_id stored",
            m.cursor.clone(),
        );
        r.register_with_unit(
            "sync_lag",
            "How long the oldest unserved sync request has waited",
            Unit::Seconds,
            m.lag.clone(),
        );
        r.register(
            "sync_pending_requests",
            "Sync requests not yet served (0 or more)",
            m.pending.clone(),
        );
        r.register_with_unit(
            "last_sync_completed_timestamp",
            "Unix time of the feed's last completed sync (0 before the first)",
            Unit::Seconds,
            m.last_completed.clone(),
        );
        m
    }

    /// Creates the series of every known label value at 0 (dashboards and alerts see 0, not
    /// nothing, before the first sync).
    fn start_at_zero(&self) {
        use SyncOutcome::{Cancelled, Completed, Failed, Fenced};
        for outcome in [Completed, Failed, Fenced, Cancelled] {
            let _ = self.syncs.get_or_create(&OutcomeLabel {
                outcome: outcome.label(),
            });
        }
        for event_type in EVENT_TYPES.into_iter().chain(["other"]) {
            let _ = self.events.get_or_create(&EventTypeLabel { event_type });
        }
        for stage in Stage::ALL {
            let _ = self.deposit_events.get_or_create(&StateLabel {
                state: stage.state().subject_suffix(),
            });
        }
        for kind in ["poke", "sweep", "manual"] {
            let _ = self.requests.get_or_create(&KindLabel { kind });
        }
    }

    /// A sync ended.
    pub fn sync(&self, outcome: SyncOutcome, seconds: f64) {
        self.syncs
            .get_or_create(&OutcomeLabel {
                outcome: outcome.label(),
            })
            .inc();
        if outcome == SyncOutcome::Completed {
            self.duration.observe(seconds);
        }
        if outcome == SyncOutcome::Fenced {
            self.fenced.inc();
        }
    }

    /// A page was fetched.
    pub fn page(&self) {
        self.pages.inc();
    }

    /// Events were newly stored.
    pub fn recorded<'a>(&self, event_types: impl IntoIterator<Item = &'a str>, unknown: usize) {
        for t in event_types {
            let event_type = if t.starts_with("sweep.") {
                "sweep"
            } else {
                EVENT_TYPES.into_iter().find(|k| *k == t).unwrap_or("other")
            };
            self.events
                .get_or_create(&EventTypeLabel { event_type })
                .inc();
        }
        self.unknown_accounts.inc_by(unknown as u64);
    }

    /// Domain events were written.
    pub fn announced(&self, states: &[DepositState]) {
        for s in states {
            self.deposit_events
                .get_or_create(&StateLabel {
                    state: s.subject_suffix(),
                })
                .inc();
        }
    }

    /// A batch of `n` pokes was recorded; `coalesced` of them joined a pending request.
    pub fn pokes(&self, n: u64, coalesced: u64) {
        self.pokes_received.inc_by(n);
        self.pokes_coalesced.inc_by(coalesced);
    }

    /// Pokes of the other feed.
    pub fn other_feed(&self, n: u64) {
        self.pokes_other_feed.inc_by(n);
    }

    /// A sync request of `kind` (`poke`, `sweep`, `manual`).
    pub fn request(&self, kind: &'static str) {
        self.requests.get_or_create(&KindLabel { kind }).inc();
    }

    /// The lease was acquired.
    pub fn lease_acquired(&self) {
        self.lease_acquired.inc();
    }

    /// The lease was held by another replica.
    pub fn lease_busy(&self) {
        self.lease_busy.inc();
    }

    /// The lease was lost while held.
    pub fn lease_lost(&self) {
        self.lease_lost.inc();
    }

    /// Samples the feed row: cursor, pending requests, lag, last completed sync.
    pub fn sample(&self, row: &sync_feed::Model) {
        self.cursor.set(row.cursor);
        self.pending.set((row.requested - row.served).max(0));
        let lag = match (row.served < row.requested, row.pending_since) {
            (true, Some(since)) => (Utc::now() - since).as_seconds_f64().max(0.0),
            _ => 0.0,
        };
        self.lag.set(lag);
        self.last_completed
            .get_or_create(&FeedLabel {
                feed: row.feed.clone(),
            })
            .set(row.last_sync_finished_at.map_or(0, |at| at.timestamp()));
    }
}

/// Every metric of the service (the registry exposing them is returned by [`Metrics::new`]).
/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct Metrics {
    /// Plaid attempts (give it to the Plaid client).
    pub plaid: PlaidMetrics,
    /// The poke consumer (`consumer="pokes"`).
    pub pokes: ConsumerMetrics,
    /// The account-linked consumer (`consumer="accounts"`).
    pub accounts: ConsumerMetrics,
    /// The sync.
    pub sync: SyncMetrics,
    outbox_backlog: Gauge,
}

impl Metrics {
    /// Creates every metric and the registry `/metrics` encodes.
    pub fn new() -> (Registry, Self) {
        let mut registry = Registry::with_prefix("penny_transfer_events");
        // Both feeds' sync endpoints: the mode picks one; the other stays at 0.
        let plaid = PlaidMetrics::register(&mut registry)
            .with_endpoints(&["/bank_transfer/event/sync", "/transfer/event/sync"]);
        let pokes = ConsumerMetrics::register(
            registry.sub_registry_with_label(("consumer".into(), "pokes".into())),
        );
        let accounts = ConsumerMetrics::register(
            registry.sub_registry_with_label(("consumer".into(), "accounts".into())),
        );
        let sync = SyncMetrics::register(&mut registry);
        let outbox_backlog = Gauge::default();
        registry.register(
            "outbox_backlog_messages",
            "Domain events committed and not yet published",
            outbox_backlog.clone(),
        );
        let metrics = Self {
            plaid,
            pokes,
            accounts,
            sync,
            outbox_backlog,
        };
        (registry, metrics)
    }

    /// Refreshes the outbox backlog (failures keep the last value).
    pub async fn sample_outbox(&self, outbox: &Outbox) {
        if let Ok(backlog) = outbox.backlog().await {
            self.outbox_backlog
                .set(i64::try_from(backlog).unwrap_or(i64::MAX));
        }
    }
}
