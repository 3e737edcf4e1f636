//! Same-Day reminders ("check your statement and confirm", [`AlertKind::DepositPosted`]) that
//! are no longer true: once the account is verified, failed, expired or revoked, a reminder
//! still waiting for its due time is withdrawn (`suppressed`, with the reason), never sent.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QuerySelect};

use super::entities::alert::{Column, Entity};
use crate::domain::{AlertKind, SendState};

/// Withdraws `account_id`'s pending reminders; returns the channel of each one withdrawn.
pub async fn withdraw(
    db: &impl ConnectionTrait,
    account_id: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>, DbErr> {
    let waiting = || {
        Entity::find()
            .filter(Column::AccountId.eq(account_id))
            .filter(Column::Kind.eq(AlertKind::DepositPosted.as_str()))
            .filter(Column::State.eq(SendState::Pending.as_str()))
    };
    let rows: Vec<(String, String)> = waiting()
        .select_only()
        .column(Column::Id)
        .column(Column::Channel)
        .into_tuple()
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<String> = rows.iter().map(|(id, _)| id.clone()).collect();
    Entity::update_many()
        .col_expr(Column::State, Expr::value(SendState::Suppressed.as_str()))
        .col_expr(Column::DueAt, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(Column::LastError, Expr::value(reason))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::Id.is_in(ids))
        .filter(Column::State.eq(SendState::Pending.as_str()))
        .exec(db)
        .await?;
    Ok(rows.into_iter().map(|(_, channel)| channel).collect())
}
