//! Every way a webhook request can fail, with its HTTP status, a stable machine-readable code
//! and a fixed human message. Responses are `{"error": {"code": "...", "message": "..."}}` and
//! never echo the key, the expected hash or any request data.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Why a webhook request was not accepted. Each variant is counted under its [`Rejection::code`]
/// in `penny_ingress_webhooks_rejected_total{reason=...}`.
///
/// A webhook whose `environment` differs from the configured one answers **400**: the request is
/// authentic (Plaid signed it) but not meant for this deployment, which is a content error, not
/// an authentication failure. A webhook without `environment` is accepted (older payloads omit it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// `Content-Type` is not JSON (415).
    #[error("content type must be application/json")]
    UnsupportedMediaType,
    /// The body exceeds the configured limit (413).
    #[error("request body too large")]
    BodyTooLarge,
    /// The body could not be read from the connection (400).
    #[error("request body could not be read")]
    BodyRead,
    /// The body did not arrive within the body-read timeout (408): a stalled or trickling
    /// client must not hold an in-flight slot that Plaid's webhooks need.
    #[error("request body not received in time")]
    BodyReadTimeout,
    /// No `Plaid-Verification` header, or an empty one (401).
    #[error("missing Plaid-Verification header")]
    MissingSignature,
    /// Not a compact JWS with a readable JSON header (401).
    #[error("malformed Plaid-Verification token")]
    MalformedToken,
    /// The JOSE header's `alg` is not `ES256` (401).
    #[error("token algorithm must be ES256")]
    UnsupportedAlg,
    /// The JOSE header has no `kid` (401).
    #[error("token header has no kid")]
    MissingKid,
    /// Plaid does not know the key id (401).
    #[error("unknown verification key")]
    UnknownKey,
    /// The key exists but Plaid marked it expired (401).
    #[error("verification key expired")]
    KeyExpired,
    /// Plaid returned a key that is not an EC P-256 signing key (401).
    #[error("verification key is not an ES256 key")]
    UnusableKey,
    /// The signature does not verify with the key (401).
    #[error("signature verification failed")]
    BadSignature,
    /// The token's claims are not the expected JSON (401).
    #[error("token claims are malformed")]
    InvalidClaims,
    /// No `iat` claim (401).
    #[error("token has no iat claim")]
    MissingIat,
    /// `iat` is older than the allowed age (401).
    #[error("token is too old")]
    StaleIat,
    /// `iat` is further in the future than the allowed clock skew (401).
    #[error("token is issued in the future")]
    FutureIat,
    /// No `request_body_sha256` claim (401).
    #[error("token has no request_body_sha256 claim")]
    MissingBodyHash,
    /// The body's SHA-256 differs from the claim (401).
    #[error("request body does not match the signed hash")]
    BodyHashMismatch,
    /// The body is not a JSON object (400).
    #[error("body is not a JSON object")]
    InvalidJson,
    /// The JSON has no string `webhook_type` (400).
    #[error("webhook_type is missing")]
    MissingWebhookType,
    /// The JSON has no string `webhook_code` (400).
    #[error("webhook_code is missing")]
    MissingWebhookCode,
    /// The JSON's `environment` is not the configured Plaid environment (400).
    #[error("webhook environment does not match this deployment")]
    EnvironmentMismatch,
    /// The verification key could not be fetched: Plaid 5xx/429, timeout, network (503).
    #[error("verification key temporarily unavailable")]
    KeyFetchUnavailable,
    /// The signature could not be checked: the verification threads are gone (503).
    #[error("signature verification temporarily unavailable")]
    VerifierUnavailable,
    /// Too many unknown key ids looked up recently (503; Plaid retries later).
    #[error("too many unknown key lookups, retry later")]
    KeyFetchThrottled,
    /// The NATS connection is down (503).
    #[error("message bus unavailable")]
    NatsUnavailable,
    /// No PubAck within the publish timeout (503).
    #[error("message bus did not acknowledge in time")]
    PublishTimeout,
    /// The stream is full or storage is exhausted (503).
    #[error("message stream is full")]
    StreamFull,
    /// The stream does not exist (503).
    #[error("message stream unavailable")]
    StreamUnavailable,
    /// Any other publish failure (503).
    #[error("publish failed")]
    PublishFailed,
    /// Too many requests in flight; shed (503).
    #[error("overloaded, retry later")]
    Overloaded,
    /// No such route (404).
    #[error("not found")]
    NotFound,
    /// Wrong HTTP method for the route (405).
    #[error("method not allowed")]
    MethodNotAllowed,
}

