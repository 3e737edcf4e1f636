//! Deposit events waiting for their account to be known: one row per event while it is
//! retried, marked when it is parked, removed when it is finally handled.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, Set};

use super::entities::waiting_event::{self, Column, Entity};

/// Notes one more delivery of `event_id` whose account is unknown (`parked`: retries ran out).
pub async fn note(
    db: &impl ConnectionTrait,
    event_id: &str,
    account_id: &str,
    event_type: &str,
    parked: bool,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = waiting_event::ActiveModel {
        event_id: Set(event_id.to_owned()),
        account_id: Set(account_id.to_owned()),
        event_type: Set(event_type.to_owned()),
        deliveries: Set(1),
        first_seen_at: Set(now),
        last_seen_at: Set(now),
        parked_at: Set(parked.then_some(now)),
    };
    let mut on_conflict = OnConflict::column(Column::EventId);
    on_conflict
        .value(
            Column::Deliveries,
            Expr::col((Entity, Column::Deliveries)).add(1),
        )
        .value(Column::LastSeenAt, now);
    if parked {
        on_conflict.value(Column::ParkedAt, now);
    }
    Entity::insert(row)
        .on_conflict(on_conflict.to_owned())
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Forgets `event_id` (handled at last).
pub async fn clear(db: &impl ConnectionTrait, event_id: &str) -> Result<(), DbErr> {
    Entity::delete_by_id(event_id.to_owned()).exec(db).await?;
    Ok(())
}

/// Deposit events waiting now (not parked).
pub async fn count_waiting(db: &impl ConnectionTrait) -> Result<u64, DbErr> {
    Entity::find()
        .filter(Column::ParkedAt.is_null())
        .count(db)
        .await
}
