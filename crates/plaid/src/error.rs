//! Errors: Plaid's own error object ([`PlaidApiError`]) and the client's error ([`PlaidError`])
//! with the one retry rule every caller shares ([`PlaidError::is_retryable`]).
//!
//! No variant carries a secret: request bodies are never echoed, `Decode` messages drop the
//! offending value, and non-JSON bodies are cut to a short snippet.

use serde::{Deserialize, Serialize};

/// The `error_code` Plaid answers `/auth/get` with before micro-deposit verification finished.
pub const PRODUCT_NOT_READY: &str = "PRODUCT_NOT_READY";

/// Longest body snippet kept in [`PlaidError::Http`].
const SNIPPET_CHARS: usize = 200;

/// Plaid's error object, as returned in an HTTP error body or inside a webhook (reference 3.1).
/// Every field is optional on the wire so that an odd error still parses; the strings are empty
/// when Plaid left them out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaidApiError {
    /// Broad category, e.g. `INVALID_INPUT`, `ITEM_ERROR`, `RATE_LIMIT_EXCEEDED`, `API_ERROR`.
    #[serde(default)]
    pub error_type: String,
    /// The stable code to branch on, e.g. `PRODUCT_NOT_READY`.
    #[serde(default)]
    pub error_code: String,
    /// OAuth item errors only: `OAUTH_INVALID_TOKEN`, `OAUTH_CONSENT_EXPIRED`, `OAUTH_USER_REVOKED`.
    #[serde(default)]
    pub error_code_reason: Option<String>,
    /// Developer-facing text; may change without notice.
    #[serde(default)]
    pub error_message: String,
    /// User-facing text, or null when the error is not the user's business.
    #[serde(default)]
    pub display_message: Option<String>,
    /// The failed request's id (absent in errors delivered inside webhooks).
    #[serde(default)]
    pub request_id: Option<String>,
    /// Link to Plaid's page for this error.
    #[serde(default)]
    pub documentation_url: Option<String>,
    /// Plaid's suggestion for what to do.
    #[serde(default)]
    pub suggested_action: Option<String>,
    /// HTTP status; only present when the error arrives inside a webhook.
    #[serde(default)]
    pub status: Option<u16>,
}

/// Everything a Plaid call can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlaidError {
    /// Plaid answered with its JSON error object.
    #[error(
        "plaid API error (HTTP {status}) {}/{}: {}",
        error.error_type,
        error.error_code,
        error.error_message
    )]
    Api {
        /// HTTP status of the response.
        status: u16,
        /// The parsed error object (boxed to keep `Result<_, PlaidError>` small).
        error: Box<PlaidApiError>,
    },
    /// The request did not complete within the configured timeout.
    #[error("plaid {endpoint}: request timed out")]
    Timeout {
        /// The endpoint path, e.g. `/auth/get`.
        endpoint: &'static str,
    },
    /// The connection could not be established.
    #[error("plaid {endpoint}: connection failed")]
    Connect {
        /// The endpoint path.
        endpoint: &'static str,
        /// The transport error (it names the URL, which holds no credential).
        #[source]
        source: reqwest::Error,
    },
    /// The connection broke after it was established (e.g. reset while reading the response).
    #[error("plaid {endpoint}: transport error")]
    Transport {
        /// The endpoint path.
        endpoint: &'static str,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
    /// An error status whose body is not Plaid's error object (e.g. a proxy's 502 page).
    #[error("plaid {endpoint}: HTTP {status} with a non-Plaid body: {body}")]
    Http {
        /// The endpoint path.
        endpoint: &'static str,
        /// HTTP status.
        status: u16,
        /// The start of the body (at most 200 characters).
        body: String,
    },
    /// A success response whose body does not match the expected shape.
    #[error("plaid {endpoint}: cannot decode the response: {message}")]
    Decode {
        /// The endpoint path.
        endpoint: &'static str,
        /// What did not match (values from the body are left out on purpose).
        message: String,
    },
    /// The request body could not be encoded (cannot happen with this crate's types).
    #[error("plaid {endpoint}: cannot encode the request: {message}")]
    Encode {
        /// The endpoint path.
        endpoint: &'static str,
        /// Why.
        message: String,
    },
    /// The client configuration is unusable (bad base URL, empty credentials, ...).
    #[error("invalid plaid client configuration: {0}")]
    InvalidConfig(String),
}

