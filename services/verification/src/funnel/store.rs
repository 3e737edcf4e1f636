//! The funnel's tables: writing one `RecordLinkEvents` call in one transaction, and reading
//! sessions back (by time range for the funnel, by account for timelines).

use std::collections::HashMap;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, NotSet, QueryFilter, QueryOrder,
    Set, TransactionTrait as _,
};

use super::event::{Callback, LinkEvent, SessionInput, SuccessAccount};
use super::progress::Progress;
use crate::domain::Flow;
use crate::store::entities::{link_event, link_session, link_session_account};
use crate::store::{self, begin_write};

/// Sessions read per query of their events (well under every database's parameter limit).
const CHUNK: usize = 500;

/// What one record did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recorded {
    /// The events stored now, in Link's order.
    pub new: Vec<LinkEvent>,
    /// Events of the call already stored.
    pub duplicates: u32,
    /// The session's progress before and after.
    pub before: Progress,
    pub after: Progress,
}

/// Why a record was refused.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The session was first recorded for another user.
    #[error("link_session_id: the session belongs to another user")]
    OtherUser,
    /// The database failed.
    #[error(transparent)]
    Db(#[from] anyhow::Error),
}

/// A stored session with its events (Link's order).
#[derive(Clone, Debug)]
pub struct StoredSession {
    pub row: link_session::Model,
    pub events: Vec<LinkEvent>,
}

