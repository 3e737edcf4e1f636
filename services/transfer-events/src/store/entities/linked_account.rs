//! `linked_accounts`: accounts penny linked (from `penny.event.account.linked`): who they
//! belong to.

use sea_orm::entity::prelude::*;

/// One linked account.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "linked_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: String,
    pub user_id: String,
    pub item_id: String,
    /// `automated`, `same_day`, `instant` or `unspecified`.
    pub flow: String,
    pub linked_at: DateTimeUtc,
    /// The `AccountEvent.event_id` that linked it.
    pub event_id: String,
}

/// No sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
