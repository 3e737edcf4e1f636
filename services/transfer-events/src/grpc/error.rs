//! The API's one error enum, [`ApiError`], mapped once to a gRPC status: bad input →
//! `INVALID_ARGUMENT` naming the field, an account penny never saw → `NOT_FOUND`, anything else
//! → `INTERNAL` (logged here, once, with its chain; answered with a generic message). Bearer
//! tokens and scopes are checked before any of it (`UNAUTHENTICATED`, `PERMISSION_DENIED`).

use tonic::Status;

/// Longest account id accepted.
const MAX_ID_LEN: usize = 256;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A request field is malformed.
    #[error("{field}: {problem}")]
    InvalidArgument {
        /// The field.
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// penny neither linked the account nor recorded an event of it.
    #[error("account {0} is not known: never linked and no event recorded")]
    AccountNotFound(String),
    /// The database failed.
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// `INVALID_ARGUMENT` naming `field`.
    pub fn invalid(field: &'static str, problem: impl Into<String>) -> Self {
        Self::InvalidArgument {
            field,
            problem: problem.into(),
        }
    }
}

impl From<ApiError> for Status {
    fn from(error: ApiError) -> Status {
        match error {
            ApiError::InvalidArgument { .. } => Status::invalid_argument(error.to_string()),
            ApiError::AccountNotFound(_) => Status::not_found(error.to_string()),
            ApiError::Internal(e) => {
                tracing::error!(error = %format!("{e:#}"), "internal error");
                Status::internal("internal error")
            }
        }
    }
}

/// Checks an account id: non-empty, at most 256 characters, printable ASCII without spaces.
pub fn account_id(value: &str) -> Result<&str, ApiError> {
    let field = "account_id";
    if value.is_empty() {
        return Err(ApiError::invalid(field, "is required"));
    }
    if value.len() > MAX_ID_LEN {
        return Err(ApiError::invalid(field, "is longer than 256 characters"));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::invalid(
            field,
            "must be printable ASCII without spaces",
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use tonic::Code;

    use super::*;

    #[test]
    fn errors_map_to_precise_codes_and_name_the_field() {
        let s = Status::from(ApiError::invalid("page_size", "at most 500"));
        assert_eq!(s.code(), Code::InvalidArgument);
        assert_eq!(s.message(), "page_size: at most 500");
        assert_eq!(
            Status::from(ApiError::AccountNotFound("a".into())).code(),
            Code::NotFound
        );
        let internal = Status::from(ApiError::Internal(anyhow::anyhow!("db password=x")));
        assert_eq!(internal.code(), Code::Internal);
        assert_eq!(internal.message(), "internal error");
    }

    #[test]
    fn account_ids_are_checked() {
        assert!(account_id("").is_err());
        assert!(account_id("has space").is_err());
        assert!(account_id(&"a".repeat(257)).is_err());
        assert_eq!(account_id("acc-1").unwrap(), "acc-1");
    }
}
