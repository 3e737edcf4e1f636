//! One sync: page from the cursor until the last page, committing each page (events, deposits,
//! outbox, cursor) in one fenced transaction, and marking the sync's generation served with the
//! last one. Pages committed before a failure stay: the next sync resumes at the cursor.

use penny_plaid::PlaidError;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use super::{Syncer, source};
use crate::crash::{self, CrashPoint};
use crate::metrics::SyncOutcome;
use crate::store::feed;
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
    /// Runs the sync that took `generation`, paging from `cursor` under lease `token`.
    pub(super) async fn sync_once(
        &self,
        token: u64,
        generation: u64,
        cursor: u64,
        run_id: i64,
        cancel: &CancellationToken,
    ) -> Result<(), SyncError> {
        let inner = &self.inner;
        let started = Instant::now();
        let span = tracing::info_span!(
            "transfer_events.sync",
            feed = %inner.feed,
            token,
            generation,
            from = cursor,
            to = tracing::field::Empty,
            pages = tracing::field::Empty,
            events = tracing::field::Empty,
        );
        let result = self
            .pages(token, generation, cursor, run_id, cancel, &span)
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
        generation: u64,
        mut cursor: u64,
        run_id: i64,
        cancel: &CancellationToken,
        span: &tracing::Span,
    ) -> Result<(), SyncError> {
        let inner = &self.inner;
        let (mut pages, mut events) = (0u64, 0usize);
        loop {
            let fetch_started = Instant::now();
            let fetched = tokio::select! {
                biased;
                () = cancel.cancelled() => return Err(SyncError::Cancelled),
                fetched = source::fetch(&inner.plaid, inner.feed, cursor, inner.settings.page_size) => fetched?,
            };
            inner.metrics.page();
            let commit_started = Instant::now();
            let committed = page::commit(
                &inner.db,
                Page {
                    feed: inner.feed,
                    token,
                    run_id,
                    from: cursor,
                    events: &fetched.events,
                    finish: fetched.last.then_some(generation),
                },
                crate::store::now(),
            )
            .await?;
            tracing::debug!(
                from = cursor,
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
            cursor = committed.cursor;
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
