//! [`CODES`] and [`classify`]: every ACH return code in Plaid's table (and the NACHA codes
//! beside it) with its [`ReturnCategory`] and a reason in plain words for the end user.

use crate::ReturnCategory;

use ReturnCategory::{
    AccountClosedOrInvalid as Closed, AccountFrozen as Frozen, InsufficientFunds as Funds,
    NotAuthorized as NotAuth, Other, RoutingError as Routing,
};

/// `(code, category, reason for the user)`, R01 to R85.
pub const CODES: &[(&str, ReturnCategory, &str)] = &[
    (
        "R01",
        Funds,
        "The account did not have enough money for the transfer.",
    ),
    ("R02", Closed, "The bank account is closed."),
    (
        "R03",
        Closed,
        "The bank could not find an account with that number and name.",
    ),
    ("R04", Closed, "The account number is not valid."),
    (
        "R05",
        NotAuth,
        "The account holder did not authorize this type of debit.",
    ),
    (
        "R06",
        Other,
        "The sending bank asked for the transfer to be returned.",
    ),
    (
        "R07",
        NotAuth,
        "The account holder revoked the authorization.",
    ),
    ("R08", NotAuth, "The account holder stopped the payment."),
    (
        "R09",
        Funds,
        "The account did not have enough available money for the transfer.",
    ),
    (
        "R10",
        NotAuth,
        "The account holder says the transfer was not authorized.",
    ),
    (
        "R11",
        Other,
        "The bank returned the transfer because of a problem with the check it converted.",
    ),
    ("R12", Closed, "The account moved to another bank."),
    ("R13", Routing, "The routing number is not valid."),
    (
        "R14",
        Closed,
        "The account's representative payee has died or can no longer act.",
    ),
    ("R15", Closed, "The account holder has died."),
    ("R16", Frozen, "The bank account is frozen."),
    (
        "R17",
        Other,
        "The bank could not process the transfer's details.",
    ),
    ("R18", Other, "The transfer had an invalid date."),
    ("R19", Other, "The transfer amount was not valid."),
    (
        "R20",
        Closed,
        "The account cannot receive this kind of transfer.",
    ),
    (
        "R21",
        Other,
        "The sender's company identification was not valid.",
    ),
    (
        "R22",
        Other,
        "The individual identification number was not valid.",
    ),
    ("R23", NotAuth, "The account holder refused the deposit."),
    ("R24", Other, "The bank saw this transfer as a duplicate."),
    (
        "R25",
        Other,
        "The transfer's additional information was not valid.",
    ),
    (
        "R26",
        Other,
        "The transfer was missing required information.",
    ),
    ("R27", Other, "The transfer's trace number was not valid."),
    (
        "R28",
        Routing,
        "The routing number's check digit is not valid.",
    ),
    (
        "R29",
        NotAuth,
        "The business account holder says the transfer was not authorized.",
    ),
    (
        "R30",
        Routing,
        "The bank does not take part in check truncation.",
    ),
    ("R31", Other, "The sending bank agreed to a late return."),
    (
        "R32",
        Other,
        "The receiving bank could not settle the transfer.",
    ),
    (
        "R33",
        Other,
        "The transfer was returned as a re-presented check.",
    ),
    (
        "R34",
        Routing,
        "The bank does not take part in ACH transfers like this one.",
    ),
    ("R35", Other, "The debit was not allowed for this account."),
    ("R36", Other, "The credit was not allowed for this account."),
    (
        "R37",
        Other,
        "The check behind the transfer was also presented for payment.",
    ),
    (
        "R38",
        NotAuth,
        "The account holder stopped payment on the check behind the transfer.",
    ),
    ("R39", Other, "The check behind the transfer was not valid."),
    ("R40", Other, "A federal agency returned the enrollment."),
    (
        "R41",
        Other,
        "The enrollment's transaction code was not valid.",
    ),
    (
        "R42",
        Routing,
        "The enrollment's routing number was not valid.",
    ),
    (
        "R43",
        Closed,
        "The enrollment's account number was not valid.",
    ),
    (
        "R44",
        Other,
        "The enrollment's individual identification was not valid.",
    ),
    ("R45", Other, "The enrollment's name was not valid."),
    (
        "R46",
        Other,
        "The enrollment's payee indicator was not valid.",
    ),
    ("R47", Other, "The enrollment was a duplicate."),
    (
        "R50",
        Other,
        "State law keeps the bank from accepting this transfer.",
    ),
    (
        "R51",
        NotAuth,
        "The check behind the transfer was not eligible or not properly authorized.",
    ),
    (
        "R52",
        NotAuth,
        "The account holder stopped payment on the check behind the transfer.",
    ),
    (
        "R53",
        Other,
        "The check and the transfer were both presented for payment.",
    ),
    ("R61", Other, "The return was sent to the wrong bank."),
    ("R62", Other, "The return had the wrong trace number."),
    ("R63", Other, "The return had the wrong amount."),
    (
        "R64",
        Other,
        "The return had the wrong individual identification.",
    ),
    ("R65", Other, "The return had the wrong transaction code."),
    (
        "R66",
        Other,
        "The return had the wrong company identification.",
    ),
    ("R67", Other, "The return was a duplicate."),
    ("R68", Other, "The return came too late."),
    ("R69", Other, "The return had several errors."),
    ("R70", Other, "The late return was not accepted."),
    (
        "R71",
        Other,
        "The dishonored return was sent to the wrong bank.",
    ),
    ("R72", Other, "The dishonored return came too late."),
    ("R73", Other, "The original return was on time."),
    ("R74", Other, "The return was corrected."),
    (
        "R80",
        Other,
        "The international transfer was coded incorrectly.",
    ),
    (
        "R81",
        Routing,
        "The bank does not take part in international transfers.",
    ),
    (
        "R82",
        Routing,
        "The foreign bank's identification was not valid.",
    ),
    (
        "R83",
        Other,
        "The foreign bank could not settle the transfer.",
    ),
    (
        "R84",
        Other,
        "The international gateway did not process the transfer.",
    ),
    (
        "R85",
        Other,
        "The international transfer was coded incorrectly.",
    ),
];

