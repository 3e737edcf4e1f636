//! `link_sessions`: one row per Link session whose callbacks the app backend forwarded.

use sea_orm::entity::prelude::*;

/// A Link session.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "link_sessions")]
pub struct Model {
    /// Link's `link_session_id`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub link_session_id: String,
    /// The app's user the session belongs to (fixed by the first call).
    pub user_id: String,
    /// `automated`, `same_day` or `instant` once known (see `funnel::flow`).
    pub flow: Option<String>,
    /// Link's timestamp of the earliest event recorded: when the session started.
    pub first_event_at: DateTimeUtc,
    /// Link's timestamp of the latest event recorded.
    pub last_event_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
