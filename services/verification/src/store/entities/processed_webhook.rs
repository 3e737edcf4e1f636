//! `processed_webhooks`: the audit log of every webhook handled, applied or ignored. Its primary
//! key is the webhook's dedupe key, so a redelivered message is recognised and acked at once.

use sea_orm::entity::prelude::*;

/// One handled webhook.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "processed_webhooks")]
pub struct Model {
    /// `Nats-Msg-Id` as ingress set it (the SHA-256 of the body), else the body's SHA-256.
    #[sea_orm(primary_key, auto_increment = false)]
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
    /// The PLAID_WEBHOOKS stream sequence of the delivery that was processed.
    pub stream_sequence: Option<i64>,
    /// When it was processed.
    pub processed_at: DateTimeUtc,
}

/// No sea-orm relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
