//! A resync request: sync again from a cursor `after` below the stored one (`Resync`).
//!
//! It is a sync request like `SyncNow` (it opens or joins a generation, so the sync that serves
//! it starts after it) that also lowers `resync_after` to `after` in the same `UPDATE`. The sync
//! that takes the generation takes `resync_after` too ([`take_replay`]: merged into `replay_at`,
//! the lower of the two, and cleared) and pages from `replay_at` instead of the cursor. Each
//! replayed page advances `replay_at` in its fenced transaction ([`crate::store::page`]), so a
//! failed or fenced resync resumes where it stopped; the page that reaches the cursor (or the
//! last page) clears it. `after` above the cursor is refused: a sync never skips events.

use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;
use sea_orm::sea_query::{CaseStatement, Expr, ExprTrait as _, SimpleExpr};

use super::{C, RequestKind, Requested, apply_request, lock, request_update};
use crate::domain::Feed;
use crate::store::{from_db, to_db};

/// How a resync request ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resync {
    /// Recorded: the sync serving `requested.generation` re-reads every event after `after`.
    Requested {
        /// The generation, as for `SyncNow`.
        requested: Requested,
        /// The stored cursor when it was recorded.
        cursor: u64,
    },
    /// `after` is above the stored cursor: nothing was recorded.
    BeyondCursor {
        /// The stored cursor.
        cursor: u64,
    },
}

/// Records a request to sync every event after `after` again (see the module docs). At the
/// cursor it is a plain request; below it, `resync_after` drops to `after` unless a lower resync
/// already waits.
pub async fn request(
    db: &DatabaseConnection,
    feed: Feed,
    after: u64,
    now: DateTime<Utc>,
) -> anyhow::Result<Resync> {
    let txn = penny_store::begin_write(db).await?;
    let before = lock(&txn, feed).await?;
    let cursor = from_db(before.cursor);
    if after > cursor {
        txn.rollback().await.ok();
        return Ok(Resync::BeyondCursor { cursor });
    }
    let mut update = request_update(RequestKind::Resync, now)?;
    if after < cursor {
        let after = to_db(after)?;
        update = update.col_expr(
            C::ResyncAfter,
            CaseStatement::new()
                .case(
                    Expr::col(C::ResyncAfter)
                        .is_null()
                        .or(Expr::col(C::ResyncAfter).gt(after)),
                    Expr::val(after),
                )
                .finally(Expr::col(C::ResyncAfter))
                .into(),
        );
    }
    let row = apply_request(&txn, feed, update).await?;
    txn.commit().await?;
    Ok(Resync::Requested {
        requested: Requested {
            generation: from_db(row.requested),
            new_request: row.requested > before.requested,
        },
        cursor,
    })
}

/// `replay_at` for the sync starting now: the lower of a resync waiting (`resync_after`) and one
/// interrupted (`replay_at`), when it is below the cursor.
pub(super) fn take_replay() -> SimpleExpr {
    let waiting = Expr::col(C::ResyncAfter);
    let running = Expr::col(C::ReplayAt);
    CaseStatement::new()
        .case(
            waiting
                .clone()
                .is_null()
                .or(waiting.clone().gte(Expr::col(C::Cursor))),
            running.clone(),
        )
        .case(
            running.clone().is_null().or(waiting.clone().lt(running)),
            waiting,
        )
        .finally(Expr::col(C::ReplayAt))
        .into()
}
