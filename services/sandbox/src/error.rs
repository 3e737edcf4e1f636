//! Plaid's error object: the errors the sandbox answers with, and their wire form.

use axum::http::StatusCode;
use serde::Serialize;

/// A Plaid API error (`error_type` / `error_code`) with its HTTP status.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{error_type}/{error_code}: {message}")]
pub struct ApiError {
    /// HTTP status of the response.
    pub status: StatusCode,
    /// Plaid `error_type`, e.g. `INVALID_REQUEST`.
    pub error_type: &'static str,
    /// Plaid `error_code`, e.g. `MISSING_FIELDS`.
    pub error_code: &'static str,
    /// Developer-facing `error_message`.
    pub message: String,
    /// User-facing `display_message`, when the error concerns the user.
    pub display_message: Option<&'static str>,
}

/// The HTTP error body (request_id present, `status` absent).
#[derive(Serialize)]
struct ErrorBody<'a> {
    error_type: &'a str,
    error_code: &'a str,
    error_code_reason: Option<&'a str>,
    error_message: &'a str,
    display_message: Option<&'a str>,
    request_id: &'a str,
    causes: [(); 0],
    documentation_url: String,
    suggested_action: Option<&'a str>,
}

/// The error object inside webhooks and `/item/get` (no request_id, with `status`).
#[derive(Serialize)]
pub struct EmbeddedError<'a> {
    error_type: &'a str,
    error_code: &'a str,
    error_code_reason: Option<&'a str>,
    error_message: &'a str,
    display_message: Option<&'a str>,
    causes: [(); 0],
    status: Option<u16>,
    documentation_url: String,
    suggested_action: Option<&'a str>,
}

impl ApiError {
    fn new(status: u16, error_type: &'static str, code: &'static str, msg: String) -> Self {
        Self {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            error_type,
            error_code: code,
            message: msg,
            display_message: None,
        }
    }

    /// Serializes the HTTP error body.
    pub fn body(&self, request_id: &str) -> Vec<u8> {
        let body = ErrorBody {
            error_type: self.error_type,
            error_code: self.error_code,
            error_code_reason: None,
            error_message: &self.message,
            display_message: self.display_message,
            request_id,
            causes: [],
            documentation_url: documentation_url(self.error_type, self.error_code),
            suggested_action: None,
        };
        serde_json::to_vec(&body).unwrap_or_default()
    }

