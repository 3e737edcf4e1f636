//! Deriving each transfer's state from a page of events, inside the page's transaction:
//! [`apply`] reads the page's transfers once, runs [`crate::domain::deposit::step`] over the
//! events in `event_id` order, and writes every changed deposit in one upsert.

use std::collections::{BTreeSet, HashMap};

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use super::entities::deposit;
use super::to_db;
use crate::domain::{AchEvent, DepositState, Feed, Stage, Step, deposit::step};

/// A move worth a domain event: event `index` of the page took its deposit to `state`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Announcement {
    /// The event's position in the page.
    pub index: usize,
    /// The state announced.
    pub state: DepositState,
    /// The deposit after the move.
    pub deposit: deposit::Model,
}

/// The columns an event can change (all but the key, `first_event_id` and `created_at`).
const UPSERTED: [deposit::Column; 12] = [
    deposit::Column::AccountId,
    deposit::Column::Direction,
    deposit::Column::Amount,
    deposit::Column::Currency,
    deposit::Column::Stage,
    deposit::Column::PlaidEventType,
    deposit::Column::LastEventId,
    deposit::Column::PostedAt,
    deposit::Column::AvailableAt,
    deposit::Column::AchReturnCode,
    deposit::Column::FailureDescription,
    deposit::Column::UpdatedAt,
];

/// Applies the page's `events` (all new, ascending `event_id`) to their deposits; returns what
/// to announce, in event order.
pub async fn apply(
    txn: &impl ConnectionTrait,
    feed: Feed,
    events: &[AchEvent],
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Announcement>> {
    let ids: BTreeSet<&str> = events
        .iter()
        .filter(|e| e.stage.is_some())
        .filter_map(|e| e.transfer_id.as_deref())
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut known: HashMap<String, deposit::Model> = deposit::Entity::find()
        .filter(deposit::Column::Feed.eq(feed.as_str()))
        .filter(deposit::Column::TransferId.is_in(ids.iter().copied()))
        .all(txn)
        .await
        .context("reading the page's deposits")?
        .into_iter()
        .map(|d| (d.transfer_id.clone(), d))
        .collect();
    let mut changed: BTreeSet<String> = BTreeSet::new();
    let mut announcements = Vec::new();
    for (index, event) in events.iter().enumerate() {
        let (Some(stage), Some(transfer_id)) = (event.stage, event.transfer_id.as_deref()) else {
            continue;
        };
        let event_id = to_db(event.event_id)?;
        let current = match known.get(transfer_id) {
            Some(d) if d.last_event_id >= event_id => continue,
            Some(d) => Some(d.stage.parse::<Stage>().map_err(anyhow::Error::msg)?),
            None => None,
        };
        let Step::Move { stage, announce } = step(current, stage) else {
            continue;
        };
        let deposit = known
            .entry(transfer_id.to_owned())
            .or_insert_with(|| fresh(feed, transfer_id, event, now));
        moved(deposit, event, stage, event_id, now);
        changed.insert(transfer_id.to_owned());
        if let Some(state) = announce {
            announcements.push(Announcement {
                index,
                state,
                deposit: deposit.clone(),
            });
        }
    }
    let rows: Vec<deposit::ActiveModel> = changed
        .into_iter()
        .filter_map(|id| known.remove(&id))
        .map(deposit::ActiveModel::from)
        .collect();
    if !rows.is_empty() {
        // One statement for the page: new deposits inserted, known ones overwritten with the
        // state computed above (this transaction holds the feed's fence, so nobody else writes
        // them meanwhile).
        deposit::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::columns([deposit::Column::Feed, deposit::Column::TransferId])
                    .update_columns(UPSERTED)
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await
            .context("writing the page's deposits")?;
    }
    Ok(announcements)
}

/// A deposit first seen with `event`.
fn fresh(feed: Feed, transfer_id: &str, event: &AchEvent, now: DateTime<Utc>) -> deposit::Model {
    deposit::Model {
        feed: feed.as_str().to_owned(),
        transfer_id: transfer_id.to_owned(),
        account_id: event.account_id.clone(),
        direction: event.direction.map(|d| d.as_str().to_owned()),
        amount: event.amount.clone(),
        currency: event.currency.clone(),
        stage: Stage::Pending.as_str().to_owned(),
        plaid_event_type: event.plaid_event_type.clone(),
        first_event_id: to_db(event.event_id).unwrap_or(0),
        last_event_id: 0,
        posted_at: None,
        available_at: None,
        ach_return_code: None,
        failure_description: None,
        created_at: now,
        updated_at: now,
    }
}

/// Moves `deposit` to `stage` by `event`.
fn moved(
    deposit: &mut deposit::Model,
    event: &AchEvent,
    stage: Stage,
    event_id: i64,
    now: DateTime<Utc>,
) {
    deposit.stage = stage.as_str().to_owned();
    deposit.plaid_event_type = event.plaid_event_type.clone();
    deposit.last_event_id = event_id;
    deposit.updated_at = now;
    deposit.account_id = deposit
        .account_id
        .take()
        .or_else(|| event.account_id.clone());
    deposit.direction = deposit
        .direction
        .take()
        .or_else(|| event.direction.map(|d| d.as_str().to_owned()));
    deposit.amount = deposit.amount.take().or_else(|| event.amount.clone());
    deposit.currency = deposit.currency.take().or_else(|| event.currency.clone());
    if stage.state() == DepositState::Posted && deposit.posted_at.is_none() {
        deposit.posted_at = Some(event.occurred_at);
        deposit.available_at = Some(penny_calendar::funds_available_after(event.occurred_at));
    }
    if matches!(stage, Stage::Reversed | Stage::Failed | Stage::Cancelled) {
        deposit.ach_return_code = event.ach_return_code.clone();
        deposit.failure_description = event.failure_description.clone();
    }
}
