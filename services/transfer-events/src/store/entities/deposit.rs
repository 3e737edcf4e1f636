//! `deposits`: each micro-deposit (one Plaid transfer) with its latest state, derived from the
//! ledger in the transaction that records the events.

use sea_orm::entity::prelude::*;

/// One transfer's state.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deposits")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub feed: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub transfer_id: String,
    pub account_id: Option<String>,
    pub direction: Option<String>,
    pub amount: Option<String>,
    pub currency: Option<String>,
    /// The latest stage (`domain::Stage`).
    pub stage: String,
    /// The Plaid event type that set it.
    pub plaid_event_type: String,
    /// The first event seen for it (deposits are listed in this order).
    pub first_event_id: i64,
    pub last_event_id: i64,
    pub posted_at: Option<DateTimeUtc>,
    /// 8:30 a.m. New York on the next banking day after `posted_at`.
    pub available_at: Option<DateTimeUtc>,
    pub ach_return_code: Option<String>,
    pub failure_description: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// No sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
