//! [`AlertFacts`]: the only facts about an account an alert may show, kept with the alert so it
//! renders the same on every attempt: the mask (at most the last four digits, never more) and,
//! for a returned deposit, the reason category (never the ACH code).

use serde::{Deserialize, Serialize};

/// How many trailing digits of an account number an alert may show.
pub const MASK_DIGITS: usize = 4;

/// What an alert says about the account.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertFacts {
    /// The last (at most four) digits of the account number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask: Option<String>,
    /// Why a deposit came back, in a category the templates name in plain words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
}

impl AlertFacts {
    /// The mask as alerts print it: `••••0000`, or `""` when unknown.
    pub fn display_mask(&self) -> String {
        self.mask
            .as_deref()
            .map(|digits| format!("••••{digits}"))
            .unwrap_or_default()
    }
}

/// The digits an alert may show from an event's mask (`"****0000"`, `"0000"`, `"x1234"`): the
/// last [`MASK_DIGITS`] digits, so even an event that carried a whole account number by
/// mistake cannot put it into a message. `None` when it has no digits.
pub fn mask_digits(mask: &str) -> Option<String> {
    let digits: Vec<char> = mask.chars().filter(char::is_ascii_digit).collect();
    if digits.is_empty() {
        return None;
    }
    let start = digits.len().saturating_sub(MASK_DIGITS);
    Some(digits[start..].iter().collect())
}

/// Why a micro-deposit came back, as the user can understand it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// The account is closed, does not exist, or its number is invalid.
    AccountClosedOrInvalid,
    /// The account is frozen or blocked.
    AccountFrozen,
    /// The account holder did not authorise the deposit.
    NotAuthorized,
    /// The routing number is wrong.
    RoutingError,
    /// Not enough money in the account.
    InsufficientFunds,
    /// Anything else.
    Other,
}

impl Reason {
    /// The key templates look up their words by.
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

    /// Every reason, for template tests.
    pub const ALL: [Reason; 6] = [
        Self::AccountClosedOrInvalid,
        Self::AccountFrozen,
        Self::NotAuthorized,
        Self::RoutingError,
        Self::InsufficientFunds,
        Self::Other,
    ];

    /// The reason of a returned deposit: transfer-events' category when it gave one, else
    /// derived from the ACH return code (the same table), else [`Reason::Other`].
    pub fn of_return(category: penny_proto::v1::ReturnCategory, ach_return_code: &str) -> Self {
        use penny_proto::v1::ReturnCategory as C;
        match category {
            C::AccountClosedOrInvalid => Self::AccountClosedOrInvalid,
            C::AccountFrozen => Self::AccountFrozen,
            C::NotAuthorized => Self::NotAuthorized,
            C::RoutingError => Self::RoutingError,
            C::InsufficientFunds => Self::InsufficientFunds,
            C::Other => Self::Other,
            C::Unspecified => Self::of_ach_code(ach_return_code),
        }
    }

    /// The category of an ACH return code (NACHA's list; unknown codes are `Other`).
    pub fn of_ach_code(code: &str) -> Self {
        match code.trim().to_ascii_uppercase().as_str() {
            "R02" | "R03" | "R04" | "R12" | "R20" => Self::AccountClosedOrInvalid,
            "R16" => Self::AccountFrozen,
            "R05" | "R07" | "R10" | "R11" | "R29" | "R51" => Self::NotAuthorized,
            "R13" | "R28" => Self::RoutingError,
            "R01" | "R09" => Self::InsufficientFunds,
            _ => Self::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use penny_proto::v1::ReturnCategory;

    #[test]
    fn masks_keep_at_most_four_digits() {
        assert_eq!(mask_digits("****0000").as_deref(), Some("0000"));
        assert_eq!(mask_digits("12").as_deref(), Some("12"));
        assert_eq!(mask_digits("1111222233330000").as_deref(), Some("0000"));
        assert_eq!(mask_digits("****"), None);
        assert_eq!(mask_digits(""), None);
        let facts = AlertFacts {
            mask: mask_digits("****0000"),
            reason: None,
        };
        assert_eq!(facts.display_mask(), "••••0000");
    }

    #[test]
    fn return_reasons_from_the_category_or_the_code() {
        assert_eq!(
            Reason::of_return(ReturnCategory::AccountFrozen, "R03"),
            Reason::AccountFrozen
        );
        assert_eq!(
            Reason::of_return(ReturnCategory::Unspecified, "r03"),
            Reason::AccountClosedOrInvalid
        );
        assert_eq!(Reason::of_ach_code("R01"), Reason::InsufficientFunds);
        assert_eq!(Reason::of_ach_code("R99"), Reason::Other);
    }

    #[test]
    fn facts_round_trip_as_json_without_empty_fields() {
        let facts = AlertFacts {
            mask: Some("0000".into()),
            reason: Some(Reason::RoutingError),
        };
        let json = serde_json::to_string(&facts).unwrap();
        assert_eq!(json, r#"{"mask":"0000","reason":"routing_error"}"#);
        assert_eq!(serde_json::from_str::<AlertFacts>(&json).unwrap(), facts);
        assert_eq!(serde_json::to_string(&AlertFacts::default()).unwrap(), "{}");
    }
}
