//! [`VerifierError`]: what a use case can fail with. The gRPC layer maps it to a status code and
//! the consumer to an outcome; neither message ever holds a secret.

use std::time::Duration;

use penny_plaid::PlaidError;

use crate::domain::Status;

/// Why a use case failed.
#[derive(Debug, thiserror::Error)]
pub enum VerifierError {
    /// No such Item.
    #[error("item {0:?} not found")]
    ItemNotFound(String),
    /// No such account.
    #[error("account {0:?} not found")]
    AccountNotFound(String),
    /// Numbers asked for an account that is not verified.
    #[error("account {account_id:?} is {status}: numbers are only available for verified accounts")]
    NotVerified { account_id: String, status: Status },
    /// The account is verified but its numbers have not been fetched (yet).
    #[error("account {0:?} is verified but its numbers are not stored yet; call RefreshAccount")]
    NumbersMissing(String),
    /// The Item's access token is gone (revoked or removed).
    #[error("item {0:?} is revoked: its access token was purged")]
    Revoked(String),
    /// Link update mode has nothing to do for this account, or cannot help it.
    #[error("account {account_id:?}: no update-mode Link token: {why}")]
    CannotUpdate {
        account_id: String,
        /// Why, in words for the app's developer.
        why: &'static str,
    },
    /// Plaid no longer returns the account.
    #[error("Plaid no longer returns account {0:?}")]
    GoneAtPlaid(String),
    /// The public token was already exchanged for another user.
    #[error("public_token was exchanged for another user")]
    UserMismatch,
    /// A concurrent exchange of the same public token has not finished in time.
    #[error("an exchange of this public_token is in progress; retry shortly")]
    ExchangeInProgress,
    /// A Plaid call failed.
    #[error("Plaid {call} failed: {source}")]
    Plaid {
        /// The endpoint, e.g. `/auth/get`.
        call: &'static str,
        /// The error.
        #[source]
        source: PlaidError,
    },
    /// penny's share of Plaid's rate limit is spent for now.
    #[error("Plaid rate-limit budget spent; retry in {retry_after:?}")]
    RateLimited {
        /// When a unit frees up.
        retry_after: Duration,
    },
    /// The account changed concurrently; retry.
    #[error("the account changed concurrently; retry")]
    Conflict,
    /// This webhook was already processed.
    #[error("webhook already processed")]
    Duplicate,
    /// Anything else (database, NATS, crypto): logged once at the edge.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl VerifierError {
    /// Wraps a Plaid error from `call`.
    pub fn plaid(call: &'static str) -> impl FnOnce(PlaidError) -> Self {
        move |source| Self::Plaid { call, source }
    }

    /// The same failure for another change of a batch that failed together (a database error
    /// fails every change of its round). Plaid and internal errors are carried as their text.
    pub fn clone_kind(&self) -> Self {
        match self {
            Self::ItemNotFound(id) => Self::ItemNotFound(id.clone()),
            Self::AccountNotFound(id) => Self::AccountNotFound(id.clone()),
            Self::NotVerified { account_id, status } => Self::NotVerified {
                account_id: account_id.clone(),
                status: *status,
            },
            Self::NumbersMissing(id) => Self::NumbersMissing(id.clone()),
            Self::Revoked(id) => Self::Revoked(id.clone()),
            Self::CannotUpdate { account_id, why } => Self::CannotUpdate {
                account_id: account_id.clone(),
                why,
            },
            Self::GoneAtPlaid(id) => Self::GoneAtPlaid(id.clone()),
            Self::UserMismatch => Self::UserMismatch,
            Self::ExchangeInProgress => Self::ExchangeInProgress,
            Self::RateLimited { retry_after } => Self::RateLimited {
                retry_after: *retry_after,
            },
            Self::Conflict => Self::Conflict,
            Self::Duplicate => Self::Duplicate,
            Self::Plaid { .. } | Self::Internal(_) => Self::Internal(anyhow::anyhow!("{self:#}")),
        }
    }

    /// A database error.
    pub fn db(err: sea_orm::DbErr) -> Self {
        Self::Internal(anyhow::Error::new(err).context("database"))
    }
}
