//! [`AccountEvent`]: what happened to an account, the last token of its domain event's subject
//! (`penny.event.account.<what>`). verification publishes these and the notifier reads them, so
//! the list and its names are written once, here.

/// What happened to an account (`penny.event.account.<what>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccountEvent {
    /// The account was linked (stored at token exchange): who it belongs to, and its flow.
    Linked,
    /// The account is verified and its numbers are stored.
    Verified,
    /// Verification expired; the user must link again.
    VerificationExpired,
    /// Verification failed; the user must link again.
    VerificationFailed,
    /// The Item needs Link update mode.
    NeedsUpdate,
    /// The Item left update mode.
    LoginRepaired,
    /// Access revoked or Item removed.
    Revoked,
    /// The stored numbers were replaced by new ones.
    NumbersChanged,
}

impl AccountEvent {
    /// Every account event.
    pub const ALL: [AccountEvent; 8] = [
        Self::Linked,
        Self::Verified,
        Self::VerificationExpired,
        Self::VerificationFailed,
        Self::NeedsUpdate,
        Self::LoginRepaired,
        Self::Revoked,
        Self::NumbersChanged,
    ];

    /// Its name: the last subject token, `penny.event.account.<this>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Linked => "linked",
            Self::Verified => "verified",
            Self::VerificationExpired => "verification_expired",
            Self::VerificationFailed => "verification_failed",
            Self::NeedsUpdate => "needs_update",
            Self::LoginRepaired => "login_repaired",
            Self::Revoked => "revoked",
            Self::NumbersChanged => "numbers_changed",
        }
    }

    /// The last subject token (its name, [`as_str`](Self::as_str)).
    pub fn subject_suffix(self) -> &'static str {
        self.as_str()
    }

    /// The event named by the last token of an account event's subject.
    pub fn from_suffix(suffix: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|e| e.as_str() == suffix)
    }

    /// Its subject: `penny.event.account.<what>`.
    pub fn subject(self) -> String {
        crate::event_subject(crate::ACCOUNT_EVENT_PREFIX, self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_subject_tokens() {
        for event in AccountEvent::ALL {
            assert_eq!(AccountEvent::from_suffix(event.as_str()), Some(event));
            let name = event.as_str();
            assert!(
                name.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{name} is one subject token"
            );
        }
        assert_eq!(
            AccountEvent::Verified.subject(),
            "penny.event.account.verified"
        );
        assert_eq!(AccountEvent::from_suffix("exploded"), None);
    }
}
