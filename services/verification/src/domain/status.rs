//! An account's verification state as penny stores it, and the single status the API shows.
//!
//! The stored state has two independent parts: where micro-deposit verification stands
//! ([`Verification`]) and whether the Item needs Link update mode (`login_required`, an Item-level
//! condition Plaid can raise while an account is pending *or* verified, and clear again with
//! `LOGIN_REPAIRED`). Keeping them apart is what lets `LOGIN_REPAIRED` restore the previous status
//! without remembering it separately. [`AccountState::status`] folds them into the API's status.

use std::fmt;
use std::str::FromStr;

use penny_proto::v1 as pb;

/// Where micro-deposit verification of one account stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verification {
    /// The deposit is on its way; Plaid will verify it by itself.
    Pending,
    /// Verified: account and routing numbers are (or are about to be) stored.
    Verified,
    /// Not verified within 7 days; Plaid locked the Item.
    Expired,
    /// Verification failed for good (e.g. Same-Day attempts used up); the user must link again.
    Failed,
    /// The user revoked access or the Item was removed; token and numbers are purged.
    Revoked,
}

impl Verification {
    /// Every value, for exhaustive tests and iteration.
    pub const ALL: [Verification; 5] = [
        Self::Pending,
        Self::Verified,
        Self::Expired,
        Self::Failed,
        Self::Revoked,
    ];

    /// The value stored in the `accounts.verification` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Verified => "verified",
            Self::Expired => "expired",
            Self::Failed => "failed",
            Self::Revoked => "revoked",
        }
    }

    /// Reads Plaid's `verification_status` (from `/accounts/get` or Link metadata).
    ///
    /// `None` for values that say nothing new about verification (`unsent`, unknown values).
    /// Absent/empty means the Item uses no micro-deposit or database verification at all, i.e.
    /// instant Auth, whose numbers are available at once: verified.
    pub fn from_plaid(status: Option<&str>) -> Option<Self> {
        match status.unwrap_or_default() {
            ""
            | "automatically_verified"
            | "manually_verified"
            | "database_matched"
            | "database_insights_pass"
            | "database_insights_pass_with_caution" => Some(Self::Verified),
            "pending_automatic_verification" | "pending_manual_verification" | "unsent" => {
                Some(Self::Pending)
            }
            "verification_expired" => Some(Self::Expired),
            "verification_failed" | "database_insights_fail" => Some(Self::Failed),
            _ => None,
        }
    }
}

impl fmt::Display for Verification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A stored `verification` value that penny does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown verification value {0:?} in the database")]
pub struct UnknownVerification(pub String);

impl FromStr for Verification {
    type Err = UnknownVerification;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownVerification(s.to_owned()))
    }
}

/// The status an account shows through the API (mirrors `penny.v1.AccountStatus`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Waiting for the micro-deposit to be verified.
    Pending,
    /// Verified; numbers readable.
    Verified,
    /// Verification expired; the Item is locked.
    Expired,
    /// Verification failed; link again.
    NeedsRelink,
    /// The Item needs Link update mode.
    NeedsUpdate,
    /// Access revoked or Item removed.
    Revoked,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 6] = [
        Self::Pending,
        Self::Verified,
        Self::Expired,
        Self::NeedsRelink,
        Self::NeedsUpdate,
        Self::Revoked,
    ];

    /// The protobuf enum value.
    pub fn to_proto(self) -> pb::AccountStatus {
        match self {
            Self::Pending => pb::AccountStatus::Pending,
            Self::Verified => pb::AccountStatus::Verified,
            Self::Expired => pb::AccountStatus::Expired,
            Self::NeedsRelink => pb::AccountStatus::NeedsRelink,
            Self::NeedsUpdate => pb::AccountStatus::NeedsUpdate,
            Self::Revoked => pb::AccountStatus::Revoked,
        }
    }

    /// A short lowercase name for logs and the history table.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Verified => "verified",
            Self::Expired => "expired",
            Self::NeedsRelink => "needs_relink",
            Self::NeedsUpdate => "needs_update",
            Self::Revoked => "revoked",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The full state of one account, the input and output of the state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AccountState {
    /// Where verification stands.
    pub verification: Verification,
    /// The Item needs Link update mode (`ITEM_LOGIN_REQUIRED`) until `LOGIN_REPAIRED`.
    pub login_required: bool,
    /// Account numbers are stored for this account.
    pub has_numbers: bool,
}

impl AccountState {
    /// A freshly linked account in the given verification state, with no numbers yet.
    pub fn linked(verification: Verification) -> Self {
        Self {
            verification,
            login_required: false,
            has_numbers: false,
        }
    }

    /// The status the API shows. Final outcomes (revoked, expired, failed) win over the
    /// temporary update-mode condition, which wins over pending/verified.
    pub fn status(&self) -> Status {
        match self.verification {
            Verification::Revoked => Status::Revoked,
            Verification::Expired => Status::Expired,
            Verification::Failed => Status::NeedsRelink,
            _ if self.login_required => Status::NeedsUpdate,
            Verification::Verified => Status::Verified,
            Verification::Pending => Status::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verification_round_trips_through_its_column_value() {
        for v in Verification::ALL {
            assert_eq!(v.as_str().parse::<Verification>().unwrap(), v);
        }
        assert!("bogus".parse::<Verification>().is_err());
    }

    #[test]
    fn plaid_statuses_map_to_verification() {
        use Verification::*;
        let cases = [
            (Some("pending_automatic_verification"), Some(Pending)),
            (Some("pending_manual_verification"), Some(Pending)),
            (Some("unsent"), Some(Pending)),
            (Some("automatically_verified"), Some(Verified)),
            (Some("manually_verified"), Some(Verified)),
            (None, Some(Verified)),
            (Some(""), Some(Verified)),
            (Some("verification_expired"), Some(Expired)),
            (Some("verification_failed"), Some(Failed)),
            (Some("something_new"), None),
        ];
        for (plaid, want) in cases {
            assert_eq!(Verification::from_plaid(plaid), want, "{plaid:?}");
        }
    }

    #[test]
    fn final_outcomes_win_over_update_mode_which_wins_over_progress() {
        let s = |verification, login_required| AccountState {
            verification,
            login_required,
            has_numbers: false,
        };
        assert_eq!(s(Verification::Pending, false).status(), Status::Pending);
        assert_eq!(s(Verification::Verified, false).status(), Status::Verified);
        assert_eq!(s(Verification::Pending, true).status(), Status::NeedsUpdate);
        assert_eq!(
            s(Verification::Verified, true).status(),
            Status::NeedsUpdate
        );
        assert_eq!(s(Verification::Expired, true).status(), Status::Expired);
        assert_eq!(s(Verification::Failed, true).status(), Status::NeedsRelink);
        assert_eq!(s(Verification::Revoked, true).status(), Status::Revoked);
    }
}
