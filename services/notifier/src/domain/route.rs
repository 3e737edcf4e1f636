//! Which alert a domain event asks for: pure rules, decided from the event alone (account
//! events) or with the account's verification flow from the notifier's projection (deposit
//! events carry only the account).

use penny_proto::v1 as pb;

use super::kind::AlertKind;

/// What happened to an account (`penny.event.account.<what>`): the names verification
/// publishes them under ([`penny_bus::AccountEvent`]).
pub use penny_bus::AccountEvent as AccountChange;

/// The alert an account change asks for.
pub trait AccountAlert {
    /// The alert it asks for, if any.
    fn alert(self) -> Option<AlertKind>;

    /// Whether it settles the account's verification for good (verified, failed, expired,
    /// revoked): a Same-Day "check your statement" reminder is then no longer true.
    fn settles(self) -> bool;
}

impl AccountAlert for AccountChange {
    /// The alert it asks for: the user is told when the account is ready, when they must link
    /// again, when the bank needs them, and when the numbers changed; not about what they did
    /// themselves (linking, repairing, revoking).
    fn alert(self) -> Option<AlertKind> {
        match self {
            Self::Verified => Some(AlertKind::AccountVerified),
            Self::VerificationExpired => Some(AlertKind::VerificationExpired),
            Self::VerificationFailed => Some(AlertKind::VerificationFailed),
            Self::NeedsUpdate => Some(AlertKind::LoginRequired),
            Self::NumbersChanged => Some(AlertKind::NumbersChanged),
            Self::Linked | Self::LoginRepaired | Self::Revoked => None,
        }
    }

    fn settles(self) -> bool {
        matches!(
            self,
            Self::Verified | Self::VerificationExpired | Self::VerificationFailed | Self::Revoked
        )
    }
}

/// How an account is verified (from its account events).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flow {
    /// Not said (an older event).
    Unspecified,
    /// Automated Micro-deposits: Plaid verifies by itself.
    Automated,
    /// Same-Day Micro-deposits: the user confirms the deposit.
    SameDay,
    /// Instant: no micro-deposit.
    Instant,
}

impl Flow {
    /// Every flow.
    pub const ALL: [Flow; 4] = [
        Self::Unspecified,
        Self::Automated,
        Self::SameDay,
        Self::Instant,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::Automated => "automated",
            Self::SameDay => "same_day",
            Self::Instant => "instant",
        }
    }

    /// The flow called `name`; an unknown name is `Unspecified`.
    pub fn parse(name: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|f| f.as_str() == name)
            .unwrap_or(Self::Unspecified)
    }

    /// From the protobuf field.
    pub fn from_proto(flow: i32) -> Self {
        match pb::VerificationFlow::try_from(flow) {
            Ok(pb::VerificationFlow::Automated) => Self::Automated,
            Ok(pb::VerificationFlow::SameDay) => Self::SameDay,
            Ok(pb::VerificationFlow::Instant) => Self::Instant,
            Ok(pb::VerificationFlow::Unspecified) | Err(_) => Self::Unspecified,
        }
    }
}

/// The alert a deposit event asks for, given the account's flow:
///
/// - posted, a credit, on a Same-Day account → "check your statement and confirm" (the user
///   must type the amount into Link; automated accounts are verified by Plaid, so they are not
///   asked);
/// - reversed or failed → "please link your account again" (whatever the flow: the deposit
///   never stays in the account, so verification cannot succeed);
/// - pending, cancelled, a debit posting, anything else → nothing.
pub fn deposit_alert(
    state: pb::DepositState,
    direction: pb::DepositDirection,
    flow: Flow,
) -> Option<AlertKind> {
    match state {
        pb::DepositState::Posted
            if flow == Flow::SameDay && direction != pb::DepositDirection::Debit =>
        {
            Some(AlertKind::DepositPosted)
        }
        pb::DepositState::Reversed | pb::DepositState::Failed => Some(AlertKind::DepositReversed),
        pb::DepositState::Posted
        | pb::DepositState::Pending
        | pb::DepositState::Cancelled
        | pb::DepositState::Unspecified => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pb::{DepositDirection as Dir, DepositState as S};

    #[test]
    fn account_changes_round_trip_and_map_to_alerts() {
        for change in AccountChange::ALL {
            assert_eq!(AccountChange::from_suffix(change.as_str()), Some(change));
        }
        assert_eq!(AccountChange::from_suffix("exploded"), None);
        let alerting: Vec<_> = AccountChange::ALL
            .into_iter()
            .filter_map(AccountChange::alert)
            .collect();
        assert_eq!(
            alerting,
            [
                AlertKind::AccountVerified,
                AlertKind::VerificationExpired,
                AlertKind::VerificationFailed,
                AlertKind::LoginRequired,
                AlertKind::NumbersChanged
            ]
        );
    }

    #[test]
    fn only_same_day_credits_ask_the_user_to_confirm() {
        for flow in Flow::ALL {
            for dir in [Dir::Unspecified, Dir::Credit, Dir::Debit] {
                let want = (flow == Flow::SameDay && dir != Dir::Debit)
                    .then_some(AlertKind::DepositPosted);
                assert_eq!(
                    deposit_alert(S::Posted, dir, flow),
                    want,
                    "{flow:?} {dir:?}"
                );
                for state in [S::Reversed, S::Failed] {
                    assert_eq!(
                        deposit_alert(state, dir, flow),
                        Some(AlertKind::DepositReversed)
                    );
                }
                for state in [S::Pending, S::Cancelled, S::Unspecified] {
                    assert_eq!(deposit_alert(state, dir, flow), None);
                }
            }
        }
    }

    #[test]
    fn flows_parse_from_names_and_protobuf() {
        for flow in Flow::ALL {
            assert_eq!(Flow::parse(flow.as_str()), flow);
        }
        assert_eq!(Flow::parse("carrier-pigeon"), Flow::Unspecified);
        assert_eq!(
            Flow::from_proto(pb::VerificationFlow::SameDay as i32),
            Flow::SameDay
        );
        assert_eq!(Flow::from_proto(99), Flow::Unspecified);
    }
}
