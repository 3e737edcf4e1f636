//! The input and output of [`super::Verifier::apply`]: which change, caused by what, and what
//! it did.

use crate::domain::{Event, IgnoreReason, Status};

/// Which accounts of the Item an event concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// One account.
    Account(String),
    /// Every account of the Item.
    AllOfItem,
    /// These accounts of the Item (e.g. `DEFAULT_UPDATE`'s lists).
    Accounts(Vec<String>),
}

/// The webhook behind a change, recorded as processed in the same transaction.
#[derive(Clone, Debug)]
pub struct WebhookRef {
    /// Dedupe key (the body's SHA-256).
    pub dedupe_key: String,
    pub webhook_type: String,
    pub webhook_code: String,
    /// Plaid `account_id`, when present.
    pub account_id: Option<String>,
    pub stream_sequence: Option<u64>,
    /// When ingress received it (the dedupe window is measured between receipt times).
    pub received_at: chrono::DateTime<chrono::Utc>,
}

/// One change to apply.
#[derive(Clone, Debug)]
pub struct ChangeRequest {
    pub item_id: String,
    /// Which of its accounts.
    pub target: Target,
    /// What happened.
    pub event: Event,
    /// Cause for the history and the domain event, e.g. `AUTH/AUTOMATICALLY_VERIFIED`.
    pub cause: String,
    /// The webhook, when one caused it.
    pub webhook: Option<WebhookRef>,
    /// Plaid's raw `verification_status` to store (from a refresh).
    pub plaid_status: Option<String>,
    /// The span of the webhook or call behind it: its outbox event continues this trace.
    pub span: tracing::Span,
}

/// One applied transition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    pub account_id: String,
    /// Status before.
    pub from: Status,
    /// Status after.
    pub to: Status,
    /// The published domain event, if any.
    pub event_id: Option<String>,
}

/// What a change did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Applied transitions.
    pub applied: Vec<Applied>,
    /// Accounts the event did not change, and why.
    pub ignored: Vec<(String, IgnoreReason)>,
}
