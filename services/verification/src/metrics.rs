//! The verification service's `/metrics`: Plaid attempts by endpoint and outcome with latency
//! ([`PlaidMetrics`]), each webhook consumer's outcomes, lag, redeliveries and dead letters
//! ([`ConsumerMetrics`], labelled `consumer="prompt"` or `"numbers"`), the shared `/auth/get`
//! budget's decisions ([`RateLimitMetrics`]), the outbox backlog and accounts by status. The database gauges are refreshed by [`Metrics::sample_db_every`] (not
//! by readiness: counting accounts scans the table, and a probe must stay cheap). The Link
//! funnel's metrics are [`LinkMetrics`].
//!
//! Names carry the `penny_verification_` prefix, e.g. `penny_verification_plaid_requests_total`,
//! `penny_verification_consumer_pending_messages`,
//! `penny_verification_rate_limit_decisions_total{endpoint,budget,decision}`,
//! `penny_verification_outbox_backlog_messages`, `penny_verification_accounts{status}`,
//! `penny_verification_reconcile_checks_total{outcome}`, `penny_verification_reconcile_due_accounts`.

use std::time::Duration;

use penny_bus::ConsumerMetrics;
use penny_bus::kv::RateLimitMetrics;
use penny_plaid::PlaidMetrics;
use penny_store::Outbox;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use crate::domain::Status;
use crate::funnel::LinkMetrics;
use crate::store::{self, accounts, reconcile};
use crate::verifier::{ACCOUNTS_GET, AUTH_GET, CheckOutcome};

/// The Plaid endpoints the service calls: their series start at 0.
const PLAID_ENDPOINTS: [&str; 5] = [
    "/link/token/create",
    "/item/public_token/exchange",
    "/accounts/get",
    "/auth/get",
    "/item/remove",
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

/// Every metric of the service (the registry exposing them is returned by [`Metrics::new`]).
/// Cheap to clone.
#[derive(Clone, Debug)]
pub struct Metrics {
    /// Plaid attempts (give it to the Plaid client).
    pub plaid: PlaidMetrics,
    /// The prompt webhook consumer (labelled `consumer="prompt"`).
    pub prompt: ConsumerMetrics,
    /// The numbers webhook consumer (labelled `consumer="numbers"`).
    pub numbers: ConsumerMetrics,
    /// The Link funnel.
    pub link: LinkMetrics,
    /// The shared `/auth/get` budget (give it to the limiter).
    pub limiter: RateLimitMetrics,
    outbox_backlog: Gauge,
    accounts: Family<StatusLabel, Gauge>,
    reconcile_checks: Family<OutcomeLabel, Counter>,
    reconcile_due: Gauge,
}

impl Metrics {
    /// Creates every metric and the registry `/metrics` encodes.
    pub fn new() -> (Registry, Self) {
        let mut registry = Registry::with_prefix("penny_verification");
        let plaid = PlaidMetrics::register(&mut registry).with_endpoints(&PLAID_ENDPOINTS);
        let prompt = ConsumerMetrics::register(
            registry.sub_registry_with_label(("consumer".into(), "prompt".into())),
        );
        let numbers = ConsumerMetrics::register(
            registry.sub_registry_with_label(("consumer".into(), "numbers".into())),
        );
        let link = LinkMetrics::register(&mut registry);
        let limiter =
            RateLimitMetrics::register(&mut registry).with_endpoints(&[AUTH_GET, ACCOUNTS_GET]);
        let outbox_backlog = Gauge::default();
        registry.register(
            "outbox_backlog_messages",
            "Domain events committed and not yet published",
            outbox_backlog.clone(),
        );
        let accounts = Family::<StatusLabel, Gauge>::default();
        registry.register("accounts", "Accounts by status", accounts.clone());
        let reconcile_checks = Family::<OutcomeLabel, Counter>::default();
        registry.register(
            "reconcile_checks",
            "Reconciliation sweep checks of accounts by outcome",
            reconcile_checks.clone(),
        );
        for outcome in CheckOutcome::ALL {
            reconcile_checks
                .get_or_create(&OutcomeLabel {
                    outcome: outcome.as_str(),
                })
                .inc_by(0);
        }
        let reconcile_due = Gauge::default();
        registry.register(
            "reconcile_due_accounts",
            "Accounts whose reconciliation check is due (a growing value: the sweep falls behind)",
            reconcile_due.clone(),
        );
        let metrics = Self {
            plaid,
            prompt,
            numbers,
            link,
            limiter,
            outbox_backlog,
            accounts,
            reconcile_checks,
            reconcile_due,
        };
        (registry, metrics)
    }

    /// Refreshes the database gauges every `every` until `shutdown` is cancelled.
    pub async fn sample_db_every(
        self,
        db: DatabaseConnection,
        outbox: Outbox,
        every: Duration,
        shutdown: CancellationToken,
    ) {
        penny_runtime::periodic::every(every, &shutdown, || self.sample_db(&db, &outbox)).await;
    }

    /// Counts one reconciliation check.
    pub fn reconcile_checked(&self, outcome: CheckOutcome) {
        self.reconcile_checks
            .get_or_create(&OutcomeLabel {
                outcome: outcome.as_str(),
            })
            .inc();
    }

    /// Refreshes the database-sampled gauges (outbox backlog, accounts by status, accounts due
    /// for reconciliation). Failures leave the last values (readiness reports an unreachable
    /// database).
    pub async fn sample_db(&self, db: &DatabaseConnection, outbox: &Outbox) {
        if let Ok(due) = reconcile::count_due(db, store::now()).await {
            self.reconcile_due
                .set(i64::try_from(due).unwrap_or(i64::MAX));
        }
        if let Ok(backlog) = outbox.backlog().await {
            self.outbox_backlog
                .set(i64::try_from(backlog).unwrap_or(i64::MAX));
        }
        if let Ok(counts) = accounts::count_by_status(db).await {
            for status in Status::ALL {
                let n = counts
                    .iter()
                    .find(|(s, _)| *s == status)
                    .map_or(0, |(_, n)| *n);
                self.accounts
                    .get_or_create(&StatusLabel {
                        status: status.as_str(),
                    })
                    .set(i64::try_from(n).unwrap_or(i64::MAX));
            }
        }
    }
}
