//! One page's commit: the heart of the sync. In **one transaction**:
//!
//! 1. the fenced compare-and-set on `sync_feed`: `cursor := to` only `WHERE fence = token AND
//!    cursor = from` (zero rows: a newer lease holder claimed the feed, or the cursor moved
//!    under us; the transaction rolls back and nothing of the page is kept);
//! 2. the page's events that are not stored yet (`(feed, event_id)` is the primary key), each
//!    with the trace id of the sync that recorded it;
//! 3. their deposits' new states, and one outbox message per announced move;
//! 4. on the last page, the generation the sync took is marked served and its pokes' trace
//!    contexts deleted.
//!
//! So the cursor is always the largest `event_id` stored, never past an event that is not, and
//! a crash anywhere leaves either the whole page or none of it.
//!
//! **Replayed pages** (a resync: `from` below the cursor) compare-and-set `replay_at = from`
//! and `cursor = cursor` instead, advance `replay_at` to `to` (cleared once the page reaches the
//! cursor, or on the last page) and the cursor only to `max(cursor, to)`: the cursor never moves
//! backwards, and events already stored are skipped by step 2 as on any page, so nothing is
//! stored or announced twice. An event missing below the cursor (lost, deleted) is stored and
//! applied like a new one; its deposit ignores it when it has already seen a later event.

use std::collections::HashSet;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait as _};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect, Set};

use super::entities::{ach_event, linked_account, sync_feed, sync_run};
use super::{deposits, feed, to_db};
use crate::domain::{AchEvent, DepositState, Feed};
use crate::events;

/// A fetched page to commit.
#[derive(Clone, Copy, Debug)]
pub struct Page<'a> {
    /// The feed.
    pub feed: Feed,
    /// The lease token of the sync.
    pub token: u64,
    /// Its `sync_runs` row.
    pub run_id: i64,
    /// The cursor the page was fetched after.
    pub from: u64,
    /// The stored cursor as the sync knows it: `from`, or above it on a replayed page.
    pub cursor: u64,
    /// The events, ascending, each `> from`.
    pub events: &'a [AchEvent],
    /// On the last page: the generation to mark served.
    pub finish: Option<u64>,
    /// The trace id of the sync, stored with each new event.
    pub trace_id: Option<&'a str>,
}

/// What a committed page did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Committed {
    /// The stored cursor after the page.
    pub cursor: u64,
    /// Where the next page starts: the cursor, or below it while replaying.
    pub next: u64,
    /// Events newly stored (their Plaid event types).
    pub recorded: Vec<String>,
    /// Of those, events of accounts penny had not linked.
    pub unknown_accounts: usize,
    /// Domain events written to the outbox.
    pub announced: Vec<DepositState>,
}

