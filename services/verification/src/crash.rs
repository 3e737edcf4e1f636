//! Test-only fault injection: abort the process at a chosen point of the
//! `AUTOMATICALLY_VERIFIED` handler, so crash tests can prove that a crash between `/auth/get`
//! and the commit, or between the commit and the ack, loses nothing and duplicates nothing.
//!
//! Set with the hidden `--crash-at` flag / `PENNY_VERIFICATION_CRASH_AT`. Never set it in
//! production.

use std::fmt;
use std::str::FromStr;

/// Where to abort.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashPoint {
    /// After `/auth/get` returned the numbers, before the transaction that stores them.
    AfterAuthGet,
    /// After the transaction committed, before the message is acked.
    AfterCommit,
}

impl CrashPoint {
    /// The flag value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AfterAuthGet => "after-auth-get",
            Self::AfterCommit => "after-commit",
        }
    }
}

impl fmt::Display for CrashPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CrashPoint {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "after-auth-get" => Ok(Self::AfterAuthGet),
            "after-commit" => Ok(Self::AfterCommit),
            other => Err(format!(
                "unknown crash point {other:?} (after-auth-get | after-commit)"
            )),
        }
    }
}

/// Aborts the process if `configured` is `here`.
pub fn maybe_crash(configured: Option<CrashPoint>, here: CrashPoint) {
    if configured == Some(here) {
        tracing::error!(crash_at = %here, "fault injection: aborting the process");
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_points_and_rejects_others() {
        for p in [CrashPoint::AfterAuthGet, CrashPoint::AfterCommit] {
            assert_eq!(p.as_str().parse::<CrashPoint>().unwrap(), p);
        }
        assert!("before-lunch".parse::<CrashPoint>().is_err());
        maybe_crash(None, CrashPoint::AfterCommit);
        maybe_crash(Some(CrashPoint::AfterAuthGet), CrashPoint::AfterCommit);
    }
}
