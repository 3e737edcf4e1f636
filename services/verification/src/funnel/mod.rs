//! The Link funnel: Link's `onEvent`, `onExit` and `onSuccess` callbacks as the app backend
//! forwards them (`RecordLinkEvents`), stored once per event and per session, and the
//! micro-deposit funnel they add up to (`GetLinkFunnel`, Prometheus metrics, `pennyctl
//! funnel`). A session whose onSuccess lists an account is linked to it, so the account's
//! history starts with its Link session.
//!
//! - [`event`]: a validated callback and the key that makes a resend the same event;
//! - [`step`]: the funnel's steps and which callback reaches which;
//! - [`progress`]: one session's steps, exit and flow; [`report`]: the funnel over sessions;
//! - [`store`]: the tables; [`metrics`]: the Prometheus side;
//! - [`script`]: scripted sessions (the seed's sequence, exits) for tests and demos.

pub mod event;
pub mod metrics;
pub mod progress;
pub mod report;
pub mod script;
pub mod step;
pub mod store;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

pub use event::{Callback, LinkEvent, SessionInput, SuccessAccount};
pub use metrics::LinkMetrics;
pub use progress::{Exit, Progress};
pub use report::{ExitCount, Report, StepCount};
pub use step::Step;
pub use store::{RecordError, Recorded, StoredSession};

use crate::domain::Flow;

/// The funnel's use cases over the database and the metrics. Cheap to clone.
#[derive(Clone, Debug)]
pub struct LinkFunnel {
    db: DatabaseConnection,
    metrics: LinkMetrics,
}

impl LinkFunnel {
    /// The funnel over `db`, counting into `metrics`.
    pub fn new(db: DatabaseConnection, metrics: LinkMetrics) -> Self {
        Self { db, metrics }
    }

    /// Records one call's events (idempotent per event) and counts what it added.
    #[tracing::instrument(skip_all, fields(events = input.events.len()))]
    pub async fn record(&self, input: &SessionInput) -> Result<Recorded, RecordError> {
        let recorded = store::record(&self.db, input).await?;
        self.metrics.observe(
            &recorded.new,
            recorded.duplicates,
            &recorded.before,
            &recorded.after,
        );
        Ok(recorded)
    }

    /// The funnel of the sessions that started in `[from, to)`, of `flow` when given.
    #[tracing::instrument(skip(self))]
    pub async fn report(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        flow: Option<Flow>,
    ) -> anyhow::Result<Report> {
        let sessions = store::sessions_between(&self.db, from, to, flow).await?;
        let progress: Vec<Progress> = sessions.iter().map(|s| Progress::of(&s.events)).collect();
        Ok(report::report(&progress))
    }

    /// The sessions that linked `account_id`, oldest first.
    pub async fn sessions_of_account(
        &self,
        account_id: &str,
    ) -> anyhow::Result<Vec<StoredSession>> {
        store::sessions_of_account(&self.db, account_id).await
    }
}
