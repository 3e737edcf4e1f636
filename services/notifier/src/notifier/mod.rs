//! [`Notifier`]: the notifier's use cases, shared by the consumer, the dispatcher, the
//! scheduler, the gRPC API and the unsubscribe endpoint.
//!
//! - [`ingest`]: a domain event → the projection, the alerts it asks for, the inbox record, in
//!   one transaction.
//! - [`deliver`]: one due alert → planned again (preferences, quiet hours), claimed, rendered,
//!   sent, recorded.
//! - [`reconcile`]: claims that ran out (a sender died) → `unknown`; operator verdicts.
//! - [`contacts`]: contact data and preferences, the alert record, one-click unsubscribe.

pub mod contacts;
pub mod deliver;
mod error;
pub mod ingest;
pub mod reconcile;

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;

use crate::channels::Transports;
use crate::clock::SharedClock;
use crate::crash::CrashPoint;
use crate::domain::SendPolicy;
use crate::metrics::Metrics;
use crate::public::links::Links;
use crate::store::contacts::AddressBook;
use crate::templates::Templates;

pub use error::NotifierError;

/// The inbox's consumer name for domain events.
pub const INBOX_CONSUMER: &str = "notifier";

/// The knobs of the core.
#[derive(Clone, Debug)]
pub struct NotifierSettings {
    /// The send state machine's retries and resends.
    pub policy: SendPolicy,
    /// How long a claim holds (longer than any provider call may take); past it an outcome
    /// nobody recorded is `unknown`.
    pub claim_ttl: Duration,
    /// The product name alerts use.
    pub product: String,
    /// Production: `http` push URLs are refused.
    pub production: bool,
    /// Repeats of one domain event within this long are recognised by the inbox (a
    /// redelivery of the same stream message always is).
    pub inbox_window: Duration,
    /// Test-only fault injection.
    pub crash_at: Option<CrashPoint>,
}

impl Default for NotifierSettings {
    fn default() -> Self {
        Self {
            policy: SendPolicy::default(),
            claim_ttl: Duration::from_secs(120),
            product: "penny".to_owned(),
            production: false,
            inbox_window: Duration::from_secs(35 * 24 * 3600),
            crash_at: None,
        }
    }
}

/// The application core. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Notifier {
    inner: Arc<Parts>,
}

/// What the core is built from.
#[derive(Debug)]
pub struct Parts {
    /// The database.
    pub db: DatabaseConnection,
    /// Contact data, sealed.
    pub book: AddressBook,
    /// Business time.
    pub clock: SharedClock,
    /// The alert texts.
    pub templates: Templates,
    /// The configured channels.
    pub transports: Transports,
    /// Unsubscribe links.
    pub links: Links,
    /// Metrics.
    pub metrics: Metrics,
    /// Knobs.
    pub settings: NotifierSettings,
}

impl Notifier {
    /// The core over `parts`.
    pub fn new(parts: Parts) -> Self {
        Self {
            inner: Arc::new(parts),
        }
    }

    /// Business time now.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.clock.now()
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// The settings.
    pub fn settings(&self) -> &NotifierSettings {
        &self.inner.settings
    }

    /// Ids of alerts in `state` due now, oldest due first (the scheduler's sweep).
    pub async fn due_alerts(
        &self,
        state: crate::domain::SendState,
        limit: u64,
    ) -> Result<Vec<String>, NotifierError> {
        Ok(crate::store::alerts::due(self.db(), state, self.now(), limit).await?)
    }

    /// `Err` while the database does not answer.
    pub async fn ping_db(&self) -> Result<(), String> {
        penny_store::readiness::ping(self.db()).await
    }

    /// Refreshes the database-sampled metrics.
    pub async fn sample_metrics(&self) {
        self.metrics().sample_db(self.db(), self.now()).await;
    }

    fn db(&self) -> &DatabaseConnection {
        &self.inner.db
    }
}

/// Real time, at the database's precision, for claims (never business time: a test clock
/// moved by days must not expire a claim in flight).
fn real_now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound as _;
    chrono::Utc::now().trunc_subsecs(6)
}