/// Why a page was not committed.
#[derive(Debug, thiserror::Error)]
pub enum CommitError {
    /// The fence or the cursor refused the write: a newer holder owns the feed (or moved the
    /// cursor). Nothing was stored; stop syncing.
    #[error("the page was refused: a newer lease holder owns the feed")]
    Fenced,
    /// The database failed; nothing was stored.
    #[error("committing a page: {0:#}")]
    Failed(#[from] anyhow::Error),
}

impl From<DbErr> for CommitError {
    fn from(e: DbErr) -> Self {
        Self::Failed(e.into())
    }
}

/// Commits `page` (see the module docs) and wakes nobody: the caller tells the outbox relay.
pub async fn commit(
    db: &DatabaseConnection,
    page: Page<'_>,
    now: DateTime<Utc>,
) -> Result<Committed, CommitError> {
    let Page {
        feed,
        token,
        run_id,
        from,
        cursor,
        events,
        finish,
        trace_id,
    } = page;
    let to = std::cmp::max(
        from,
        events.iter().map(|e| e.event_id).max().unwrap_or(from),
    );
    let advance = Advance {
        from,
        cursor,
        to,
        finish,
    };
    let txn = penny_store::begin_write(db).await?;

    let ids = events
        .iter()
        .map(|e| to_db(e.event_id))
        .collect::<anyhow::Result<Vec<i64>>>()?;
    let stored: HashSet<i64> = ach_event::Entity::find()
        .select_only()
        .column(ach_event::Column::EventId)
        .filter(ach_event::Column::Feed.eq(feed.as_str()))
        .filter(ach_event::Column::EventId.is_in(ids))
        .into_tuple::<i64>()
        .all(&txn)
        .await
        .context("reading stored event ids")?
        .into_iter()
        .collect();
    let fresh: Vec<AchEvent> = events
        .iter()
        .filter(|e| to_db(e.event_id).is_ok_and(|id| !stored.contains(&id)))
        .cloned()
        .collect();
    let accounts: HashSet<&str> = fresh
        .iter()
        .filter_map(|e| e.account_id.as_deref())
        .collect();
    let linked: HashSet<String> = if accounts.is_empty() {
        HashSet::new()
    } else {
        linked_account::Entity::find()
            .select_only()
            .column(linked_account::Column::AccountId)
            .filter(linked_account::Column::AccountId.is_in(accounts.iter().copied()))
            .into_tuple::<String>()
            .all(&txn)
            .await
            .context("reading linked accounts")?
            .into_iter()
            .collect()
    };
    let is_linked = |e: &AchEvent| e.account_id.as_ref().is_some_and(|a| linked.contains(a));
    let unknown = fresh
        .iter()
        .filter(|e| e.account_id.is_some() && !is_linked(e))
        .count();

    if !fence_and_advance(&txn, feed, token, advance, fresh.len(), unknown, now).await? {
        txn.rollback().await.ok();
        return Err(CommitError::Fenced);
    }
    if !fresh.is_empty() {
        let rows = fresh
            .iter()
            .map(|e| row(e, is_linked(e), token, trace_id, now))
            .collect::<anyhow::Result<Vec<_>>>()?;
        ach_event::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await
            .context("storing events")?;
    }
    let announcements = deposits::apply(&txn, feed, &fresh, now).await?;
    let messages = announcements
        .iter()
        .map(|a| {
            let event = &fresh[a.index];
            let body = events::deposit_event(event, a.state, &a.deposit, is_linked(event));
            events::message(a.state, &body)
        })
        .collect();
    penny_store::outbox::enqueue_many(&txn, messages)
        .await
        .context("writing domain events to the outbox")?;
    if let Some(generation) = finish {
        feed::traces::forget(&txn, feed, to_db(generation)?).await?;
    }
    close_run(
        &txn,
        run_id,
        advance.cursor_after(),
        fresh.len(),
        finish.is_some(),
        now,
    )
    .await?;
    txn.commit().await.context("committing the page")?;
    Ok(Committed {
        cursor: advance.cursor_after(),
        next: to,
        recorded: fresh.iter().map(|e| e.plaid_event_type.clone()).collect(),
        unknown_accounts: unknown,
        announced: announcements.iter().map(|a| a.state).collect(),
    })
}

/// Where a page moves the feed.
#[derive(Clone, Copy, Debug)]
struct Advance {
    from: u64,
    cursor: u64,
    to: u64,
    finish: Option<u64>,
}

impl Advance {
    /// A replayed page: fetched below the cursor.
    fn replay(self) -> bool {
        self.from < self.cursor
    }

    /// The cursor after the page: never backwards.
    fn cursor_after(self) -> u64 {
        std::cmp::max(self.cursor, self.to)
    }

