//! Alerts: creating them once per (user, domain event, channel), and every write of the send
//! state machine as a compare-and-set on the row (its expected state, and for `sending` its
//! claim token), so of two replicas racing for one alert exactly one wins each step.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel as _, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::entities::alert::{self, Column, Entity};
use crate::domain::{AlertFacts, AlertKind, Channel, SendState, SendStatus};

pub use alert::Model as Alert;

/// A new alert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAlert {
    /// UUIDv7.
    pub id: String,
    /// The app's user id.
    pub user_id: String,
    /// The account it is about.
    pub account_id: String,
    /// The W3C `traceparent` its send continues (see [`crate::dispatch::trace`]).
    pub traceparent: Option<String>,
    /// The domain event it answers.
    pub event_id: String,
    /// `account.verified`, ...
    pub event_type: String,
    /// What it is about.
    pub kind: AlertKind,
    /// Where it goes.
    pub channel: Channel,
    /// `Pending` or `Suppressed`.
    pub state: SendState,
    /// When it may go out.
    pub due_at: DateTime<Utc>,
    /// Why it is suppressed.
    pub last_error: Option<String>,
    /// What it shows.
    pub facts: AlertFacts,
}

/// Inserts `alert` unless one exists for its (user, event, channel); the row as inserted, or
/// `None` when one existed.
pub async fn insert_once(
    db: &impl ConnectionTrait,
    alert: NewAlert,
    now: DateTime<Utc>,
) -> Result<Option<Alert>, DbErr> {
    let facts = serde_json::to_string(&alert.facts).map_err(|e| DbErr::Custom(e.to_string()))?;
    let due_at = (alert.state == SendState::Pending).then_some(alert.due_at);
    let row = Alert {
        id: alert.id,
        user_id: alert.user_id,
        event_id: alert.event_id,
        event_type: alert.event_type,
        kind: alert.kind.as_str().to_owned(),
        channel: alert.channel.as_str().to_owned(),
        state: alert.state.as_str().to_owned(),
        due_at,
        first_due_at: due_at,
        attempts: 0,
        resends: 0,
        last_error: alert.last_error,
        provider_message_id: None,
        facts: Some(facts),
        claim_token: None,
        claimed_until: None,
        created_at: now,
        updated_at: now,
        sent_at: None,
        account_id: Some(alert.account_id),
        traceparent: alert.traceparent,
    };
    // Every column is `Unchanged`, which an insert writes like `Set`.
    let inserted = Entity::insert(row.clone().into_active_model())
        .on_conflict(
            OnConflict::columns([Column::UserId, Column::EventId, Column::Channel])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok((inserted > 0).then_some(row))
}

/// One alert.
pub async fn find(db: &impl ConnectionTrait, id: &str) -> Result<Option<Alert>, DbErr> {
    Entity::find_by_id(id.to_owned()).one(db).await
}

/// The state-machine part of a row.
pub fn status_of(row: &Alert) -> Result<SendStatus, String> {
    Ok(SendStatus {
        state: SendState::parse(&row.state)?,
        attempts: u32::try_from(row.attempts).unwrap_or(0),
        resends: u32::try_from(row.resends).unwrap_or(0),
    })
}

/// A write from one status to another.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Write {
    /// The status after.
    pub to: Option<SendStatus>,
    /// The due time after (`Some(None)`: none).
    pub due_at: Option<Option<DateTime<Utc>>>,
    /// `Some(None)` clears it.
    pub last_error: Option<Option<String>>,
    /// The provider's id.
    pub provider_message_id: Option<String>,
    /// A new claim (token, until), or `Some(None)` to drop the claim.
    pub claim: Option<Option<(String, DateTime<Utc>)>>,
    /// When it was sent.
    pub sent_at: Option<DateTime<Utc>>,
}

