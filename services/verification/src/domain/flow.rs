//! [`Flow`]: how an account's micro-deposit is verified, decided once at link time from the
//! status Plaid reports for the new account.

use std::fmt;
use std::str::FromStr;

use penny_proto::v1 as pb;

/// How an account is verified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flow {
    /// Automated Micro-deposits: Plaid verifies by itself (`pending_automatic_verification`).
    Automated,
    /// Same-Day Micro-deposits: the user confirms the deposit (`pending_manual_verification`).
    SameDay,
    /// Verified at link time (instant Auth): no micro-deposit.
    Instant,
}

impl Flow {
    /// Every flow.
    pub const ALL: [Flow; 3] = [Self::Automated, Self::SameDay, Self::Instant];

    /// The flow of a new account whose Plaid `verification_status` is `plaid_status` (empty or
    /// unknown counts as automated: a webhook or a refresh settles it).
    pub fn at_link(plaid_status: &str) -> Self {
        match plaid_status {
            "pending_manual_verification" | "manually_verified" => Self::SameDay,
            "" | "pending_automatic_verification" | "automatically_verified" => Self::Automated,
            // Instant Auth and database matches come back without a micro-deposit status.
            "verified" | "database_matched" | "database_insights_pass" => Self::Instant,
            _ => Self::Automated,
        }
    }

    /// The value stored in `accounts.flow`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Automated => "automated",
            Self::SameDay => "same_day",
            Self::Instant => "instant",
        }
    }

    /// The protobuf enum value.
    pub fn to_proto(self) -> pb::VerificationFlow {
        match self {
            Self::Automated => pb::VerificationFlow::Automated,
            Self::SameDay => pb::VerificationFlow::SameDay,
            Self::Instant => pb::VerificationFlow::Instant,
        }
    }
}

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Flow {
    type Err = anyhow::Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| anyhow::anyhow!("unknown verification flow {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flows_round_trip_and_follow_plaids_status_at_link() {
        for flow in Flow::ALL {
            assert_eq!(flow.as_str().parse::<Flow>().unwrap(), flow);
        }
        assert_eq!(
            Flow::at_link("pending_automatic_verification"),
            Flow::Automated
        );
        assert_eq!(Flow::at_link("pending_manual_verification"), Flow::SameDay);
        assert_eq!(Flow::at_link(""), Flow::Automated);
        assert!("nope".parse::<Flow>().is_err());
    }
}
