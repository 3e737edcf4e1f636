//! Exit codes scripts can trust, and how an error maps to one. Every command ends with one of:
//!
//! | code | meaning |
//! | --- | --- |
//! | 0 | done |
//! | 1 | failed (an unexpected error; the message says what) |
//! | 2 | usage: a flag or argument is wrong (clap's) |
//! | 3 | not found: the dead letter, account or message named does not exist |
//! | 4 | refused: the service refused the request (invalid argument, precondition, permission), or the operation is not supported |
//! | 5 | unavailable: NATS, a service or a database cannot be reached (retry later) |
//! | 6 | partial: some items of a bulk operation failed, or some sources of a report were unavailable (the output says which) |

use std::fmt;
use std::process::ExitCode;

use penny_bus::DeadLetterError;
use tonic::Code;

/// Why a command failed, as its exit code says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    Failed = 1,
    NotFound = 3,
    Refused = 4,
    Unavailable = 5,
    Partial = 6,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> ExitCode {
        ExitCode::from(self as u8)
    }
}

/// An error that already knows its exit code.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
}

impl Failure {
    /// An error that exits with `exit` and says `message`.
    pub fn error(exit: Exit, message: impl Into<String>) -> anyhow::Error {
        anyhow::Error::new(Self {
            exit,
            message: message.into(),
        })
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// The exit code of `error`: the first cause in its chain that says.
pub fn classify(error: &anyhow::Error) -> Exit {
    for cause in error.chain() {
        if let Some(failure) = cause.downcast_ref::<Failure>() {
            return failure.exit;
        }
        if let Some(status) = cause.downcast_ref::<tonic::Status>() {
            return of_status(status.code());
        }
        if let Some(dead) = cause.downcast_ref::<DeadLetterError>() {
            return match dead {
                DeadLetterError::NotFound(_) => Exit::NotFound,
                DeadLetterError::Malformed(_) => Exit::Refused,
                DeadLetterError::Republish { .. } | DeadLetterError::Nats { .. } => {
                    Exit::Unavailable
                }
            };
        }
        if cause.downcast_ref::<tonic::transport::Error>().is_some()
            || cause.downcast_ref::<penny_bus::ConnectError>().is_some()
            || cause
                .downcast_ref::<sea_orm::DbErr>()
                .is_some_and(is_connection)
        {
            return Exit::Unavailable;
        }
    }
    Exit::Failed
}

fn is_connection(err: &sea_orm::DbErr) -> bool {
    matches!(
        err,
        sea_orm::DbErr::Conn(_) | sea_orm::DbErr::ConnectionAcquire(_)
    )
}

/// The exit code of a gRPC status code.
pub fn of_status(code: Code) -> Exit {
    match code {
        Code::NotFound => Exit::NotFound,
        Code::InvalidArgument
        | Code::FailedPrecondition
        | Code::PermissionDenied
        | Code::Unauthenticated
        | Code::OutOfRange
        | Code::AlreadyExists
        | Code::Unimplemented => Exit::Refused,
        Code::Unavailable | Code::DeadlineExceeded | Code::ResourceExhausted | Code::Aborted => {
            Exit::Unavailable
        }
        _ => Exit::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_their_codes() {
        let not_found = anyhow::Error::new(DeadLetterError::NotFound(7)).context("redriving");
        assert_eq!(classify(&not_found), Exit::NotFound);
        let refused = anyhow::Error::new(tonic::Status::invalid_argument("from: bad"));
        assert_eq!(classify(&refused), Exit::Refused);
        let partial = Failure::error(Exit::Partial, "2 of 5 failed");
        assert_eq!(classify(&partial), Exit::Partial);
        assert_eq!(classify(&anyhow::anyhow!("boom")), Exit::Failed);
        assert_eq!(of_status(Code::Unavailable), Exit::Unavailable);
    }
}
