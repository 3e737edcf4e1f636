//! [`NotifierError`]: why a use case failed, mapped once per edge (gRPC status, consumer
//! outcome, HTTP answer).

use crate::domain::contact::FieldError;

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum NotifierError {
    /// Bad input; nothing was stored.
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// No such contact.
    #[error("no contact for user {0}")]
    ContactNotFound(String),
    /// A deposit event for an account no account event named yet.
    #[error(
        "account {account_id} is not known yet (no penny.event.account.* seen for it): \
         waiting for the account event before alerting on deposit event {event_id}"
    )]
    AccountUnknown {
        /// The account.
        account_id: String,
        /// The deposit event.
        event_id: String,
    },
    /// The same message was processed concurrently (a unique key said so).
    #[error("already processed")]
    Duplicate,
    /// The database, the keyring, a template: retry or report.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sea_orm::DbErr> for NotifierError {
    /// A database failure is internal (retried by the consumer); only the inbox's unique key
    /// means "already processed", and the ingest step says so itself.
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Internal(e.into())
    }
}