/// The category and the user-facing reason of `code` (trimmed, case-insensitive). An unknown
/// code is [`ReturnCategory::Other`] with a reason that names it.
pub fn classify(code: &str) -> (ReturnCategory, String) {
    let code = code.trim();
    CODES
        .iter()
        .find(|(c, _, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, category, reason)| (*category, (*reason).to_owned()))
        .unwrap_or_else(|| {
            (
                Other,
                format!("Your bank returned the deposit (return code {code})."),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_of_plaids_table_is_mapped_once_with_a_sentence() {
        let mut seen = std::collections::BTreeSet::new();
        for (code, _, reason) in CODES {
            assert!(seen.insert(*code), "{code} twice");
            assert!(
                reason.ends_with('.') && reason.len() > 15,
                "{code}: {reason}"
            );
            assert!(!reason.contains(code), "{code}: the reason is for people");
        }
        // Plaid's table: R01-R38, R40-R47, R50-R52, R61-R74, R80-R85 (plus R39, R53 from NACHA).
        let want = (1..=53)
            .filter(|n| !(48..=49).contains(n))
            .chain(61..=74)
            .chain(80..=85)
            .map(|n| format!("R{n:02}"));
        for code in want {
            assert!(seen.contains(code.as_str()), "{code} missing");
        }
        assert_eq!(seen.len(), 71);
    }

    #[test]
    fn categories_of_the_codes_a_micro_deposit_meets() {
        let cases = [
            ("R01", ReturnCategory::InsufficientFunds),
            ("R09", ReturnCategory::InsufficientFunds),
            ("R02", ReturnCategory::AccountClosedOrInvalid),
            ("R03", ReturnCategory::AccountClosedOrInvalid),
            ("R04", ReturnCategory::AccountClosedOrInvalid),
            ("R20", ReturnCategory::AccountClosedOrInvalid),
            ("R16", ReturnCategory::AccountFrozen),
            ("R05", ReturnCategory::NotAuthorized),
            ("R07", ReturnCategory::NotAuthorized),
            ("R10", ReturnCategory::NotAuthorized),
            ("R23", ReturnCategory::NotAuthorized),
            ("R29", ReturnCategory::NotAuthorized),
            ("R13", ReturnCategory::RoutingError),
            ("R28", ReturnCategory::RoutingError),
            ("R17", ReturnCategory::Other),
        ];
        for (code, category) in cases {
            assert_eq!(classify(code).0, category, "{code}");
        }
        assert_eq!(classify(" r03 ").0, ReturnCategory::AccountClosedOrInvalid);
    }

    #[test]
    fn unknown_codes_are_other_and_named() {
        let (category, reason) = classify("X99");
        assert_eq!(category, ReturnCategory::Other);
        assert!(reason.contains("X99"), "{reason}");
        assert_eq!(classify("R48").0, ReturnCategory::Other);
    }
}