impl Rejection {
    /// Every variant, for pre-registering metrics and for tests.
    pub const ALL: [Rejection; 33] = [
        Self::UnsupportedMediaType,
        Self::BodyTooLarge,
        Self::BodyRead,
        Self::BodyReadTimeout,
        Self::MissingSignature,
        Self::MalformedToken,
        Self::UnsupportedAlg,
        Self::MissingKid,
        Self::UnknownKey,
        Self::KeyExpired,
        Self::UnusableKey,
        Self::BadSignature,
        Self::InvalidClaims,
        Self::MissingIat,
        Self::StaleIat,
        Self::FutureIat,
        Self::MissingBodyHash,
        Self::BodyHashMismatch,
        Self::InvalidJson,
        Self::MissingWebhookType,
        Self::MissingWebhookCode,
        Self::EnvironmentMismatch,
        Self::KeyFetchUnavailable,
        Self::KeyFetchThrottled,
        Self::VerifierUnavailable,
        Self::NatsUnavailable,
        Self::PublishTimeout,
        Self::StreamFull,
        Self::StreamUnavailable,
        Self::PublishFailed,
        Self::Overloaded,
        Self::NotFound,
        Self::MethodNotAllowed,
    ];

    /// The stable code in the response body and the `reason` metric label.
    pub fn code(self) -> &'static str {
        match self {
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::BodyTooLarge => "body_too_large",
            Self::BodyRead => "body_read_failed",
            Self::BodyReadTimeout => "body_read_timeout",
            Self::MissingSignature => "missing_signature",
            Self::MalformedToken => "malformed_token",
            Self::UnsupportedAlg => "unsupported_alg",
            Self::MissingKid => "missing_kid",
            Self::UnknownKey => "unknown_key",
            Self::KeyExpired => "key_expired",
            Self::UnusableKey => "unusable_key",
            Self::BadSignature => "bad_signature",
            Self::InvalidClaims => "invalid_claims",
            Self::MissingIat => "missing_iat",
            Self::StaleIat => "stale_iat",
            Self::FutureIat => "future_iat",
            Self::MissingBodyHash => "missing_body_hash",
            Self::BodyHashMismatch => "body_hash_mismatch",
            Self::InvalidJson => "invalid_json",
            Self::MissingWebhookType => "missing_webhook_type",
            Self::MissingWebhookCode => "missing_webhook_code",
            Self::EnvironmentMismatch => "environment_mismatch",
            Self::KeyFetchUnavailable => "key_fetch_unavailable",
            Self::KeyFetchThrottled => "key_fetch_throttled",
            Self::VerifierUnavailable => "verifier_unavailable",
            Self::NatsUnavailable => "nats_unavailable",
            Self::PublishTimeout => "publish_timeout",
            Self::StreamFull => "stream_full",
            Self::StreamUnavailable => "stream_unavailable",
            Self::PublishFailed => "publish_failed",
            Self::Overloaded => "overloaded",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
        }
    }

    /// The HTTP status answered. 401 for anything that fails authentication, 503 for anything
    /// Plaid should retry.
    pub fn status(self) -> StatusCode {
        match self {
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BodyReadTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::BodyRead
            | Self::InvalidJson
            | Self::MissingWebhookType
            | Self::MissingWebhookCode
            | Self::EnvironmentMismatch => StatusCode::BAD_REQUEST,
            Self::MissingSignature
            | Self::MalformedToken
            | Self::UnsupportedAlg
            | Self::MissingKid
            | Self::UnknownKey
            | Self::KeyExpired
            | Self::UnusableKey
            | Self::BadSignature
            | Self::InvalidClaims
            | Self::MissingIat
            | Self::StaleIat
            | Self::FutureIat
            | Self::MissingBodyHash
            | Self::BodyHashMismatch => StatusCode::UNAUTHORIZED,
            Self::KeyFetchUnavailable
            | Self::KeyFetchThrottled
            | Self::VerifierUnavailable
            | Self::NatsUnavailable
            | Self::PublishTimeout
            | Self::StreamFull
            | Self::StreamUnavailable
            | Self::PublishFailed
            | Self::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        }
    }
}

/// The JSON error body: `{"error": {"code": "...", "message": "..."}}`.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    /// The error object.
    pub error: ErrorDetail,
}

/// The inner error object.
#[derive(Debug, Serialize)]
pub struct ErrorDetail {
    /// Stable machine-readable reason, see [`Rejection::code`].
    pub code: &'static str,
    /// Fixed human-readable text; never contains request data.
    pub message: String,
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
            },
        };
        let mut response = (self.status(), Json(body)).into_response();
        if self.status() == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from_static("1"),
            );
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::Rejection;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique() {
        let codes: HashSet<_> = Rejection::ALL.iter().map(|r| r.code()).collect();
        assert_eq!(codes.len(), Rejection::ALL.len());
    }
}