impl PlaidError {
    /// The one retry rule: HTTP 429, 500, 502, 503 and 504 (Plaid's or a proxy's), timeouts and
    /// connection/transport errors are worth retrying; every other status (all other 4xx, 501),
    /// undecodable success bodies and configuration errors are not.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Api { status, .. } | Self::Http { status, .. } => retryable_status(*status),
            Self::Timeout { .. } | Self::Connect { .. } | Self::Transport { .. } => true,
            Self::Decode { .. } | Self::Encode { .. } | Self::InvalidConfig(_) => false,
        }
    }

    /// The Plaid error object, when Plaid sent one.
    pub fn api_error(&self) -> Option<&PlaidApiError> {
        match self {
            Self::Api { error, .. } => Some(error),
            _ => None,
        }
    }

    /// Plaid's `error_code`, e.g. `INVALID_ACCESS_TOKEN`.
    pub fn error_code(&self) -> Option<&str> {
        self.api_error().map(|e| e.error_code.as_str())
    }

    /// Plaid's `error_type`, e.g. `INVALID_INPUT`.
    pub fn error_type(&self) -> Option<&str> {
        self.api_error().map(|e| e.error_type.as_str())
    }

    /// The HTTP status, when a response arrived.
    pub fn http_status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } | Self::Http { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Plaid's `request_id` of the failed request, when Plaid sent one.
    pub fn request_id(&self) -> Option<&str> {
        self.api_error().and_then(|e| e.request_id.as_deref())
    }

    /// True for `PRODUCT_NOT_READY`: `/auth/get` before micro-deposit verification finished.
    pub fn is_product_not_ready(&self) -> bool {
        self.error_code() == Some(PRODUCT_NOT_READY)
    }

    /// Builds the error for an HTTP error response from its status and raw body.
    pub(crate) fn from_error_response(endpoint: &'static str, status: u16, body: &[u8]) -> Self {
        match serde_json::from_slice::<PlaidApiError>(body) {
            Ok(error) if !error.error_code.is_empty() => Self::Api {
                status,
                error: Box::new(error),
            },
            _ => Self::Http {
                endpoint,
                status,
                body: snippet(body),
            },
        }
    }

    /// Builds a [`PlaidError::Decode`] without the value that failed to parse.
    pub(crate) fn decode(endpoint: &'static str, err: &serde_json::Error) -> Self {
        Self::Decode {
            endpoint,
            message: sanitize_json_error(err),
        }
    }

    /// Classifies a transport error.
    pub(crate) fn from_reqwest(endpoint: &'static str, err: reqwest::Error) -> Self {
        if err.is_timeout() {
            Self::Timeout { endpoint }
        } else if err.is_connect() {
            Self::Connect {
                endpoint,
                source: err,
            }
        } else {
            Self::Transport {
                endpoint,
                source: err,
            }
        }
    }
}

/// Statuses worth retrying.
fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 500 | 502 | 503 | 504)
}

/// The first [`SNIPPET_CHARS`] characters of a body, lossily decoded, control characters dropped.
fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .filter(|c| !c.is_control() || *c == ' ')
        .take(SNIPPET_CHARS)
        .collect()
}

/// serde_json quotes the offending value in "invalid type/value" messages (which could be an
/// account number); keep only what was expected and where.
pub(crate) fn sanitize_json_error(err: &serde_json::Error) -> String {
    let full = err.to_string();
    let position = format!("line {} column {}", err.line(), err.column());
    if full.starts_with("missing field") || full.starts_with("duplicate field") {
        return full;
    }
    // Messages look like "invalid type: string \"…\", expected u64 at line 1 column 9".
    if let Some(idx) = full.find(", expected ") {
        let expected = full[idx + 2..]
            .trim_end_matches(&format!(" at {position}"))
            .to_owned();
        return format!(
            "{:?} error (value hidden), {expected} at {position}",
            err.classify()
        );
    }
    format!("{:?} error at {position}", err.classify())
}

#[cfg(test)]
mod tests;
