//! [`ReturnCategory`]: what a returned ACH entry means for the user, in a few categories a
//! message can name (`penny.v1.ReturnCategory`), never the code itself.

use penny_proto::v1 as pb;
use serde::{Deserialize, Serialize};

/// What a return means for the user (`penny.v1.ReturnCategory`). Serialised as its
/// [`as_str`](Self::as_str) key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnCategory {
    /// The account is closed, does not exist, or its number is invalid.
    AccountClosedOrInvalid,
    /// The account is frozen or blocked.
    AccountFrozen,
    /// The holder did not authorise the entry, revoked it, or stopped it.
    NotAuthorized,
    /// The routing number or the receiving bank is wrong for ACH.
    RoutingError,
    /// Not enough money.
    InsufficientFunds,
    /// Anything else, including unknown codes.
    Other,
}

impl ReturnCategory {
    /// Every category.
    pub const ALL: [ReturnCategory; 6] = [
        Self::AccountClosedOrInvalid,
        Self::AccountFrozen,
        Self::NotAuthorized,
        Self::RoutingError,
        Self::InsufficientFunds,
        Self::Other,
    ];

    /// The category's key (`account_closed_or_invalid`, ...), as templates look it up.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccountClosedOrInvalid => "account_closed_or_invalid",
            Self::AccountFrozen => "account_frozen",
            Self::NotAuthorized => "not_authorized",
            Self::RoutingError => "routing_error",
            Self::InsufficientFunds => "insufficient_funds",
            Self::Other => "other",
        }
    }

    /// The protobuf enum.
    pub fn to_proto(self) -> pb::ReturnCategory {
        match self {
            Self::AccountClosedOrInvalid => pb::ReturnCategory::AccountClosedOrInvalid,
            Self::AccountFrozen => pb::ReturnCategory::AccountFrozen,
            Self::NotAuthorized => pb::ReturnCategory::NotAuthorized,
            Self::RoutingError => pb::ReturnCategory::RoutingError,
            Self::InsufficientFunds => pb::ReturnCategory::InsufficientFunds,
            Self::Other => pb::ReturnCategory::Other,
        }
    }

    /// The category of a returned deposit: the one its event gave, else its ACH return code's
    /// ([`crate::classify`]; an unknown code is [`ReturnCategory::Other`]).
    pub fn of_return(category: pb::ReturnCategory, ach_return_code: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|known| known.to_proto() == category)
            .unwrap_or_else(|| Self::of_ach_code(ach_return_code))
    }

    /// The category of an ACH return code (trimmed, case-insensitive; unknown codes are
    /// [`ReturnCategory::Other`]).
    pub fn of_ach_code(code: &str) -> Self {
        crate::classify(code).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proto_serde_and_keys_agree() {
        assert_eq!(
            ReturnCategory::RoutingError.to_proto(),
            pb::ReturnCategory::RoutingError
        );
        for category in ReturnCategory::ALL {
            assert_eq!(
                ReturnCategory::of_return(category.to_proto(), "R01"),
                category
            );
            let json = serde_json::to_string(&category).unwrap();
            assert_eq!(json, format!("\"{}\"", category.as_str()));
        }
        assert_eq!(
            ReturnCategory::of_return(pb::ReturnCategory::Unspecified, " r03 "),
            ReturnCategory::AccountClosedOrInvalid
        );
        assert_eq!(
            ReturnCategory::of_return(pb::ReturnCategory::Unspecified, "R99"),
            ReturnCategory::Other
        );
    }
}
