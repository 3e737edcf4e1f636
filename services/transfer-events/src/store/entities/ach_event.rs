//! `ach_events`: the ledger, one row per Plaid event, unique by `(feed, event_id)`. Append-only,
//! except `account_linked`, set when the account is linked later.

use sea_orm::entity::prelude::*;

/// One recorded event.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ach_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub feed: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: i64,
    pub occurred_at: DateTimeUtc,
    pub recorded_at: DateTimeUtc,
    /// Plaid's `event_type`, verbatim.
    pub plaid_event_type: String,
    /// The deposit stage it reports (`None`: not a deposit's event).
    pub stage: Option<String>,
    pub account_id: Option<String>,
    pub transfer_id: Option<String>,
    pub direction: Option<String>,
    /// Exact decimal text.
    pub amount: Option<String>,
    pub currency: Option<String>,
    pub ach_return_code: Option<String>,
    pub failure_description: Option<String>,
    /// Whether penny had linked the account when the event was recorded.
    pub linked_at_record: bool,
    /// Whether the account is linked now.
    pub account_linked: bool,
    /// The lease token of the sync that recorded it.
    pub sync_token: i64,
    /// The trace id of the sync that recorded it (32 lowercase hex digits; `None` when unknown).
    pub trace_id: Option<String>,
}

/// No sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