    /// The error object as embedded in a webhook (`status` set) or `/item/get` (`status` null).
    pub fn embedded(&self, with_status: bool) -> EmbeddedError<'_> {
        EmbeddedError {
            error_type: self.error_type,
            error_code: self.error_code,
            error_code_reason: None,
            error_message: &self.message,
            display_message: self.display_message,
            causes: [],
            status: with_status.then_some(self.status.as_u16()),
            documentation_url: documentation_url(self.error_type, self.error_code),
            suggested_action: None,
        }
    }

    /// `INVALID_REQUEST / INVALID_BODY`: the body is not a JSON object.
    pub fn invalid_body() -> Self {
        Self::new(
            400,
            "INVALID_REQUEST",
            "INVALID_BODY",
            "body could not be parsed as valid JSON".into(),
        )
    }

    /// `INVALID_REQUEST / MISSING_FIELDS` naming the fields.
    pub fn missing_fields(fields: &[String]) -> Self {
        Self::new(
            400,
            "INVALID_REQUEST",
            "MISSING_FIELDS",
            format!(
                "the following required fields are missing: {}",
                fields.join(", ")
            ),
        )
    }

    /// `INVALID_REQUEST / UNKNOWN_FIELDS` naming the fields.
    pub fn unknown_fields(fields: &[String]) -> Self {
        Self::new(
            400,
            "INVALID_REQUEST",
            "UNKNOWN_FIELDS",
            format!(
                "the following fields are not recognized by this endpoint: {}",
                fields.join(", ")
            ),
        )
    }

    /// `INVALID_REQUEST / INVALID_FIELD` with a message naming the field.
    pub fn invalid_field(message: impl Into<String>) -> Self {
        Self::new(400, "INVALID_REQUEST", "INVALID_FIELD", message.into())
    }

    /// `INVALID_INPUT / INVALID_API_KEYS`.
    pub fn invalid_api_keys() -> Self {
        Self::new(
            400,
            "INVALID_INPUT",
            "INVALID_API_KEYS",
            "invalid client_id or secret provided".into(),
        )
    }

    /// `INVALID_INPUT / INVALID_ACCESS_TOKEN`.
    pub fn invalid_access_token() -> Self {
        Self::new(
            400,
            "INVALID_INPUT",
            "INVALID_ACCESS_TOKEN",
            "could not find matching access token".into(),
        )
    }

    /// `INVALID_INPUT / INVALID_PUBLIC_TOKEN` with the reason.
    pub fn invalid_public_token(message: &str) -> Self {
        Self::new(400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN", message.into())
    }

    /// `INVALID_INPUT / INVALID_LINK_TOKEN` with the reason.
    pub fn invalid_link_token(message: &str) -> Self {
        Self::new(400, "INVALID_INPUT", "INVALID_LINK_TOKEN", message.into())
    }

    /// `INVALID_INPUT / INVALID_ACCOUNT_ID`.
    pub fn invalid_account_id() -> Self {
        Self::new(
            400,
            "INVALID_INPUT",
            "INVALID_ACCOUNT_ID",
            "one or more of the account IDs is invalid".into(),
        )
    }

    /// `INVALID_INPUT / INVALID_WEBHOOK_VERIFICATION_KEY_ID`.
    pub fn invalid_key_id() -> Self {
        Self::new(
            400,
            "INVALID_INPUT",
            "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
            "invalid key_id provided. note that key_ids are specific to Plaid environments, and verification requests must be made to the same environment that the webhook was sent from".into(),
        )
    }

    /// `INVALID_INPUT / INVALID_INSTITUTION`.
    pub fn invalid_institution() -> Self {
        Self::new(
            400,
            "INVALID_INPUT",
            "INVALID_INSTITUTION",
            "invalid institution_id provided".into(),
        )
    }

    /// `ITEM_ERROR / INVALID_CREDENTIALS` (sandbox username/password not recognised).
    pub fn invalid_credentials() -> Self {
        let mut e = Self::new(
            400,
            "ITEM_ERROR",
            "INVALID_CREDENTIALS",
            "the provided credentials were not correct".into(),
        );
        e.display_message = Some("The provided credentials were not correct. Please try again.");
        e
    }

    /// `ITEM_ERROR / PRODUCT_NOT_READY` (micro-deposit verification pending).
    pub fn product_not_ready() -> Self {
        Self::new(
            400,
            "ITEM_ERROR",
            "PRODUCT_NOT_READY",
            "the requested product is not yet ready. please provide a webhook or try the request again later".into(),
        )
    }

    /// `ITEM_ERROR / NO_AUTH_ACCOUNTS`: what the sandbox answers on `/auth/get` once an
    /// automated micro-deposit verification has expired. Plaid documents that the Item is then
    /// "permanently locked" but not which error `/auth/get` returns; an ITEM_ERROR that is not
    /// PRODUCT_NOT_READY (so callers stop polling) with no verified account is the closest
    /// documented code.
    pub fn verification_expired() -> Self {
        Self::new(
            400,
            "ITEM_ERROR",
            "NO_AUTH_ACCOUNTS",
            "no valid checking or savings account(s) found: micro-deposit verification expired; the user must link the account again".into(),
        )
    }

    /// `ITEM_ERROR / INCORRECT_DEPOSIT_VERIFICATION`: a wrong Same-Day deposit code.
    pub fn incorrect_deposit_verification(left: u8) -> Self {
        let mut e = Self::new(
            400,
            "ITEM_ERROR",
            "INCORRECT_DEPOSIT_VERIFICATION",
            format!("the micro-deposit code entered was incorrect; {left} attempt(s) left"),
        );
        e.display_message = Some("The code you entered is incorrect. Please try again.");
        e
    }

    /// `ITEM_ERROR / TOO_MANY_VERIFICATION_ATTEMPTS`: the Same-Day Item is locked for good.
    pub fn too_many_verification_attempts() -> Self {
        Self::new(
            400,
            "ITEM_ERROR",
            "TOO_MANY_VERIFICATION_ATTEMPTS",
            "too many incorrect micro-deposit codes; the Item is locked and the user must link the account again".into(),
        )
    }

    /// `ITEM_ERROR / ITEM_LOGIN_REQUIRED`.
    pub fn item_login_required() -> Self {
        let mut e = Self::new(
            400,
            "ITEM_ERROR",
            "ITEM_LOGIN_REQUIRED",
            "the login details of this item have changed (credentials, MFA, or required user action) and a user login is required to update this information. use Link's update mode to restore the item to a good state".into(),
        );
        e.display_message = Some(
            "The login details of this account have changed. Please log in again to continue.",
        );
        e
    }

    /// `INVALID_REQUEST / NOT_FOUND` (404): unknown path.
    pub fn not_found() -> Self {
        Self::new(404, "INVALID_REQUEST", "NOT_FOUND", "not found".into())
    }

    /// `RATE_LIMIT_EXCEEDED` (429) with the given code.
    pub fn rate_limit(code: &'static str) -> Self {
        Self::new(
            429,
            "RATE_LIMIT_EXCEEDED",
            code,
            "rate limit exceeded for attempts to access this item. please try again later".into(),
        )
    }

    /// `API_ERROR / INTERNAL_SERVER_ERROR` (500).
    pub fn internal() -> Self {
        Self::new(
            500,
            "API_ERROR",
            "INTERNAL_SERVER_ERROR",
            "an unexpected error occurred".into(),
        )
    }

    /// `API_ERROR / PLANNED_MAINTENANCE` (503).
    pub fn planned_maintenance() -> Self {
        let mut e = Self::new(
            503,
            "API_ERROR",
            "PLANNED_MAINTENANCE",
            "the Plaid API is temporarily unavailable due to planned maintenance. visit https://status.plaid.com/ for more information".into(),
        );
        e.display_message =
            Some("This service is temporarily unavailable. Please try again later.");
        e
    }

    /// `SANDBOX_ERROR` (400) with the given code.
    pub fn sandbox(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(400, "SANDBOX_ERROR", code, message.into())
    }
}

