//! The `sync_feed` row of a feed: sync requests, the fence and the start, failure and audit of
//! a sync. Each operation is one conditional `UPDATE`, so PostgreSQL's row lock and SQLite's
//! single writer order them; none reads a value and writes it back from the client.
//!
//! - [`traces`]: the trace contexts of the pokes recorded into a generation (span links).
//! - [`resync`]: a request to sync again from a cursor below the stored one.

pub mod resync;
pub mod traces;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait as _};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, QueryFilter, QuerySelect as _, Set, TransactionTrait as _,
};

use super::entities::{sync_feed, sync_run};
use super::{from_db, to_db};
use crate::domain::Feed;
use traces::PokeTraces;

use sync_feed::Column as C;

/// What asked for a sync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestKind {
    /// This many pokes (a batch of webhooks).
    Pokes(u64),
    /// The periodic sweep.
    Sweep,
    /// `SyncNow`.
    Manual,
    /// `Resync` (see [`resync`]).
    Resync,
}

/// A durable sync request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Requested {
    /// The generation a sync will serve: the first sync to *start* after this request takes a
    /// generation at least this large.
    pub generation: u64,
    /// False when the request joined one already pending (coalesced).
    pub new_request: bool,
}

/// A started sync: what it serves and where it pages from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Taken {
    /// The generation taken (served on completion).
    pub generation: u64,
    /// The stored cursor when it started.
    pub cursor: u64,
    /// Where to page from: the cursor, or below it when a resync is to be replayed.
    pub from: u64,
    /// Its `sync_runs` row.
    pub run_id: i64,
    /// The trace contexts of the pokes it serves.
    pub pokes: PokeTraces,
}

/// How an attempt to start a sync ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Start {
    /// Started.
    Started(Taken),
    /// Nothing to do: every request is served.
    NothingPending,
    /// A newer lease holder claimed the feed: stop.
    Fenced,
}

/// Creates the feed's row if it does not exist.
pub async fn ensure(db: &impl ConnectionTrait, feed: Feed) -> anyhow::Result<()> {
    let row = sync_feed::ActiveModel {
        feed: Set(feed.as_str().to_owned()),
        ..Default::default()
    };
    sync_feed::Entity::insert(row)
        .on_conflict_do_nothing_on([C::Feed])
        .exec(db)
        .await
        .context("creating the sync_feed row")?;
    Ok(())
}

/// The feed's row.
pub async fn read(db: &impl ConnectionTrait, feed: Feed) -> anyhow::Result<sync_feed::Model> {
    sync_feed::Entity::find_by_id(feed.as_str().to_owned())
        .one(db)
        .await
        .context("reading the sync_feed row")?
        .context("the sync_feed row is missing (not migrated?)")
}

/// Whether a request is waiting for a sync.
pub async fn pending(db: &impl ConnectionTrait, feed: Feed) -> anyhow::Result<bool> {
    let row = read(db, feed).await?;
    Ok(row.served < row.requested)
}

/// Records a request for a sync, durably. A new generation is created only when none is
/// waiting to be taken (`requested = taken`); otherwise the request joins the waiting one, which
/// no sync has started on yet, so it is served by a sync that starts after it.
pub async fn request(
    db: &DatabaseConnection,
    feed: Feed,
    kind: RequestKind,
    now: DateTime<Utc>,
) -> anyhow::Result<Requested> {
    request_traced(db, feed, kind, &[], now).await
}

/// [`request`], keeping the pokes' trace contexts (`traceparent`s) with the generation they
/// joined ([`traces::record`]), in the same transaction.
pub async fn request_traced(
    db: &DatabaseConnection,
    feed: Feed,
    kind: RequestKind,
    traceparents: &[String],
    now: DateTime<Utc>,
) -> anyhow::Result<Requested> {
    let txn = penny_store::begin_write(db).await?;
    let before = lock(&txn, feed).await?;
    let after = apply_request(&txn, feed, request_update(kind, now)?).await?;
    traces::record(&txn, feed, after.requested, traceparents).await?;
    txn.commit().await.context("committing a sync request")?;
    Ok(Requested {
        generation: from_db(after.requested),
        new_request: after.requested > before.requested,
    })
}

