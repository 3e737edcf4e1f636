//! Accounts penny linked (`penny.event.account.linked`): stored once, and the account's events
//! recorded before it was linked are flagged as linked now.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::entities::{ach_event, linked_account};

/// An account as `penny.event.account.linked` describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Linked {
    pub account_id: String,
    pub user_id: String,
    pub item_id: String,
    /// `automated`, `same_day`, `instant` or `unspecified`.
    pub flow: String,
    pub linked_at: DateTime<Utc>,
    /// The account event's id.
    pub event_id: String,
}

/// Stores `account` (the first link wins; a repeat changes nothing) and flags its recorded
/// events as linked; returns how many events were flagged.
pub async fn link(db: &impl ConnectionTrait, account: &Linked) -> anyhow::Result<u64> {
    let row = linked_account::ActiveModel {
        account_id: Set(account.account_id.clone()),
        user_id: Set(account.user_id.clone()),
        item_id: Set(account.item_id.clone()),
        flow: Set(account.flow.clone()),
        linked_at: Set(account.linked_at),
        event_id: Set(account.event_id.clone()),
    };
    linked_account::Entity::insert(row)
        .on_conflict_do_nothing_on([linked_account::Column::AccountId])
        .exec(db)
        .await
        .context("storing a linked account")?;
    let flagged = ach_event::Entity::update_many()
        .col_expr(ach_event::Column::AccountLinked, Expr::val(true))
        .filter(ach_event::Column::AccountId.eq(account.account_id.as_str()))
        .filter(ach_event::Column::AccountLinked.eq(false))
        .exec(db)
        .await
        .context("flagging an account's events as linked")?;
    Ok(flagged.rows_affected)
}

/// The linked account, if penny linked it.
pub async fn find(
    db: &impl ConnectionTrait,
    account_id: &str,
) -> anyhow::Result<Option<linked_account::Model>> {
    linked_account::Entity::find_by_id(account_id.to_owned())
        .one(db)
        .await
        .context("reading a linked account")
}
