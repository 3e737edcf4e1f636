//! `alerts`: every alert and where it stands.

use sea_orm::entity::prelude::*;

/// One alert to one person on one channel.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "alerts")]
pub struct Model {
    /// UUIDv7; also the source of the Message-ID and the webhook-id.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// The app's user id.
    pub user_id: String,
    /// The domain event it answers.
    pub event_id: String,
    /// `account.verified`, `deposit.posted`, ...
    pub event_type: String,
    /// [`crate::domain::AlertKind`] as text.
    pub kind: String,
    /// [`crate::domain::Channel`] as text.
    pub channel: String,
    /// [`crate::domain::SendState`] as text.
    pub state: String,
    /// When it may go out next (`None`: waiting for an operator, or final).
    pub due_at: Option<DateTimeUtc>,
    /// When it was first meant to go out (its scheduled time, after quiet hours); how late an
    /// unsent alert is counts from here, whatever retries moved `due_at` to.
    pub first_due_at: Option<DateTimeUtc>,
    /// Provider calls started.
    pub attempts: i32,
    /// Resends after unknown outcomes.
    pub resends: i32,
    /// Why the last attempt did not succeed (never personal data).
    pub last_error: Option<String>,
    /// The provider's id, or ours where the channel carries it.
    pub provider_message_id: Option<String>,
    /// [`crate::domain::AlertFacts`] as JSON; erased with the contact.
    pub facts: Option<String>,
    /// The current claim's token (`sending` only).
    pub claim_token: Option<String>,
    /// Until when the claim holds (real time); past it the outcome is unknown.
    pub claimed_until: Option<DateTimeUtc>,
    /// Created.
    pub created_at: DateTimeUtc,
    /// Last change.
    pub updated_at: DateTimeUtc,
    /// When the provider accepted it.
    pub sent_at: Option<DateTimeUtc>,
    /// The account it is about (`None` for rows older than the column).
    pub account_id: Option<String>,
    /// The W3C `traceparent` of the domain event's handling; the send's span is its child.
    pub traceparent: Option<String>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