/// The `UPDATE` recording a request of `kind`: opens generation `requested + 1` when none waits
/// to be taken, else joins the waiting one; counts pokes.
fn request_update(
    kind: RequestKind,
    now: DateTime<Utc>,
) -> anyhow::Result<sea_orm::UpdateMany<sync_feed::Entity>> {
    let idle = Expr::col(C::Requested).eq(Expr::col(C::Taken));
    let nothing_unserved = Expr::col(C::Requested).eq(Expr::col(C::Served));
    let mut update = sync_feed::Entity::update_many()
        .col_expr(
            C::Requested,
            CaseStatement::new()
                .case(idle.clone(), Expr::col(C::Requested).add(1))
                .finally(Expr::col(C::Requested))
                .into(),
        )
        .col_expr(
            C::BumpedAt,
            CaseStatement::new()
                .case(idle.clone(), Expr::val(now))
                .finally(Expr::col(C::BumpedAt))
                .into(),
        )
        .col_expr(
            C::PendingSince,
            CaseStatement::new()
                .case(nothing_unserved, Expr::val(now))
                .finally(Expr::col(C::PendingSince))
                .into(),
        );
    if let RequestKind::Pokes(n) = kind {
        let n = to_db(n)?;
        update = update
            .col_expr(C::PokesReceived, Expr::col(C::PokesReceived).add(n))
            .col_expr(
                C::PokesCoalesced,
                Expr::col(C::PokesCoalesced).add(
                    CaseStatement::new()
                        .case(idle, Expr::val(n - 1))
                        .finally(Expr::val(n)),
                ),
            )
            .col_expr(C::LastPokeAt, Expr::val(Some(now)));
    }
    Ok(update)
}

/// The feed's row, locked for the rest of `txn` (FOR UPDATE on PostgreSQL; SQLite's BEGIN
/// IMMEDIATE already excludes writers), so it is the row a following update changes.
async fn lock(txn: &DatabaseTransaction, feed: Feed) -> anyhow::Result<sync_feed::Model> {
    sync_feed::Entity::find_by_id(feed.as_str().to_owned())
        .lock_exclusive()
        .one(txn)
        .await
        .context("locking the sync_feed row")?
        .context("the sync_feed row is missing (not migrated?)")
}

/// Runs a request's `update` on the feed's row and reads the row back.
async fn apply_request(
    txn: &DatabaseTransaction,
    feed: Feed,
    update: sea_orm::UpdateMany<sync_feed::Entity>,
) -> anyhow::Result<sync_feed::Model> {
    let updated = update
        .filter(C::Feed.eq(feed.as_str()))
        .exec(txn)
        .await
        .context("recording a sync request")?;
    anyhow::ensure!(updated.rows_affected == 1, "the sync_feed row is missing");
    read(txn, feed).await
}

/// Claims the feed for lease `token`: the fence rises to it, so from now on any write with an
/// older token is refused. False when a newer token already holds it.
pub async fn claim(db: &impl ConnectionTrait, feed: Feed, token: u64) -> anyhow::Result<bool> {
    let token = to_db(token)?;
    let updated = sync_feed::Entity::update_many()
        .col_expr(C::Fence, Expr::val(token))
        .filter(C::Feed.eq(feed.as_str()))
        .filter(C::Fence.lte(token))
        .exec(db)
        .await
        .context("claiming the fence")?;
    Ok(updated.rows_affected == 1)
}

