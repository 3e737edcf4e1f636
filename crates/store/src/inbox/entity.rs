//! The `inbox` table.

use sea_orm::entity::prelude::*;

/// One processed message.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inbox")]
pub struct Model {
    /// Surrogate key, in processing order.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Whose inbox (the consumer that processed it).
    pub consumer: String,
    /// What identifies the message (a body hash, an event id). Not unique alone: the same key
    /// received again after the caller's window gets an entry of its own.
    pub key: String,
    /// The stream sequence of the delivery that was processed; unique with consumer and key.
    pub stream_sequence: Option<i64>,
    /// When it was received.
    pub received_at: DateTimeUtc,
    /// When it was processed.
    pub processed_at: DateTimeUtc,
    /// What it was (`AUTH/AUTOMATICALLY_VERIFIED`, `account.verified`, ...).
    pub kind: String,
    /// The aggregate it concerned (an Item, a user).
    pub aggregate_id: Option<String>,
    /// The entity within it (an account).
    pub entity_id: Option<String>,
    /// `applied`, `ignored`, `unhandled`, ...
    pub outcome: String,
    /// Why, when the outcome needs explaining.
    pub detail: Option<String>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
