//! gRPC status codes: argument validation (`INVALID_ARGUMENT` naming the field) and the mapping
//! of [`VerifierError`] (unknown ids → `NOT_FOUND`, state problems → `FAILED_PRECONDITION`,
//! Plaid 429/5xx and spent budget → `UNAVAILABLE`, ...). Internal errors are logged here, once,
//! with their chain, and answered with a generic message.

use penny_plaid::PlaidError;
use tonic::{Code, Status};

use crate::verifier::VerifierError;

/// Longest id or user id accepted.
const MAX_ID_LEN: usize = 256;

/// `INVALID_ARGUMENT` naming `field`.
pub fn invalid(field: &str, problem: &str) -> Status {
    Status::invalid_argument(format!("{field}: {problem}"))
}

/// Checks an identifier-like field: non-empty, at most 256 characters, printable ASCII without
/// spaces.
pub fn id_field<'a>(field: &str, value: &'a str) -> Result<&'a str, Status> {
    if value.is_empty() {
        return Err(invalid(field, "is required"));
    }
    if value.len() > MAX_ID_LEN {
        return Err(invalid(field, "is longer than 256 characters"));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(field, "must be printable ASCII without spaces"));
    }
    Ok(value)
}

/// Checks a user id: an id, and not an e-mail address (Plaid rejects PII in `client_user_id`).
pub fn user_id_field<'a>(field: &str, value: &'a str) -> Result<&'a str, Status> {
    let value = id_field(field, value)?;
    if value.contains('@') {
        return Err(invalid(
            field,
            "must be the app's own user id, not an e-mail address",
        ));
    }
    Ok(value)
}

/// The status for a failed use case.
pub fn status(error: VerifierError) -> Status {
    match error {
        VerifierError::ItemNotFound(_) | VerifierError::AccountNotFound(_) => {
            Status::not_found(error.to_string())
        }
        VerifierError::NotVerified { .. }
        | VerifierError::NumbersMissing(_)
        | VerifierError::Revoked(_)
        | VerifierError::CannotUpdate { .. }
        | VerifierError::GoneAtPlaid(_)
        | VerifierError::UserMismatch => Status::failed_precondition(error.to_string()),
        VerifierError::ExchangeInProgress | VerifierError::Conflict => {
            Status::aborted(error.to_string())
        }
        VerifierError::Duplicate => Status::already_exists(error.to_string()),
        VerifierError::RateLimited { .. } => Status::unavailable(error.to_string()),
        VerifierError::Plaid { call, source } => plaid_status(call, &source),
        VerifierError::Internal(e) => {
            tracing::error!(error = %format!("{e:#}"), "internal error");
            Status::internal("internal error")
        }
    }
}

/// The status for a Plaid error from `call`.
pub fn plaid_status(call: &str, error: &PlaidError) -> Status {
    let code = error.error_code().unwrap_or_default();
    let message = format!("Plaid {call}: {error}");
    let grpc = match code {
        "INVALID_PUBLIC_TOKEN" => {
            return Status::invalid_argument(
                "public_token: invalid or expired (Plaid INVALID_PUBLIC_TOKEN)",
            );
        }
        "INVALID_FIELD" | "MISSING_FIELDS" | "INVALID_INPUT" => Code::InvalidArgument,
        "ITEM_LOGIN_REQUIRED"
        | "PRODUCT_NOT_READY"
        | "INVALID_ACCESS_TOKEN"
        | "ITEM_LOCKED"
        | "USER_PERMISSION_REVOKED"
        | "INVALID_ACCOUNT_ID" => Code::FailedPrecondition,
        _ if error.is_retryable() => Code::Unavailable,
        _ => {
            tracing::error!(%message, "unexpected Plaid error");
            Code::Internal
        }
    };
    Status::new(grpc, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_named_in_invalid_arguments() {
        let e = id_field("account_id", "").unwrap_err();
        assert_eq!(e.code(), Code::InvalidArgument);
        assert!(e.message().starts_with("account_id:"));
        assert!(id_field("item_id", "has space").is_err());
        assert!(id_field("item_id", &"x".repeat(300)).is_err());
        assert!(user_id_field("user_id", "ann@example.com").is_err());
        assert_eq!(user_id_field("user_id", "u-1").unwrap(), "u-1");
    }

    fn plaid(status: u16, error_type: &str, code: &str) -> PlaidError {
        PlaidError::Api {
            status,
            error: Box::new(penny_plaid::PlaidApiError {
                error_type: error_type.into(),
                error_code: code.into(),
                error_message: "m".into(),
                ..Default::default()
            }),
        }
    }

    #[test]
    fn plaid_errors_map_to_precise_codes() {
        let cases = [
            (
                400,
                "INVALID_INPUT",
                "INVALID_PUBLIC_TOKEN",
                Code::InvalidArgument,
            ),
            (429, "RATE_LIMIT_EXCEEDED", "RATE_LIMIT", Code::Unavailable),
            (500, "API_ERROR", "INTERNAL_SERVER_ERROR", Code::Unavailable),
            (503, "API_ERROR", "PLANNED_MAINTENANCE", Code::Unavailable),
            (
                400,
                "ITEM_ERROR",
                "ITEM_LOGIN_REQUIRED",
                Code::FailedPrecondition,
            ),
            (
                400,
                "INVALID_INPUT",
                "INVALID_ACCESS_TOKEN",
                Code::FailedPrecondition,
            ),
            (
                400,
                "INVALID_REQUEST",
                "INVALID_FIELD",
                Code::InvalidArgument,
            ),
            (400, "INVALID_REQUEST", "UNKNOWN_FIELDS", Code::Internal),
        ];
        for (http, error_type, code, want) in cases {
            let got = plaid_status("/x", &plaid(http, error_type, code));
            assert_eq!(got.code(), want, "{code}");
        }
        let public = plaid_status(
            "/item/public_token/exchange",
            &plaid(400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN"),
        );
        assert!(public.message().starts_with("public_token:"));
        let timeout = PlaidError::Timeout {
            endpoint: "/auth/get",
        };
        assert_eq!(
            plaid_status("/auth/get", &timeout).code(),
            Code::Unavailable
        );
    }

    #[test]
    fn use_case_errors_map_to_precise_codes() {
        assert_eq!(
            status(VerifierError::AccountNotFound("a".into())).code(),
            Code::NotFound
        );
        assert_eq!(
            status(VerifierError::Revoked("i".into())).code(),
            Code::FailedPrecondition
        );
        assert_eq!(
            status(VerifierError::RateLimited {
                retry_after: std::time::Duration::from_secs(1)
            })
            .code(),
            Code::Unavailable
        );
        assert_eq!(
            status(VerifierError::Internal(anyhow::anyhow!("db down"))).message(),
            "internal error"
        );
    }
}