/// Starts a sync under `token` if a request waits: takes the newest generation (every request
/// made so far is served by this sync) and a waiting resync (merged into `replay_at`, see
/// [`resync`]), reads the trace contexts of the pokes it serves, and opens its `sync_runs` row,
/// in one transaction.
pub async fn start(
    db: &DatabaseConnection,
    feed: Feed,
    token: u64,
    holder: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Start> {
    let fence = to_db(token)?;
    let txn = penny_store::begin_write(db).await?;
    let taken = sync_feed::Entity::update_many()
        .col_expr(C::Taken, Expr::col(C::Requested))
        .col_expr(C::LastSyncStartedAt, Expr::val(Some(now)))
        .col_expr(C::ReplayAt, resync::take_replay())
        .col_expr(C::ResyncAfter, Expr::val(Option::<i64>::None))
        .filter(C::Feed.eq(feed.as_str()))
        .filter(C::Fence.eq(fence))
        .filter(Expr::col(C::Served).lt(Expr::col(C::Requested)))
        .exec(&txn)
        .await
        .context("starting a sync")?;
    let row = read(&txn, feed).await?;
    if taken.rows_affected == 0 {
        txn.rollback().await.ok();
        return Ok(if row.fence != fence {
            Start::Fenced
        } else {
            Start::NothingPending
        });
    }
    let from = row
        .replay_at
        .filter(|r| *r < row.cursor)
        .unwrap_or(row.cursor);
    let pokes = traces::of(&txn, feed, row.served, row.taken).await?;
    let run = sync_run::ActiveModel {
        feed: Set(feed.as_str().to_owned()),
        token: Set(fence),
        holder: Set(holder.to_owned()),
        generation: Set(row.taken),
        started_at: Set(now),
        finished_at: Set(None),
        from_cursor: Set(from),
        to_cursor: Set(row.cursor),
        pages: Set(0),
        events: Set(0),
        outcome: Set("running".to_owned()),
        error: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await
    .context("opening the sync_runs row")?;
    txn.commit()
        .await
        .context("committing the start of a sync")?;
    Ok(Start::Started(Taken {
        generation: from_db(row.taken),
        cursor: from_db(row.cursor),
        from: from_db(from),
        run_id: run.id,
        pokes,
    }))
}

/// Records a failed sync (the requests stay pending, so a later sync serves them). Fenced like
/// every write: a stale holder's failure is not recorded.
pub async fn fail(
    db: &DatabaseConnection,
    feed: Feed,
    token: u64,
    run_id: Option<i64>,
    error: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let fence = to_db(token)?;
    let error = penny_bus::header_safe(error, 1000);
    let txn = db.begin().await?;
    let updated = sync_feed::Entity::update_many()
        .col_expr(C::SyncFailures, Expr::col(C::SyncFailures).add(1))
        .col_expr(C::LastError, Expr::val(Some(error.clone())))
        .filter(C::Feed.eq(feed.as_str()))
        .filter(C::Fence.eq(fence))
        .exec(&txn)
        .await
        .context("recording a failed sync")?;
    if updated.rows_affected == 1
        && let Some(id) = run_id
    {
        sync_run::Entity::update_many()
            .col_expr(sync_run::Column::Outcome, Expr::val("failed"))
            .col_expr(sync_run::Column::Error, Expr::val(Some(error)))
            .col_expr(sync_run::Column::FinishedAt, Expr::val(Some(now)))
            .filter(sync_run::Column::Id.eq(id))
            .exec(&txn)
            .await
            .context("closing the sync_runs row")?;
    }
    txn.commit().await?;
    Ok(())
}

/// Sets the fence back to 0, for when the lease bucket was deleted (its tokens restart at 1 and
/// the database would refuse every new holder). Run only with every replica stopped.
pub async fn reset_fence(db: &impl ConnectionTrait, feed: Feed) -> anyhow::Result<u64> {
    let row = read(db, feed).await?;
    sync_feed::Entity::update_many()
        .col_expr(C::Fence, Expr::val(0i64))
        .filter(C::Feed.eq(feed.as_str()))
        .exec(db)
        .await
        .context("resetting the fence")?;
    Ok(from_db(row.fence))
}