/// Stores `input` in one transaction: the session row (its user fixed by the first call), the
/// events not yet stored, the accounts onSuccess listed, and the session's flow and time span.
pub async fn record(
    db: &DatabaseConnection,
    input: &SessionInput,
) -> Result<Recorded, RecordError> {
    let now = store::now();
    let txn = begin_write(db).await.context("starting a transaction")?;
    let (first, last) = span(&input.events, now);
    // Insert-or-touch takes the row's lock on PostgreSQL (SQLite's write transaction is
    // exclusive), so concurrent calls for one session are applied one after the other.
    link_session::Entity::insert(link_session::ActiveModel {
        link_session_id: Set(input.link_session_id.clone()),
        user_id: Set(input.user_id.clone()),
        flow: Set(None),
        first_event_at: Set(first),
        last_event_at: Set(last),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(link_session::Column::LinkSessionId)
            .update_column(link_session::Column::UpdatedAt)
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await
    .context("storing the Link session")?;
    let session = link_session::Entity::find_by_id(input.link_session_id.clone())
        .one(&txn)
        .await
        .context("reading the Link session")?
        .context("the Link session vanished")?;
    if session.user_id != input.user_id {
        return Err(RecordError::OtherUser);
    }
    let stored = events_of(&txn, &input.link_session_id).await?;
    let known: std::collections::HashSet<String> = stored.iter().map(LinkEvent::key).collect();
    let new: Vec<LinkEvent> = input
        .events
        .iter()
        .filter(|e| !known.contains(&e.key()))
        .cloned()
        .collect();
    let duplicates = u32::try_from(input.events.len() - new.len()).unwrap_or(u32::MAX);
    if !new.is_empty() {
        let rows = new
            .iter()
            .map(|e| event_row(&input.link_session_id, e, now));
        link_event::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await
            .context("storing Link events")?;
        link_accounts(&txn, &input.link_session_id, &new).await?;
    }
    let before = Progress::of(&stored);
    let all: Vec<LinkEvent> = stored.into_iter().chain(new.iter().cloned()).collect();
    let after = Progress::of(&all);
    let (first, last) = span(&all, now);
    let flow = after
        .success_flow
        .or(session.flow.as_deref().and_then(|f| f.parse::<Flow>().ok()))
        .or(input.flow)
        .or_else(|| typed_numbers(&all).then_some(Flow::SameDay));
    link_session::Entity::update(link_session::ActiveModel {
        link_session_id: Set(input.link_session_id.clone()),
        flow: Set(flow.map(|f| f.as_str().to_owned())),
        first_event_at: Set(first),
        last_event_at: Set(last),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(&txn)
    .await
    .context("updating the Link session")?;
    txn.commit().await.context("committing Link events")?;
    Ok(Recorded {
        new,
        duplicates,
        before,
        after,
    })
}

/// Whether the user typed the numbers (Same-Day's manual entry), which only Same-Day
/// Micro-deposits ask for.
fn typed_numbers(events: &[LinkEvent]) -> bool {
    events.iter().any(|e| {
        matches!(
            e.event_name.as_str(),
            "SUBMIT_ACCOUNT_NUMBER" | "SUBMIT_ROUTING_NUMBER"
        )
    })
}

fn span(events: &[LinkEvent], now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let first = events.iter().map(|e| e.occurred_at).min().unwrap_or(now);
    let last = events.iter().map(|e| e.occurred_at).max().unwrap_or(now);
    (first, last)
}

async fn link_accounts(
    txn: &impl ConnectionTrait,
    session: &str,
    new: &[LinkEvent],
) -> anyhow::Result<()> {
    let rows: Vec<link_session_account::ActiveModel> = new
        .iter()
        .filter(|e| e.callback == Callback::OnSuccess)
        .flat_map(|e| e.accounts.iter().map(move |a| (e.occurred_at, a)))
        .map(|(at, a)| link_session_account::ActiveModel {
            link_session_id: Set(session.to_owned()),
            account_id: Set(a.account_id.clone()),
            verification_status: Set(a.verification_status.clone()),
            linked_at: Set(at),
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    link_session_account::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                link_session_account::Column::LinkSessionId,
                link_session_account::Column::AccountId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await
        .context("linking the session's accounts")?;
    Ok(())
}

fn event_row(session: &str, e: &LinkEvent, now: DateTime<Utc>) -> link_event::ActiveModel {
    let accounts = (!e.accounts.is_empty())
        .then(|| serde_json::to_string(&e.accounts).ok())
        .flatten();
    link_event::ActiveModel {
        id: NotSet,
        link_session_id: Set(session.to_owned()),
        event_key: Set(e.key()),
        callback: Set(e.callback.as_str().to_owned()),
        event_name: Set(e.event_name.clone()),
        view_name: Set(e.view_name.clone()),
        occurred_at: Set(e.occurred_at),
        institution_id: Set(e.institution_id.clone()),
        mfa_type: Set(e.mfa_type.clone()),
        error_type: Set(e.error_type.clone()),
        error_code: Set(e.error_code.clone()),
        exit_status: Set(e.exit_status.clone()),
        request_id: Set(e.request_id.clone()),
        accounts: Set(accounts),
        recorded_at: Set(now),
    }
}

fn from_row(row: link_event::Model) -> Option<LinkEvent> {
    let accounts: Vec<SuccessAccount> = row
        .accounts
        .as_deref()
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default();
    Some(LinkEvent {
        callback: Callback::parse(&row.callback)?,
        event_name: row.event_name,
        occurred_at: row.occurred_at,
        view_name: row.view_name,
        institution_id: row.institution_id,
        mfa_type: row.mfa_type,
        error_type: row.error_type,
        error_code: row.error_code,
        exit_status: row.exit_status,
        request_id: row.request_id,
        accounts,
    })
}

async fn events_of(db: &impl ConnectionTrait, session: &str) -> anyhow::Result<Vec<LinkEvent>> {
    let rows = link_event::Entity::find()
        .filter(link_event::Column::LinkSessionId.eq(session))
        .order_by_asc(link_event::Column::OccurredAt)
        .order_by_asc(link_event::Column::Id)
        .all(db)
        .await
        .context("reading Link events")?;
    Ok(rows.into_iter().filter_map(from_row).collect())
}

/// The sessions that started in `[from, to)` (of `flow`, when given), with their events.
pub async fn sessions_between(
    db: &DatabaseConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    flow: Option<Flow>,
) -> anyhow::Result<Vec<StoredSession>> {
    // One read transaction, so the sessions and their events are of the same moment.
    let txn = db.begin().await.context("starting a read")?;
    let mut query = link_session::Entity::find()
        .filter(link_session::Column::FirstEventAt.gte(from))
        .filter(link_session::Column::FirstEventAt.lt(to));
    if let Some(flow) = flow {
        query = query.filter(link_session::Column::Flow.eq(flow.as_str()));
    }
    let rows = query
        .order_by_asc(link_session::Column::FirstEventAt)
        .all(&txn)
        .await
        .context("reading Link sessions")?;
    let sessions = with_events(&txn, rows).await?;
    txn.commit().await.context("ending a read")?;
    Ok(sessions)
}

/// The sessions whose onSuccess listed `account_id`, oldest first, with their events.
pub async fn sessions_of_account(
    db: &DatabaseConnection,
    account_id: &str,
) -> anyhow::Result<Vec<StoredSession>> {
    let ids: Vec<String> = link_session_account::Entity::find()
        .filter(link_session_account::Column::AccountId.eq(account_id))
        .all(db)
        .await
        .context("reading an account's Link sessions")?
        .into_iter()
        .map(|r| r.link_session_id)
        .collect();
    let rows = link_session::Entity::find()
        .filter(link_session::Column::LinkSessionId.is_in(ids))
        .order_by_asc(link_session::Column::FirstEventAt)
        .all(db)
        .await
        .context("reading Link sessions")?;
    with_events(db, rows).await
}

async fn with_events(
    db: &impl ConnectionTrait,
    rows: Vec<link_session::Model>,
) -> anyhow::Result<Vec<StoredSession>> {
    let mut events: HashMap<String, Vec<LinkEvent>> = HashMap::new();
    for chunk in rows.chunks(CHUNK) {
        let ids = chunk.iter().map(|r| r.link_session_id.clone());
        let found = link_event::Entity::find()
            .filter(link_event::Column::LinkSessionId.is_in(ids))
            .order_by_asc(link_event::Column::OccurredAt)
            .order_by_asc(link_event::Column::Id)
            .all(db)
            .await
            .context("reading Link events")?;
        for row in found {
            let session = row.link_session_id.clone();
            if let Some(event) = from_row(row) {
                events.entry(session).or_default().push(event);
            }
        }
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let events = events.remove(&row.link_session_id).unwrap_or_default();
            StoredSession { row, events }
        })
        .collect())
}
