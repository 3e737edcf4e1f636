//! The sync: one at a time across every replica, no poke lost, every event stored once.
//!
//! # Protocol
//!
//! **Requests are durable generations.** A poke (or a batch of them, the sweep, `SyncNow`)
//! becomes one conditional `UPDATE` of the feed's row ([`crate::store::feed::request`]): when
//! no request is waiting to be taken (`requested = taken`) it opens generation `requested + 1`,
//! otherwise it joins the waiting one. The poke is acked only after that commit. A sync takes
//! the newest generation *when it starts* (`taken := requested`, before its first Plaid call)
//! and, when it has paged to the end, marks it served in the transaction of its last page. So:
//!
//! - a poke is served only by a sync that started after it: the waiting generation it joined
//!   is taken by a later start, never by the sync already paging;
//! - pokes that arrive during a sync open exactly one new generation, hence one more sync:
//!   1,000 pokes make a handful of syncs;
//! - the request survives every crash (it is in the database before the ack), and every
//!   replica looks for unserved requests at start and every `check_interval`, so some replica
//!   serves it. "Acked only once a sync that starts after its arrival is guaranteed to run."
//!
//! **Single flight: a `kv::Lease` with its fencing token; the database is the fence.** A
//! replica that sees an unserved request tries the lease ([`penny_bus::kv::LeaseBucket`]); the
//! winner claims the feed (`fence := token` where `fence <= token`, so every older holder is
//! locked out from then on), then runs syncs while requests wait, renewing the lease. Every
//! page commits in **one transaction** ([`crate::store::page::commit`]): the page's new events
//! (`(feed, event_id)` is unique), their deposits, the outbox rows of the domain events, and the
//! cursor by compare-and-set `WHERE fence = token AND cursor = from`. If the CAS finds no row
//! (a newer holder claimed the feed while this one was paused, or the cursor moved), the whole
//! page rolls back. The cursor is therefore always the largest `event_id` stored, and a crash
//! at any instant leaves a page entirely stored or not at all.
//!
//! **Why this mechanism.** A lease limits concurrency but cannot stop a paused ex-holder from
//! writing later; a database compare-and-set can. JetStream's pinned-client priority groups
//! (nats-server 2.11) would also give single flight, but they pin *message delivery*, and here
//! the unit of work is the sync, not the poke: coalescing needs the durable generation anyway,
//! and the pin's failover (`priority_timeout`, 2 min by default) is slower than a 10 s lease.
//! A database row lock alone would hold a transaction open across Plaid calls (minutes in a
//! 429 storm) and cannot be held across pages on SQLite. So: a lease with a short TTL for
//! liveness, the database for safety. The protocol, with crashes at every step and lease
//! expiry, is model-checked by `spin` in `services/transfer-events/model/`.
//!
//! **Resync from an earlier cursor** (`Resync`, [`crate::store::feed::resync`]). An operator
//! can have the feed re-read from `after_id` below the cursor, e.g. to restore an event lost
//! from the ledger. It is not a second protocol: the request opens or joins a generation like
//! `SyncNow` (so it is served by a sync that starts after it), and the sync that takes the
//! generation pages from `after_id` instead of the cursor, under the same lease and fence, each
//! page in one transaction. A replayed page stores only events not stored yet (the `(feed,
//! event_id)` key, as on every page), so re-read events are neither stored nor announced again,
//! and existing deposits and outbox rows are untouched; a missing event is stored and applied
//! (its deposit ignores it if it already saw a later event). The replay position is a separate
//! column (`replay_at`), compare-and-set like the cursor, so **the cursor never moves
//! backwards**: a replayed page moves it only to `max(cursor, to)`. Normal syncs and pokes
//! therefore see the cursor exactly as the model does; the replay only adds pages below it,
//! each fenced, whose events are either stored already or missing (never past the cursor). A
//! replay interrupted by a failure or a newer holder resumes from `replay_at`; the page that
//! reaches the cursor clears it and the sync goes on as a normal one. `after_id` above the
//! cursor is refused (`INVALID_ARGUMENT`): a sync never skips events.
//!
//! **Failures.** Plaid 429/5xx/timeouts are retried by the shared client (backoff with
//! jitter); when they persist the sync fails, is recorded (`sync_failures`, `last_error`), the
//! lease is released (never held through a storm), and the replica backs off (jittered,
//! doubling to `retry_cap`) before trying again. The request stays pending meanwhile. Pages
//! committed before the failure stay committed: the next sync resumes at the cursor.
//!
//! - [`Syncer`]: requests and the state, shared by the consumer, the sweep and the API.
//! - [`driver`]: each replica's loop (wait, look, take the lease, sync while requests wait).
//! - [`once`]: one sync, page by page. [`source`]: one page from Plaid. [`sweep`]: the timer.