    /// `replay_at` after a replayed page: cleared once it reaches the cursor or ends the sync.
    fn replay_after(self) -> Option<u64> {
        (self.to < self.cursor && self.finish.is_none()).then_some(self.to)
    }
}

/// The fenced compare-and-set on the feed row (and its counters); false when refused.
async fn fence_and_advance(
    txn: &sea_orm::DatabaseTransaction,
    feed: Feed,
    token: u64,
    advance: Advance,
    recorded: usize,
    unknown: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    use sync_feed::Column as C;
    let finish = advance.finish;
    let mut update = sync_feed::Entity::update_many()
        .col_expr(C::Cursor, Expr::val(to_db(advance.cursor_after())?))
        .col_expr(C::PagesFetched, Expr::col(C::PagesFetched).add(1))
        .col_expr(
            C::EventsRecorded,
            Expr::col(C::EventsRecorded).add(to_db(recorded as u64)?),
        )
        .col_expr(
            C::UnknownAccountEvents,
            Expr::col(C::UnknownAccountEvents).add(to_db(unknown as u64)?),
        );
    if let Some(generation) = finish {
        let generation = to_db(generation)?;
        update = update
            .col_expr(C::Served, Expr::val(generation))
            .col_expr(C::SyncsRun, Expr::col(C::SyncsRun).add(1))
            .col_expr(C::LastSyncFinishedAt, Expr::val(Some(now)))
            .col_expr(C::LastError, Expr::val(Option::<String>::None))
            .col_expr(
                C::PendingSince,
                CaseStatement::new()
                    .case(
                        Expr::col(C::Requested).eq(generation),
                        Expr::val(Option::<DateTime<Utc>>::None),
                    )
                    .finally(Expr::col(C::BumpedAt))
                    .into(),
            );
    }
    update = update
        .filter(C::Feed.eq(feed.as_str()))
        .filter(C::Fence.eq(to_db(token)?));
    update = if advance.replay() {
        let replay_after = advance.replay_after().map(to_db).transpose()?;
        update
            .col_expr(C::ReplayAt, Expr::val(replay_after))
            .filter(C::Cursor.eq(to_db(advance.cursor)?))
            .filter(C::ReplayAt.eq(to_db(advance.from)?))
    } else {
        update.filter(C::Cursor.eq(to_db(advance.from)?))
    };
    let updated = update.exec(txn).await.context("advancing the cursor")?;
    Ok(updated.rows_affected == 1)
}

/// The sync's audit row after this page.
async fn close_run(
    txn: &sea_orm::DatabaseTransaction,
    run_id: i64,
    to: u64,
    recorded: usize,
    last: bool,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    use sync_run::Column as R;
    let mut update = sync_run::Entity::update_many()
        .col_expr(R::ToCursor, Expr::val(to_db(to)?))
        .col_expr(R::Pages, Expr::col(R::Pages).add(1))
        .col_expr(R::Events, Expr::col(R::Events).add(to_db(recorded as u64)?));
    if last {
        update = update
            .col_expr(R::Outcome, Expr::val("completed"))
            .col_expr(R::FinishedAt, Expr::val(Some(now)));
    }
    update
        .filter(R::Id.eq(run_id))
        .exec(txn)
        .await
        .context("updating the sync_runs row")?;
    Ok(())
}

fn row(
    e: &AchEvent,
    linked: bool,
    token: u64,
    trace_id: Option<&str>,
    now: DateTime<Utc>,
) -> anyhow::Result<ach_event::ActiveModel> {
    Ok(ach_event::ActiveModel {
        feed: Set(e.feed.as_str().to_owned()),
        event_id: Set(to_db(e.event_id)?),
        occurred_at: Set(e.occurred_at),
        recorded_at: Set(now),
        plaid_event_type: Set(e.plaid_event_type.clone()),
        stage: Set(e.stage.map(|s| s.as_str().to_owned())),
        account_id: Set(e.account_id.clone()),
        transfer_id: Set(e.transfer_id.clone()),
        direction: Set(e.direction.map(|d| d.as_str().to_owned())),
        amount: Set(e.amount.clone()),
        currency: Set(e.currency.clone()),
        ach_return_code: Set(e.ach_return_code.clone()),
        failure_description: Set(e.failure_description.clone()),
        linked_at_record: Set(linked),
        account_linked: Set(linked),
        sync_token: Set(to_db(token)?),
        trace_id: Set(trace_id.map(str::to_owned)),
    })
}
