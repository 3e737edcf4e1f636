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

/// Why a micro-deposit came back, as the user can understand it: the shared ACH return
/// categories ([`penny_ach`], the table transfer-events classifies with). Templates look their
/// words up by [`Reason::as_str`]; [`Reason::of_return`] takes transfer-events' category when
/// it gave one, else the ACH return code's.
pub use penny_ach::ReturnCategory as Reason;

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
