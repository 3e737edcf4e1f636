//! Reads of the ledger for the API: an account's events page by page, and its deposits.

use anyhow::Context as _;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait as _, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::entities::{ach_event, deposit};

/// Where a page of events starts: after this `(feed, event_id)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct After {
    /// The feed of the last event returned.
    pub feed: String,
    /// Its event id.
    pub event_id: i64,
}

/// Up to `limit` events of `account_id` after `after`, ordered by feed then `event_id`.
pub async fn events_of(
    db: &impl ConnectionTrait,
    account_id: &str,
    after: Option<&After>,
    limit: u64,
) -> anyhow::Result<Vec<ach_event::Model>> {
    use ach_event::Column as C;
    let mut select = ach_event::Entity::find().filter(C::AccountId.eq(account_id));
    if let Some(after) = after {
        select = select.filter(
            Condition::any().add(C::Feed.gt(after.feed.as_str())).add(
                Condition::all()
                    .add(C::Feed.eq(after.feed.as_str()))
                    .add(C::EventId.gt(after.event_id)),
            ),
        );
    }
    select
        .order_by_asc(C::Feed)
        .order_by_asc(C::EventId)
        .limit(limit)
        .all(db)
        .await
        .context("reading an account's events")
}

/// Whether any event of `account_id` is recorded.
pub async fn has_events(db: &impl ConnectionTrait, account_id: &str) -> anyhow::Result<bool> {
    let n = ach_event::Entity::find()
        .filter(ach_event::Column::AccountId.eq(account_id))
        .limit(1)
        .count(db)
        .await
        .context("looking for an account's events")?;
    Ok(n > 0)
}

/// The deposits of `account_id`, in the order their first events came.
pub async fn deposits_of(
    db: &impl ConnectionTrait,
    account_id: &str,
) -> anyhow::Result<Vec<deposit::Model>> {
    deposit::Entity::find()
        .filter(deposit::Column::AccountId.eq(account_id))
        .order_by_asc(deposit::Column::Feed)
        .order_by_asc(deposit::Column::FirstEventId)
        .all(db)
        .await
        .context("reading an account's deposits")
}