pub mod driver;
pub mod once;
pub mod source;
pub mod sweep;

use std::sync::Arc;
use std::time::Duration;

use penny_bus::kv::LeaseBucket;
use penny_plaid::PlaidClient;
use penny_store::Outbox;
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::crash::CrashPoint;
use crate::domain::Feed;
use crate::metrics::SyncMetrics;
use crate::store::entities::sync_feed;
use crate::store::feed::resync::Resync;
use crate::store::feed::{self, RequestKind, Requested};

/// How syncs run.
#[derive(Clone, Debug)]
pub struct SyncSettings {
    /// Events per page (`count`).
    pub page_size: u32,
    /// How often to look for unserved requests without a wake-up.
    pub check_every: Duration,
    /// First pause after a failed sync.
    pub retry_base: Duration,
    /// Longest pause after failed syncs.
    pub retry_cap: Duration,
    /// This replica's name in the lease.
    pub holder: String,
    /// TEST-ONLY fault injection.
    pub crash_at: Option<CrashPoint>,
}

/// The sync of one feed on this replica. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Syncer {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    feed: Feed,
    db: DatabaseConnection,
    outbox: Outbox,
    plaid: PlaidClient,
    leases: LeaseBucket,
    settings: SyncSettings,
    wake: Notify,
    metrics: SyncMetrics,
}

impl Syncer {
    /// A syncer of `feed`.
    pub fn new(
        feed: Feed,
        db: DatabaseConnection,
        outbox: Outbox,
        plaid: PlaidClient,
        leases: LeaseBucket,
        settings: SyncSettings,
        metrics: SyncMetrics,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                feed,
                db,
                outbox,
                plaid,
                leases,
                settings,
                wake: Notify::new(),
                metrics,
            }),
        }
    }

    /// The feed it syncs.
    pub fn feed(&self) -> Feed {
        self.inner.feed
    }

    /// The lease's name: one per feed.
    pub fn lease_name(&self) -> String {
        format!("transfer-events.sync.{}", self.inner.feed)
    }

    /// Records a sync request durably (see the module docs) and wakes this replica's driver.
    pub async fn request(&self, kind: RequestKind) -> anyhow::Result<Requested> {
        self.request_traced(kind, &[]).await
    }

    /// [`Syncer::request`] for pokes whose trace contexts (`traceparent`s) the sync serving
    /// them links to.
    pub async fn request_traced(
        &self,
        kind: RequestKind,
        traceparents: &[String],
    ) -> anyhow::Result<Requested> {
        let requested = feed::request_traced(
            &self.inner.db,
            self.inner.feed,
            kind,
            traceparents,
            crate::store::now(),
        )
        .await?;
        self.requested(kind, requested);
        Ok(requested)
    }

    /// Records a request to sync every event after `after` again (see the module docs).
    pub async fn resync(&self, after: u64) -> anyhow::Result<Resync> {
        let resync =
            feed::resync::request(&self.inner.db, self.inner.feed, after, crate::store::now())
                .await?;
        if let Resync::Requested { requested, .. } = resync {
            self.requested(RequestKind::Resync, requested);
        }
        Ok(resync)
    }

    /// Counts a recorded request and wakes this replica's driver.
    fn requested(&self, kind: RequestKind, requested: Requested) {
        let m = &self.inner.metrics;
        match kind {
            RequestKind::Pokes(n) => {
                m.pokes(n, n - u64::from(requested.new_request));
                m.request("poke");
            }
            RequestKind::Sweep => m.request("sweep"),
            RequestKind::Manual => m.request("manual"),
            RequestKind::Resync => m.request("resync"),
        }
        self.inner.wake.notify_one();
    }

    /// The feed's sync state.
    pub async fn state(&self) -> anyhow::Result<sync_feed::Model> {
        feed::read(&self.inner.db, self.inner.feed).await
    }
}
