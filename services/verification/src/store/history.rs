//! The status history: an append-only record of every applied transition.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QueryOrder, Set};

use super::entities::status_history;
use crate::domain::Status;

/// One transition to record.
#[derive(Clone, Debug)]
pub struct Transition<'a> {
    pub account_id: &'a str,
    pub item_id: &'a str,
    /// Visible status before.
    pub from: Status,
    /// Visible status after.
    pub to: Status,
    /// Cause, e.g. `AUTH/AUTOMATICALLY_VERIFIED`.
    pub cause: &'a str,
    /// Webhook dedupe key, if a webhook caused it.
    pub dedupe_key: Option<&'a str>,
    /// Domain event id, if one was published.
    pub event_id: Option<String>,
}

/// Appends several transitions in one statement.
pub async fn append_many(
    db: &impl ConnectionTrait,
    transitions: &[Transition<'_>],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    if transitions.is_empty() {
        return Ok(());
    }
    let rows = transitions.iter().map(|t| row(t, now));
    status_history::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .context("appending to the status history")?;
    Ok(())
}

fn row(t: &Transition<'_>, now: DateTime<Utc>) -> status_history::ActiveModel {
    status_history::ActiveModel {
        id: NotSet,
        account_id: Set(t.account_id.to_owned()),
        item_id: Set(t.item_id.to_owned()),
        from_status: Set(t.from.as_str().to_owned()),
        to_status: Set(t.to.as_str().to_owned()),
        cause: Set(t.cause.to_owned()),
        dedupe_key: Set(t.dedupe_key.map(str::to_owned)),
        event_id: Set(t.event_id.clone()),
        occurred_at: Set(now),
    }
}

/// Appends a transition.
pub async fn append(
    db: &impl ConnectionTrait,
    t: Transition<'_>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    status_history::Entity::insert(row(&t, now))
        .exec_without_returning(db)
        .await
        .context("appending to the status history")?;
    Ok(())
}

/// An account's history, oldest first.
pub async fn of_account(
    db: &impl ConnectionTrait,
    account_id: &str,
) -> anyhow::Result<Vec<status_history::Model>> {
    status_history::Entity::find()
        .filter(status_history::Column::AccountId.eq(account_id))
        .order_by_asc(status_history::Column::Id)
        .all(db)
        .await
        .context("reading the status history")
}
