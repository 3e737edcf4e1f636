//! The projection of account events: who each account belongs to, its flow and mask. Every
//! account event updates it (not only `linked`: events may arrive out of order); an older
//! event never overwrites what a newer one said.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set};

use super::entities::account::{self, Column, Entity};
use crate::domain::Flow;

/// What an account event says about its account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccountFacts {
    /// Plaid's account id.
    pub account_id: String,
    /// The app's user.
    pub user_id: String,
    /// The Item.
    pub item_id: String,
    /// At most the last four digits.
    pub mask: Option<String>,
    /// How it is verified (`Unspecified` keeps what is known).
    pub flow: Flow,
    /// The change (`linked`, `verified`, ...).
    pub change: &'static str,
    /// When the event occurred.
    pub occurred_at: DateTime<Utc>,
}

/// Records `facts`: inserts the account, or updates it when the event is not older than the
/// last one applied (and fills a missing mask or flow from older events). Conditional writes
/// only, so two replicas recording events of one account at once never conflict.
pub async fn record(
    db: &impl ConnectionTrait,
    facts: &AccountFacts,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = account::ActiveModel {
        account_id: Set(facts.account_id.clone()),
        user_id: Set(facts.user_id.clone()),
        item_id: Set(facts.item_id.clone()),
        mask: Set(facts.mask.clone()),
        flow: Set(facts.flow.as_str().to_owned()),
        last_change: Set(facts.change.to_owned()),
        last_event_at: Set(facts.occurred_at),
        updated_at: Set(now),
    };
    let inserted = Entity::insert(row)
        .on_conflict(
            OnConflict::column(Column::AccountId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    if inserted > 0 {
        return Ok(());
    }
    let mut newer = Entity::update_many()
        .col_expr(Column::UserId, Expr::value(facts.user_id.clone()))
        .col_expr(Column::ItemId, Expr::value(facts.item_id.clone()))
        .col_expr(Column::LastChange, Expr::value(facts.change))
        .col_expr(Column::LastEventAt, Expr::value(facts.occurred_at))
        .col_expr(Column::UpdatedAt, Expr::value(now))
        .filter(Column::AccountId.eq(facts.account_id.as_str()))
        .filter(Column::LastEventAt.lte(facts.occurred_at));
    if let Some(mask) = &facts.mask {
        newer = newer.col_expr(Column::Mask, Expr::value(mask.clone()));
    }
    if facts.flow != Flow::Unspecified {
        newer = newer.col_expr(Column::Flow, Expr::value(facts.flow.as_str()));
    }
    if newer.exec(db).await?.rows_affected > 0 {
        return Ok(());
    }
    // An older event: it may still know what is missing.
    if let Some(mask) = &facts.mask {
        Entity::update_many()
            .col_expr(Column::Mask, Expr::value(mask.clone()))
            .filter(Column::AccountId.eq(facts.account_id.as_str()))
            .filter(Column::Mask.is_null())
            .exec(db)
            .await?;
    }
    if facts.flow != Flow::Unspecified {
        Entity::update_many()
            .col_expr(Column::Flow, Expr::value(facts.flow.as_str()))
            .filter(Column::AccountId.eq(facts.account_id.as_str()))
            .filter(Column::Flow.eq(Flow::Unspecified.as_str()))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Locks the account's row for the rest of the transaction (a write that changes nothing), so
/// a deposit event and an account event of one account handled at once by two consumers or
/// replicas are applied one after the other: the deposit sees the account's settled state, or
/// the account event sees the deposit's reminder. (SQLite serialises writers anyway.)
pub async fn lock(db: &impl ConnectionTrait, account_id: &str) -> Result<(), DbErr> {
    Entity::update_many()
        .col_expr(Column::UpdatedAt, Expr::col(Column::UpdatedAt))
        .filter(Column::AccountId.eq(account_id))
        .exec(db)
        .await
        .map(drop)
}

/// The account, if an account event named it.
pub async fn find(
    db: &impl ConnectionTrait,
    account_id: &str,
) -> Result<Option<account::Model>, DbErr> {
    Entity::find_by_id(account_id.to_owned()).one(db).await
}

/// Forgets the masks of a person's accounts (their contact data was erased).
pub async fn forget_masks(db: &impl ConnectionTrait, user_id: &str) -> Result<u64, DbErr> {
    let result = Entity::update_many()
        .col_expr(Column::Mask, Expr::value(Option::<String>::None))
        .filter(Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}