/// Plaid's documentation link for an error, e.g. `https://plaid.com/docs/errors/item/#product_not_ready`.
fn documentation_url(error_type: &str, error_code: &str) -> String {
    let page = error_type
        .strip_suffix("_ERROR")
        .unwrap_or(error_type)
        .to_ascii_lowercase()
        .replace('_', "-");
    format!(
        "https://plaid.com/docs/errors/{page}/#{}",
        error_code.to_ascii_lowercase()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_has_plaid_keys() {
        let body = ApiError::product_not_ready().body("req1");
        let v: serde_json::Value = serde_json::from_slice(&body).expect("json");
        let mut keys: Vec<_> = v.as_object().expect("object").keys().cloned().collect();
        keys.sort();
        assert_eq!(
            keys,
            [
                "causes",
                "display_message",
                "documentation_url",
                "error_code",
                "error_code_reason",
                "error_message",
                "error_type",
                "request_id",
                "suggested_action"
            ]
        );
        assert_eq!(
            v["documentation_url"],
            "https://plaid.com/docs/errors/item/#product_not_ready"
        );
    }

    #[test]
    fn embedded_carries_status_only_when_asked() {
        let e = ApiError::item_login_required();
        let w = serde_json::to_value(e.embedded(true)).expect("json");
        assert_eq!(w["status"], 400);
        assert!(w.get("request_id").is_none());
        let i = serde_json::to_value(e.embedded(false)).expect("json");
        assert!(i["status"].is_null());
    }

    #[test]
    fn messages_name_fields() {
        let e = ApiError::missing_fields(&["a".into(), "b".into()]);
        assert!(e.message.ends_with("a, b"));
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert_eq!(ApiError::not_found().status, StatusCode::NOT_FOUND);
        assert_eq!(
            ApiError::rate_limit("AUTH_LIMIT").status,
            StatusCode::TOO_MANY_REQUESTS
        );
    }
}