/// Applies `write` to alert `id` if it is still in `expected` (and, when `claim_token` is
/// given, still holds that claim); whether it did.
pub async fn compare_and_set(
    db: &impl ConnectionTrait,
    id: &str,
    expected: SendStatus,
    claim_token: Option<&str>,
    write: Write,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let mut update = Entity::update_many()
        .filter(Column::Id.eq(id))
        .filter(Column::State.eq(expected.state.as_str()))
        .filter(Column::Attempts.eq(i64::from(expected.attempts)))
        .filter(Column::Resends.eq(i64::from(expected.resends)));
    if let Some(token) = claim_token {
        update = update.filter(Column::ClaimToken.eq(token));
    }
    if let Some(to) = write.to {
        update = update
            .col_expr(Column::State, Expr::value(to.state.as_str()))
            .col_expr(Column::Attempts, Expr::value(i64::from(to.attempts)))
            .col_expr(Column::Resends, Expr::value(i64::from(to.resends)));
    }
    if let Some(due) = write.due_at {
        update = update.col_expr(Column::DueAt, Expr::value(due));
    }
    if let Some(error) = write.last_error {
        update = update.col_expr(Column::LastError, Expr::value(error));
    }
    if let Some(provider) = write.provider_message_id {
        update = update.col_expr(Column::ProviderMessageId, Expr::value(provider));
    }
    if let Some(claim) = write.claim {
        let (token, until) = claim.map_or((None, None), |(t, u)| (Some(t), Some(u)));
        update = update
            .col_expr(Column::ClaimToken, Expr::value(token))
            .col_expr(Column::ClaimedUntil, Expr::value(until));
    }
    if let Some(sent_at) = write.sent_at {
        update = update.col_expr(Column::SentAt, Expr::value(Some(sent_at)));
    }
    let result = update
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Ids of alerts in `state` due at `now` or earlier, oldest due first.
pub async fn due(
    db: &impl ConnectionTrait,
    state: SendState,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<String>, DbErr> {
    Entity::find()
        .select_only()
        .column(Column::Id)
        .filter(Column::State.eq(state.as_str()))
        .filter(Column::DueAt.lte(now))
        .order_by_asc(Column::DueAt)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}

/// Alerts whose outcome is unknown, oldest change first.
pub async fn unknown(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<Alert>, DbErr> {
    Entity::find()
        .filter(Column::State.eq(SendState::Unknown.as_str()))
        .order_by_asc(Column::UpdatedAt)
        .limit(limit)
        .all(db)
        .await
}

/// Alerts whose claim ran out (real time `now`) without an outcome.
pub async fn stale_claims(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<Alert>, DbErr> {
    Entity::find()
        .filter(Column::State.eq(SendState::Sending.as_str()))
        .filter(Column::ClaimedUntil.lt(now))
        .order_by_asc(Column::ClaimedUntil)
        .limit(limit)
        .all(db)
        .await
}

/// Whose alerts a page lists: a person's, an account's, or that person's about that account.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Owner<'a> {
    /// The app's user id.
    pub user_id: Option<&'a str>,
    /// The account.
    pub account_id: Option<&'a str>,
}

/// A page of `owner`'s alerts, newest first, after `before_id` (exclusive) when given.
pub async fn page(
    db: &impl ConnectionTrait,
    owner: Owner<'_>,
    before_id: Option<&str>,
    limit: u64,
) -> Result<Vec<Alert>, DbErr> {
    let mut select = Entity::find();
    if let Some(user_id) = owner.user_id {
        select = select.filter(Column::UserId.eq(user_id));
    }
    if let Some(account_id) = owner.account_id {
        select = select.filter(Column::AccountId.eq(account_id));
    }
    if let Some(before) = before_id {
        select = select.filter(Column::Id.lt(before));
    }
    select.order_by_desc(Column::Id).limit(limit).all(db).await
}

/// Erases what `user_id`'s alerts said (their facts and error texts), keeping ids and states;
/// alerts not sent yet become `suppressed`. Returns how many were suppressed.
pub async fn erase_for_user(
    db: &impl ConnectionTrait,
    user_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let suppressed = Entity::update_many()
        .col_expr(Column::State, Expr::value(SendState::Suppressed.as_str()))
        .col_expr(Column::DueAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(Column::LastError, Expr::value(reason))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::State.eq(SendState::Pending.as_str()))
        .exec(db)
        .await?
        .rows_affected;
    Entity::update_many()
        .col_expr(Column::Facts, Expr::value(Option::<String>::None))
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Entity::update_many()
        .col_expr(Column::LastError, Expr::value(Option::<String>::None))
        .filter(Column::UserId.eq(user_id))
        .filter(Column::State.ne(SendState::Suppressed.as_str()))
        .exec(db)
        .await?;
    Ok(suppressed)
}

/// Alerts waiting in `pending`, and the first due time of the oldest of them that should have
/// gone out by `now` (however often it was retried since).
pub async fn backlog(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<(u64, Option<DateTime<Utc>>), DbErr> {
    let pending = Entity::find()
        .filter(Column::State.eq(SendState::Pending.as_str()))
        .count(db)
        .await?;
    let oldest: Option<Option<DateTime<Utc>>> = Entity::find()
        .select_only()
        .column(Column::FirstDueAt)
        .filter(Column::State.eq(SendState::Pending.as_str()))
        .filter(Column::FirstDueAt.lte(now))
        .order_by_asc(Column::FirstDueAt)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    Ok((pending, oldest.flatten()))
}

/// Alerts in `state`.
pub async fn count_in(db: &impl ConnectionTrait, state: SendState) -> Result<u64, DbErr> {
    Entity::find()
        .filter(Column::State.eq(state.as_str()))
        .count(db)
        .await
}
