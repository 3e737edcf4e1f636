//! The application core: every use case of the service (link, exchange, read, refresh, remove,
//! and applying webhook events), shared by the gRPC API and the webhook consumer.
//!
//! All status changes go through [`Verifier::apply`] (in `reconcile`), which runs the state
//! machine, calls `/auth/get` when the decision asks for numbers, and commits the new state,
//! the numbers, the history, the processed-webhook record and the domain events in one
//! transaction.

mod apply;
mod change;
mod error;
mod exchange;
mod history;
mod inbox;
mod lifecycle;
mod link;
mod locks;
mod numbers;
mod sweep;

use std::sync::Arc;
use std::time::Duration;

use penny_bus::kv::RateLimiter;
use penny_plaid::PlaidClient;
use penny_store::Outbox;
use sea_orm::DatabaseConnection;

pub use change::{Applied, ChangeRequest, Report, Target, WebhookRef};
pub use error::VerifierError;
pub use exchange::LinkAccountInput;
pub use history::AccountHistory;
pub use inbox::{INBOX_CONSUMER, WebhookOutcome};
pub(crate) use lifecycle::ACCOUNTS_GET;
pub use link::{UpdateReason, UpdateToken};
pub(crate) use numbers::AUTH_GET;
pub use sweep::{CheckOutcome, SWEEP_CAUSE, SweepPass, needs_check};

use crate::crash::CrashPoint;
use crate::domain::{LinkOffer, ReconcileSchedule};
use crate::store::Secrets;

/// The default dedupe window: three times the 24 h Plaid keeps retrying a webhook.
pub const DEFAULT_DEDUPE_WINDOW: Duration = Duration::from_secs(72 * 3600);

/// Settings of the core (a subset of the service's configuration).
#[derive(Clone, Debug)]
pub struct VerifierSettings {
    /// `client_name` sent to `/link/token/create`.
    pub client_name: String,
    /// The webhook URL given to Plaid (ingress's public URL).
    pub webhook_url: String,
    /// The flow(s) a Link token offers when the caller does not say.
    pub link_flow: LinkOffer,
    /// Longest wait for rate-limit budget inside an API call (`ExchangePublicToken`,
    /// `RefreshAccount`); beyond it the call fails with `UNAVAILABLE`. A webhook never waits:
    /// it is handed back to JetStream with the time until the budget frees up.
    pub api_rate_wait: Duration,
    /// Within how long of each other two identical webhook bodies count as one webhook
    /// (see the `inbox` module).
    pub dedupe_window: Duration,
    /// How long a concurrent duplicate `ExchangePublicToken` waits for the first to finish.
    pub exchange_wait: Duration,
    /// After how long an unfinished exchange claim is considered abandoned.
    pub exchange_stale_after: Duration,
    /// When the reconciliation sweep asks Plaid about an account still pending.
    pub reconcile: ReconcileSchedule,
    /// Test-only fault injection.
    pub crash_at: Option<CrashPoint>,
}

impl Default for VerifierSettings {
    fn default() -> Self {
        Self {
            client_name: "penny".to_owned(),
            webhook_url: "http://127.0.0.1:8080/webhooks/plaid".to_owned(),
            link_flow: LinkOffer::Automated,
            api_rate_wait: Duration::from_secs(5),
            dedupe_window: DEFAULT_DEDUPE_WINDOW,
            exchange_wait: Duration::from_secs(20),
            exchange_stale_after: Duration::from_secs(60),
            reconcile: ReconcileSchedule::default(),
            crash_at: None,
        }
    }
}

/// The application core. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Verifier {
    db: DatabaseConnection,
    plaid: PlaidClient,
    secrets: Secrets,
    limiter: RateLimiter,
    outbox: Outbox,
    item_locks: Arc<locks::KeyedLocks>,
    settings: VerifierSettings,
}

impl Verifier {
    /// A core over these dependencies; domain events go through `outbox` (its relay is woken
    /// after every commit that wrote some).
    pub fn new(
        db: DatabaseConnection,
        plaid: PlaidClient,
        secrets: Secrets,
        limiter: RateLimiter,
        outbox: Outbox,
        settings: VerifierSettings,
    ) -> Self {
        Self {
            db,
            plaid,
            secrets,
            limiter,
            outbox,
            item_locks: Arc::default(),
            settings,
        }
    }

    /// The secrets (for `rotate-keys` and tests).
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// The settings.
    pub fn settings(&self) -> &VerifierSettings {
        &self.settings
    }
}
