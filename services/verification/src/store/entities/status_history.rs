//! `status_history`: every applied status change of an account, append-only.

use sea_orm::entity::prelude::*;

/// One applied transition.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "status_history")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The account that changed.
    pub account_id: String,
    pub item_id: String,
    /// Visible status before.
    pub from_status: String,
    /// Visible status after.
    pub to_status: String,
    /// What caused it, e.g. `AUTH/AUTOMATICALLY_VERIFIED` or `api/RefreshAccount`.
    pub cause: String,
    /// The webhook's dedupe key, when a webhook caused it.
    pub dedupe_key: Option<String>,
    /// The domain event published for it, if any.
    pub event_id: Option<String>,
    /// When it was applied.
    pub occurred_at: DateTimeUtc,
}

/// No sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
