//! `processed_webhooks`: the audit log of every webhook handled, applied or ignored, and what the
//! dedupe window is checked against (see [`crate::store::webhooks`]): a body is a duplicate when
//! a row with its hash has the same stream sequence or was received within the window.

use sea_orm::entity::prelude::*;

/// One handled webhook.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "processed_webhooks")]
pub struct Model {
    /// Surrogate key.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The SHA-256 of the body (hex), as ingress computes its `Nats-Msg-Id`. Not unique: an
    /// identical body received again after the dedupe window gets a row of its own.
    pub dedupe_key: String,
    /// Plaid `webhook_type`.
    pub webhook_type: String,
    /// Plaid `webhook_code`.
    pub webhook_code: String,
    /// Plaid `item_id`, when present.
    pub item_id: Option<String>,
    /// Plaid `account_id`, when present.
    pub account_id: Option<String>,
    /// `applied`, `ignored` or `unhandled`.
    pub outcome: String,
    /// Why, for ignored and unhandled webhooks (per account for Item-wide ones).
    pub detail: Option<String>,
    /// The PLAID_WEBHOOKS stream sequence of the delivery that was processed; unique together
    /// with `dedupe_key`.
    pub stream_sequence: Option<i64>,
    /// When ingress received it (`Penny-Received-At`; else when the stream stored it).
    pub received_at: DateTimeUtc,
    /// When it was processed.
    pub processed_at: DateTimeUtc,
}

/// No sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
