//! Lenient parsing of Plaid webhook bodies (reference 4). [`Webhook`] keeps the routing keys
//! (`webhook_type`, `webhook_code`), the common ids, a lenient `error`, and every other field in
//! [`Webhook::extra`]; [`Webhook::event`] gives typed views of the AUTH, ITEM, BANK_TRANSFERS and
//! TRANSFER webhooks penny handles.
//!
//! Parsing does not verify the `Plaid-Verification` signature; do that on the raw bytes first.

mod event;

use serde::{Deserialize, Serialize};

use crate::error::PlaidApiError;

pub use event::{AuthEvent, ItemEvent, WebhookEvent};

/// `webhook_type` of Auth webhooks.
pub const TYPE_AUTH: &str = "AUTH";
/// `webhook_type` of Item webhooks.
pub const TYPE_ITEM: &str = "ITEM";
/// `webhook_type` of the micro-deposit events poke.
pub const TYPE_BANK_TRANSFERS: &str = "BANK_TRANSFERS";
/// `webhook_type` of the Plaid Transfer events poke.
pub const TYPE_TRANSFER: &str = "TRANSFER";

/// A parsed webhook body. Unknown fields land in [`Webhook::extra`]; only `webhook_type` and
/// `webhook_code` are required.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    /// e.g. `AUTH`, `ITEM`, `BANK_TRANSFERS`.
    pub webhook_type: String,
    /// e.g. `AUTOMATICALLY_VERIFIED`, `ERROR`, `BANK_TRANSFERS_EVENTS_UPDATE`.
    pub webhook_code: String,
    /// The Item, for Item-level webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_id: Option<String>,
    /// The account, for account-level webhooks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// `sandbox` or `production` (older examples leave it out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// The error: Plaid's error object, a bare error code, or null/absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<WebhookError>,
    /// Every other field, as sent.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The `error` of a webhook: the spec's error object, or (in the `Fallback…` AUTH schemas) a
/// bare error code string.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum WebhookError {
    /// Plaid's error object (its `status` field is set in webhooks).
    Object(PlaidApiError),
    /// A bare `error_code`.
    Code(String),
}

impl WebhookError {
    /// The error code, whichever form it came in.
    pub fn code(&self) -> &str {
        match self {
            Self::Object(error) => &error.error_code,
            Self::Code(code) => code,
        }
    }

    /// The error object, when it came as one.
    pub fn as_api_error(&self) -> Option<&PlaidApiError> {
        match self {
            Self::Object(error) => Some(error),
            Self::Code(_) => None,
        }
    }
}

/// A webhook body that is not even a lenient webhook.
#[derive(Debug, thiserror::Error)]
pub enum WebhookParseError {
    /// Not JSON, or `webhook_type`/`webhook_code` missing or not strings.
    #[error("invalid webhook body: {0}")]
    Invalid(String),
    /// A typed view needs a field the body lacks (e.g. `account_id` on `AUTOMATICALLY_VERIFIED`).
    #[error("{webhook_type}/{webhook_code} webhook lacks required field `{field}`")]
    MissingField {
        /// The webhook's type.
        webhook_type: String,
        /// The webhook's code.
        webhook_code: String,
        /// The missing field.
        field: &'static str,
    },
}

impl Webhook {
    /// Parses a raw body leniently.
    pub fn parse(body: &[u8]) -> Result<Self, WebhookParseError> {
        serde_json::from_slice(body)
            .map_err(|e| WebhookParseError::Invalid(crate::error::sanitize_json_error(&e)))
    }

    /// The error code of `error`, if any (empty codes count as none).
    pub fn error_code(&self) -> Option<&str> {
        self.error
            .as_ref()
            .map(WebhookError::code)
            .filter(|c| !c.is_empty())
    }

    /// A field from [`Webhook::extra`] as a string.
    pub fn extra_str(&self, field: &str) -> Option<&str> {
        self.extra.get(field).and_then(serde_json::Value::as_str)
    }

    /// True for `ITEM`/`ERROR` with `ITEM_LOGIN_REQUIRED`: send the user through update mode.
    pub fn is_item_login_required(&self) -> bool {
        self.webhook_type == TYPE_ITEM
            && self.webhook_code == "ERROR"
            && self.error_code() == Some("ITEM_LOGIN_REQUIRED")
    }
}

#[cfg(test)]
mod tests;
