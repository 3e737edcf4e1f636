//! The one typed Plaid client every penny service uses.
//!
//! - [`PlaidClient`]: POST JSON with `PLAID-CLIENT-ID`, `PLAID-SECRET`, `Plaid-Version:
//!   2020-09-14` and `User-Agent: penny/<version>`; pooled rustls connections; bounded timeouts;
//!   jittered exponential retries for read-only calls only; one `plaid.call` span per call.
//! - [`api`]: typed requests and responses per endpoint group, lenient like Plaid (unknown fields
//!   ignored, nullable fields optional, unknown enum values kept in `Other(String)`).
//! - [`PlaidError`]: Plaid's error object or a transport failure, with the one retry rule
//!   [`PlaidError::is_retryable`].
//! - [`webhook`]: lenient webhook body parsing and typed views.
//! - [`PlaidMetrics`]: attempts by endpoint and outcome, with latency, for `/metrics`.
//!
//! Secrets (client secret, access tokens, account and routing numbers) never appear in `Debug`
//! output, span fields or error messages.

#![warn(missing_docs)]

pub mod api;
mod client;
mod config;
mod enums;
mod error;
mod metrics;
mod retry;
mod tokens;
pub mod webhook;

pub use api::RequestIdResponse;
pub use api::accounts::{
    AccountBase, AccountType, AccountsGetResponse, Balances, VerificationStatus,
};
pub use api::auth::{
    AchNumbers, AuthGetResponse, AuthNumbers, BacsNumbers, EftNumbers, InternationalNumbers,
};
pub use api::bank_transfer::{
    BANK_TRANSFER_EVENT_SYNC_MAX_COUNT, BankTransferDirection, BankTransferEvent,
    BankTransferEventSyncResponse, BankTransferEventType, BankTransferFailure, BankTransferType,
};
pub use api::item::{
    AuthMethod, Item, ItemGetResponse, ItemPublicTokenExchangeResponse, ItemRemoveResponse,
    ItemStatus, LastWebhook, UpdateType,
};
pub use api::link::{
    LinkTokenAuth, LinkTokenCreateRequest, LinkTokenCreateResponse, LinkTokenUser,
    RerouteToCredentials,
};
pub use api::products::{CountryCode, Product};
pub use api::sandbox::{
    SANDBOX_AUTOMATED_MICRODEPOSITS_INSTITUTION, SandboxBankTransferSimulateRequest,
    SandboxItemFireWebhookResponse, SandboxItemResetLoginResponse, SandboxPublicTokenCreateOptions,
    SandboxPublicTokenCreateRequest, SandboxPublicTokenCreateResponse,
};
pub use api::transfer::{
    TRANSFER_EVENT_SYNC_MAX_COUNT, TransferEvent, TransferEventSyncResponse, TransferEventType,
    TransferFailure, TransferType,
};
pub use api::webhook_key::{Jwk, WebhookVerificationKeyGetResponse};
pub use client::{PlaidClient, USER_AGENT};
pub use config::{
    DEFAULT_CONNECT_TIMEOUT, DEFAULT_MAX_RETRIES, DEFAULT_RETRY_BASE, DEFAULT_RETRY_CAP,
    DEFAULT_TIMEOUT, LOCAL_SANDBOX_URL, PLAID_VERSION, PRODUCTION_URL, PlaidClientConfig,
    SANDBOX_URL,
};
pub use error::{PRODUCT_NOT_READY, PlaidApiError, PlaidError};
pub use metrics::PlaidMetrics;
pub use penny_config::Secret;
pub use tokens::{AccessToken, LinkToken, PublicToken};
