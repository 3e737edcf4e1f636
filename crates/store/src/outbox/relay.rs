//! [`OutboxRelay`]: publishes committed outbox rows to JetStream, in order, at least once.

use std::{collections::BTreeMap, time::Duration};

use async_nats::{HeaderMap, jetstream};
use bytes::Bytes;
use chrono::Utc;
use penny_bus::{PublishError, publish_durable};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, ExprTrait, QueryFilter, QueryOrder,
    QuerySelect, sea_query::Expr,
};
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use super::Outbox;
use super::entity::{Column, Entity, Model};
use super::purge::PurgeSchedule;

/// Knobs of the relay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelaySettings {
    /// Rows read per round.
    pub batch_size: u64,
    /// How often to look for rows when nobody pokes the relay (a poke after commit makes
    /// relaying immediate; the poll catches pokes lost to crashes and other replicas' rows).
    pub poll_interval: Duration,
    /// How long to wait for each PubAck.
    pub ack_timeout: Duration,
    /// First pause after a failed round (it doubles while rounds keep failing).
    pub first_backoff: Duration,
    /// Longest pause between attempts while NATS or the database fails.
    pub max_backoff: Duration,
    /// How long a published row is kept before the relay deletes it. Keep it well over the
    /// stream's duplicate window: a row re-published after its first copy left the window
    /// would be delivered twice.
    pub keep_published: Duration,
    /// How often the relay deletes published rows older than `keep_published`.
    pub purge_interval: Duration,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            batch_size: 100,
            poll_interval: Duration::from_secs(1),
            ack_timeout: Duration::from_secs(5),
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(30),
            keep_published: Duration::from_secs(24 * 3600),
            purge_interval: Duration::from_secs(3600),
        }
    }
}

/// Why a relay round stopped early. Rows published before the failure are marked; the failed
/// row and those after it are retried next round, in order.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// Reading or marking rows failed.
    #[error("outbox database error: {0}")]
    Db(#[from] DbErr),
    /// Publishing row `id` failed.
    #[error("publishing outbox row {id} ({subject}): {source}")]
    Publish {
        /// Row id.
        id: i64,
        /// Its subject.
        subject: String,
        /// Cause.
        #[source]
        source: PublishError,
    },
}

/// Publishes unpublished outbox rows in id order; see the [module docs](super).
pub struct OutboxRelay {
    outbox: Outbox,
    js: jetstream::Context,
    settings: RelaySettings,
}

impl OutboxRelay {
    /// A relay over `outbox` publishing through `js` (see [`Outbox::relay`]).
    pub fn new(outbox: Outbox, js: jetstream::Context) -> Self {
        Self {
            outbox,
            js,
            settings: RelaySettings::default(),
        }
    }

    /// The same relay with `settings`.
    pub fn with_settings(mut self, settings: RelaySettings) -> Self {
        self.settings = settings;
        self
    }

