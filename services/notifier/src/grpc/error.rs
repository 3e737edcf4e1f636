//! gRPC status codes for [`NotifierError`]: bad input → `INVALID_ARGUMENT` naming the field,
//! unknown contact → `NOT_FOUND`, a concurrent change → `ABORTED`; internal errors are logged
//! here, once, with their chain, and answered with a generic message.

use tonic::Status;

use crate::notifier::NotifierError;

/// The status for a failed use case.
pub fn status(error: NotifierError) -> Status {
    match error {
        NotifierError::Invalid(e) => Status::invalid_argument(e.to_string()),
        NotifierError::ContactNotFound(_) => Status::not_found(error.to_string()),
        NotifierError::Duplicate => Status::aborted("changed concurrently; try again"),
        NotifierError::AccountUnknown { .. } => Status::failed_precondition(error.to_string()),
        NotifierError::Internal(e) => {
            tracing::error!(error = %format!("{e:#}"), "internal error");
            Status::internal("internal error")
        }
    }
}

/// `INVALID_ARGUMENT` naming `field`.
pub fn invalid(field: &str, problem: &str) -> Status {
    Status::invalid_argument(format!("{field}: {problem}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contact::FieldError;

    #[test]
    fn codes() {
        let s = status(
            FieldError {
                field: "phone".into(),
                problem: "must be E.164".into(),
            }
            .into(),
        );
        assert_eq!(s.code(), tonic::Code::InvalidArgument);
        assert_eq!(s.message(), "phone: must be E.164");
        assert_eq!(
            status(NotifierError::ContactNotFound("u".into())).code(),
            tonic::Code::NotFound
        );
        let internal = status(NotifierError::Internal(anyhow::anyhow!("db password=x")));
        assert_eq!(internal.message(), "internal error");
    }
}
