//! `waiting_events`: deposit events waiting for their account to be known.

use sea_orm::entity::prelude::*;

/// One waiting deposit event.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "waiting_events")]
pub struct Model {
    /// The deposit event's id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub event_id: String,
    /// The account nobody has told the notifier about yet.
    pub account_id: String,
    /// `deposit.posted`, ...
    pub event_type: String,
    /// Deliveries seen.
    pub deliveries: i64,
    /// First delivery.
    pub first_seen_at: DateTimeUtc,
    /// Last delivery.
    pub last_seen_at: DateTimeUtc,
    /// When it was parked in the dead letters (retries ran out).
    pub parked_at: Option<DateTimeUtc>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
