//! `accounts`: the projection of account events.

use sea_orm::entity::prelude::*;

/// Who an account belongs to, and what alerts need to know about it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "accounts")]
pub struct Model {
    /// Plaid's `account_id`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_id: String,
    /// The app's user.
    pub user_id: String,
    /// The Item.
    pub item_id: String,
    /// At most the last four digits.
    pub mask: Option<String>,
    /// [`crate::domain::Flow`] as text.
    pub flow: String,
    /// The last account change seen (`linked`, `verified`, ...).
    pub last_change: String,
    /// When the last applied account event occurred (older events do not overwrite it).
    pub last_event_at: DateTimeUtc,
    /// Last write.
    pub updated_at: DateTimeUtc,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
