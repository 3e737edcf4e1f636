//! One sync: page from the cursor (or from below it, replaying a resync) until the last page,
//! committing each page (events, deposits, outbox, cursor) in one fenced transaction, and
//! marking the sync's generation served with the last one. Pages committed before a failure
//! stay: the next sync resumes at the cursor (or where the replay stopped).
//!
//! **Tracing.** Each sync is a root span, `transfer_events.sync`: it serves many pokes, so it
//! has no single parent but an OpenTelemetry *link* to each poke's span (the `consume` span of
//! its delivery, kept with the generation: [`crate::store::feed::traces`]); `pokes_unlinked`
//! counts those beyond the bound. Its trace id is stored with every event it records, and the
//! outbox rows of its deposit events are written inside it, so their `outbox.publish` (and the
//! notifier's consume after it) continue the sync's trace.

use penny_plaid::PlaidError;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use super::{Syncer, source};
use crate::crash::{self, CrashPoint};
use crate::metrics::SyncOutcome;
use crate::store::feed::{self, Taken};
use crate::store::page::{self, CommitError, Page};

/// Why a sync stopped before its last page.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// Plaid still failed after the client's retries.
    #[error("Plaid: {0}")]
    Plaid(#[from] PlaidError),
    /// A newer lease holder owns the feed: stop without retrying.
    #[error("a newer lease holder owns the feed")]
    Fenced,
    /// The lease was lost or the service is stopping.
    #[error("cancelled (lease lost or shutting down)")]
    Cancelled,
    /// The database or NATS failed.
    #[error("{0:#}")]
    Internal(#[from] anyhow::Error),
}

impl From<CommitError> for SyncError {
    fn from(e: CommitError) -> Self {
        match e {
            CommitError::Fenced => SyncError::Fenced,
            CommitError::Failed(e) => SyncError::Internal(e),
        }
    }
}

impl Syncer {
    /// Runs the sync that `taken` started under lease `token`.
    pub(super) async fn sync_once(
        &self,
        token: u64,
        taken: Taken,
        cancel: &CancellationToken,
    ) -> Result<(), SyncError> {
        let inner = &self.inner;
        let started = Instant::now();
        let run_id = taken.run_id;
        let span = tracing::info_span!(
            parent: None,
            "transfer_events.sync",
            feed = %inner.feed,
            token,
            generation = taken.generation,
            from = taken.from,
            cursor = taken.cursor,
            replay = taken.from < taken.cursor,
            pokes_linked = taken.pokes.traceparents.len(),
            pokes_unlinked = taken.pokes.dropped,
            to = tracing::field::Empty,
            pages = tracing::field::Empty,
            events = tracing::field::Empty,
        );
        for traceparent in &taken.pokes.traceparents {
            link(&span, traceparent);
        }
        let result = self
            .pages(token, &taken, cancel, &span)
            .instrument(span.clone())
            .await;
        let seconds = started.elapsed().as_secs_f64();
        let outcome = match &result {
            Ok(()) => SyncOutcome::Completed,
            Err(SyncError::Fenced) => SyncOutcome::Fenced,
            Err(SyncError::Cancelled) => SyncOutcome::Cancelled,
            Err(_) => SyncOutcome::Failed,
        };
        inner.metrics.sync(outcome, seconds);
        match &result {
            Ok(()) => tracing::info!(parent: &span, seconds, "sync completed"),
            Err(SyncError::Fenced) => {
                tracing::warn!(parent: &span, "sync stopped: a newer lease holder owns the feed");
            }
            Err(error) => {
                let now = crate::store::now();
                let message = error.to_string();
                if let Err(e) =
                    feed::fail(&inner.db, inner.feed, token, Some(run_id), &message, now).await
                {
                    tracing::warn!(parent: &span, error = %format!("{e:#}"), "could not record the failed sync");
                }
            }
        }
        result
    }

    async fn pages(
        &self,
        token: u64,
        taken: &Taken,
        cancel: &CancellationToken,
        span: &tracing::Span,
    ) -> Result<(), SyncError> {
        let inner = &self.inner;
        let trace_id = span.in_scope(penny_telemetry::current_trace_id);
        let (mut from, mut cursor) = (taken.from, taken.cursor);
        let (mut pages, mut events) = (0u64, 0usize);
        loop {
            let fetch_started = Instant::now();
            let fetched = tokio::select! {
                biased;
                () = cancel.cancelled() => return Err(SyncError::Cancelled),
                fetched = source::fetch(&inner.plaid, inner.feed, from, inner.settings.page_size) => fetched?,
            };
            inner.metrics.page();
            let commit_started = Instant::now();
            let committed = page::commit(
                &inner.db,
                Page {
                    feed: inner.feed,
                    token,
                    run_id: taken.run_id,
                    from,
                    cursor,
                    events: &fetched.events,
                    finish: fetched.last.then_some(taken.generation),
                    trace_id: trace_id.as_deref(),
                },
                crate::store::now(),
            )
            .await?;
            tracing::debug!(
                from,
                events = fetched.events.len(),
                fetch_ms = (commit_started - fetch_started).as_secs_f64() * 1e3,
                commit_ms = commit_started.elapsed().as_secs_f64() * 1e3,
                "page committed"
            );
            inner.outbox.committed();
            inner.metrics.recorded(
                committed.recorded.iter().map(String::as_str),
                committed.unknown_accounts,
            );
            inner.metrics.announced(&committed.announced);
            pages += 1;
            events += committed.recorded.len();
            (from, cursor) = (committed.next, committed.cursor);
            span.record("to", cursor);
            span.record("pages", pages);
            span.record("events", events);
            if fetched.last {
                crash::maybe_crash(inner.settings.crash_at, CrashPoint::AfterSyncCommit);
                return Ok(());
            }
            crash::maybe_crash(inner.settings.crash_at, CrashPoint::AfterPageCommit);
        }
    }
}

/// Links `span` to the poke span whose context `traceparent` carries (ignored when malformed).
fn link(span: &tracing::Span, traceparent: &str) {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(penny_bus::HDR_TRACEPARENT, traceparent);
    penny_telemetry::add_remote_link(span, &penny_telemetry::extract_nats(Some(&headers)));
}
