//! `link_events`: each Link callback of a session, stored once (unique per session and event
//! key). Empty strings stand for metadata Link did not send.

use sea_orm::entity::prelude::*;

/// One recorded callback.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "link_events")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key)]
    pub id: i64,
    pub link_session_id: String,
    /// What makes the event the same across resends: callback, name, view and timestamp.
    pub event_key: String,
    /// `on_event`, `on_exit` or `on_success`.
    pub callback: String,
    /// onEvent's eventName (empty for onExit and onSuccess).
    pub event_name: String,
    pub view_name: String,
    /// Link's timestamp.
    pub occurred_at: DateTimeUtc,
    pub institution_id: String,
    pub mfa_type: String,
    pub error_type: String,
    pub error_code: String,
    pub exit_status: String,
    pub request_id: String,
    /// onSuccess's accounts as JSON (`[{"account_id", "verification_status", ...}]`).
    pub accounts: Option<String>,
    /// When penny stored it.
    pub recorded_at: DateTimeUtc,
}

/// No sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
