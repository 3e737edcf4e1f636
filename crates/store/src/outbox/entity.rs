//! The `outbox` table.

use sea_orm::entity::prelude::*;

/// One message waiting to be (or already) published.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    /// Insertion order; the relay publishes in this order.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// NATS subject to publish on.
    pub subject: String,
    /// `Nats-Msg-Id`: JetStream drops a repeat within its duplicate window.
    #[sea_orm(unique)]
    pub msg_id: String,
    /// Message body.
    pub payload: Vec<u8>,
    /// Headers as a JSON object of name to value (`traceparent` included).
    pub headers: String,
    /// When it was enqueued.
    pub created_at: DateTimeUtc,
    /// When the stream acknowledged it; `None` while pending.
    pub published_at: Option<DateTimeUtc>,
    /// Failed publish attempts.
    pub attempts: i32,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
