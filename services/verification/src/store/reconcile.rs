//! The reconciliation sweep's queries: the accounts due for a check, claiming one for a while
//! (so that replicas never ask Plaid about the same account at once), and scheduling the next
//! check.
//!
//! A claim is a compare-and-set on `reconcile_checks`, an integer (timestamps do not compare
//! reliably across databases: PostgreSQL keeps microseconds, chrono nanoseconds). It moves
//! `reconcile_at` to the end of the claim: a replica that dies mid-check leaves the account due
//! again then, not lost.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::entities::account;
use crate::domain::Verification;

/// An account due for a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    /// The account.
    pub account_id: String,
    /// Checks made so far (the claim's expected value).
    pub checks: i32,
    /// When it was linked (the schedule counts from it).
    pub linked_at: DateTime<Utc>,
}

/// Up to `limit` accounts whose check is due at `now`, most overdue first.
pub async fn due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> anyhow::Result<Vec<Due>> {
    let rows: Vec<(String, i32, DateTime<Utc>)> = account::Entity::find()
        .select_only()
        .column(account::Column::AccountId)
        .column(account::Column::ReconcileChecks)
        .column(account::Column::LinkedAt)
        .filter(account::Column::ReconcileAt.lte(now))
        .order_by_asc(account::Column::ReconcileAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
        .context("reading the accounts due for reconciliation")?;
    Ok(rows
        .into_iter()
        .map(|(account_id, checks, linked_at)| Due {
            account_id,
            checks,
            linked_at,
        })
        .collect())
}

/// Claims `due` until `until` if no one else has since it was read; counts the check.
pub async fn claim(
    db: &impl ConnectionTrait,
    due: &Due,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let result = account::Entity::update_many()
        .col_expr(account::Column::ReconcileAt, Expr::value(until))
        .col_expr(
            account::Column::ReconcileChecks,
            Expr::value(due.checks + 1),
        )
        .filter(account::Column::AccountId.eq(due.account_id.as_str()))
        .filter(account::Column::ReconcileChecks.eq(due.checks))
        .filter(account::Column::ReconcileAt.lte(now))
        .exec(db)
        .await
        .context("claiming an account for reconciliation")?;
    Ok(result.rows_affected == 1)
}

/// Sets the next check of a claimed account (`None`: no more checks), unless another replica
/// has claimed it since (its claim wins).
pub async fn schedule(
    db: &impl ConnectionTrait,
    claimed: &Due,
    next: Option<DateTime<Utc>>,
) -> anyhow::Result<bool> {
    let result = account::Entity::update_many()
        .col_expr(account::Column::ReconcileAt, Expr::value(next))
        .filter(account::Column::AccountId.eq(claimed.account_id.as_str()))
        .filter(account::Column::ReconcileChecks.eq(claimed.checks + 1))
        .exec(db)
        .await
        .context("scheduling an account's next reconciliation")?;
    Ok(result.rows_affected == 1)
}

/// Makes every pending account due at `now` (`reconcile-now`); returns how many.
pub async fn make_pending_due(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let result = account::Entity::update_many()
        .col_expr(account::Column::ReconcileAt, Expr::value(now))
        .filter(account::Column::Verification.eq(Verification::Pending.as_str()))
        .exec(db)
        .await
        .context("making the pending accounts due for reconciliation")?;
    Ok(result.rows_affected)
}

/// How many accounts are due for a check at `now` (a gauge).
pub async fn count_due(db: &impl ConnectionTrait, now: DateTime<Utc>) -> anyhow::Result<u64> {
    use sea_orm::PaginatorTrait as _;
    account::Entity::find()
        .filter(account::Column::ReconcileAt.lte(now))
        .count(db)
        .await
        .context("counting the accounts due for reconciliation")
}