    /// Relays until `shutdown` is cancelled: a round whenever woken by a commit, every
    /// `poll_interval`, and right away while full batches keep coming. A failing round backs off
    /// exponentially up to `max_backoff`, but the pause ends early on a commit (new work, and a
    /// fresh chance) or when the NATS connection comes back, so events do not lag behind a
    /// recovered NATS by the backoff. No row is ever skipped. Every `purge_interval` it also
    /// deletes the rows published more than `keep_published` ago.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) {
        let first_backoff = self.settings.first_backoff;
        let mut backoff = first_backoff;
        let mut purge =
            PurgeSchedule::new(self.settings.keep_published, self.settings.purge_interval);
        tracing::info!("outbox relay started");
        while !shutdown.is_cancelled() {
            purge.run_if_due(self.outbox.db()).await;
            match self.relay_once().await {
                Ok(n) if n as u64 >= self.settings.batch_size => {
                    backoff = first_backoff;
                    continue;
                }
                Ok(_) => {
                    backoff = first_backoff;
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = self.outbox.woken().notified() => {}
                        () = tokio::time::sleep(self.settings.poll_interval) => {}
                    }
                }
                Err(error) => {
                    tracing::error!(%error, retry_in = ?backoff, "outbox relay round failed");
                    let pause = backoff;
                    backoff = (backoff * 2).min(self.settings.max_backoff);
                    tokio::select! {
                        () = shutdown.cancelled() => break,
                        () = self.outbox.woken().notified() => {}
                        () = reconnected(self.js.client()) => {}
                        () = tokio::time::sleep(pause) => {}
                    }
                }
            }
        }
        tracing::info!("outbox relay stopped");
    }

    /// One round: publishes up to `batch_size` pending rows in id order, stopping at the first
    /// failure, marks the published ones, and returns how many it published.
    #[tracing::instrument(level = "debug", skip_all, fields(published = tracing::field::Empty))]
    pub async fn relay_once(&self) -> Result<usize, RelayError> {
        let rows = Entity::find()
            .filter(Column::PublishedAt.is_null())
            .order_by_asc(Column::Id)
            .limit(self.settings.batch_size)
            .all(self.outbox.db())
            .await?;
        let mut published = Vec::with_capacity(rows.len());
        let mut failure = None;
        for row in rows {
            match self.publish(&row).await {
                Ok(()) => published.push(row.id),
                Err(source) => {
                    record_attempt(self.outbox.db(), row.id).await;
                    failure = Some(RelayError::Publish {
                        id: row.id,
                        subject: row.subject,
                        source,
                    });
                    break;
                }
            }
        }
        if !published.is_empty() {
            Entity::update_many()
                .col_expr(Column::PublishedAt, Expr::value(Utc::now()))
                .filter(Column::Id.is_in(published.iter().copied()))
                .filter(Column::PublishedAt.is_null())
                .exec(self.outbox.db())
                .await?;
        }
        tracing::Span::current().record("published", published.len());
        match failure {
            Some(err) => Err(err),
            None => Ok(published.len()),
        }
    }

    /// Publishes one row in an `outbox.publish` span that continues the trace the row was
    /// enqueued in (the webhook or call that caused it); consumers continue from this span.
    async fn publish(&self, row: &Model) -> Result<(), PublishError> {
        let mut headers = headers_of(row);
        let span = tracing::info_span!(
            "outbox.publish",
            otel.kind = "producer",
            subject = %row.subject,
            outbox_id = row.id,
        );
        penny_bus::trace::continue_trace(&span, Some(&headers));
        span.in_scope(|| penny_bus::trace::inject(&mut headers));
        let outcome = publish_durable(
            &self.js,
            &row.subject,
            headers,
            Bytes::from(row.payload.clone()),
            Some(&row.msg_id),
            self.settings.ack_timeout,
        )
        .instrument(span)
        .await?;
        tracing::debug!(
            id = row.id,
            subject = %row.subject,
            msg_id = %row.msg_id,
            stream_seq = outcome.stream_seq,
            duplicate = outcome.duplicate,
            "outbox row published"
        );
        Ok(())
    }
}

/// Resolves when `client` is connected again after a disconnect: it waits for the connection
/// to drop (the failed round may have beaten the client to noticing) and then to come back. When
/// the failure was not NATS's (a missing stream, the database), no drop comes and this never
/// resolves: the pause or a commit ends the wait. Polls the local connection state: no I/O.
async fn reconnected(client: async_nats::Client) {
    use async_nats::connection::State;
    const EVERY: Duration = Duration::from_millis(50);
    while client.connection_state() == State::Connected {
        tokio::time::sleep(EVERY).await;
    }
    while client.connection_state() != State::Connected {
        tokio::time::sleep(EVERY).await;
    }
    tracing::info!("NATS is back; relaying at once");
}

fn headers_of(row: &Model) -> HeaderMap {
    let mut headers = HeaderMap::new();
    match serde_json::from_str::<BTreeMap<String, String>>(&row.headers) {
        Ok(map) => {
            for (name, value) in &map {
                headers.insert(name.as_str(), value.as_str());
            }
        }
        Err(error) => {
            tracing::warn!(id = row.id, %error, "outbox row has unreadable headers; sending none");
        }
    }
    headers
}

async fn record_attempt(db: &DatabaseConnection, id: i64) {
    let result = Entity::update_many()
        .col_expr(Column::Attempts, Expr::col(Column::Attempts).add(1))
        .filter(Column::Id.eq(id))
        .exec(db)
        .await;
    if let Err(error) = result {
        tracing::warn!(id, %error, "could not count the failed attempt");
    }
}
