//! When a pending account should be verified, and when the attempt expires.
//!
//! Plaid verifies an automated micro-deposit within 1 to 2 business days of linking and gives up
//! after 7 calendar days. Business days are banking days of the Federal Reserve (weekends and
//! Federal holidays, with their observed dates, skipped), from `penny-calendar`.

use chrono::{DateTime, Duration, Utc};

/// The expected verification window of an account linked at `linked_at`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerificationWindow {
    /// One business day after linking.
    pub expected_earliest: DateTime<Utc>,
    /// Two business days after linking.
    pub expected_latest: DateTime<Utc>,
    /// Seven calendar days after linking: Plaid sends `VERIFICATION_EXPIRED` then.
    pub expires_at: DateTime<Utc>,
}

/// Calendar days after linking at which an unverified automated micro-deposit expires.
pub const EXPIRY_DAYS: i64 = 7;

impl VerificationWindow {
    /// The window for an account linked at `linked_at`.
    pub fn after_linking(linked_at: DateTime<Utc>) -> Self {
        Self {
            expected_earliest: add_business_days(linked_at, 1),
            expected_latest: add_business_days(linked_at, 2),
            expires_at: linked_at + Duration::days(EXPIRY_DAYS),
        }
    }
}

/// Adds `days` banking days to `from`, keeping the time of day. Linking on a weekend or a
/// holiday counts from the next banking day, i.e. Saturday + 1 = Monday.
pub fn add_business_days(from: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let mut t = from;
    let mut left = days;
    while left > 0 {
        t += Duration::days(1);
        if penny_calendar::is_banking_day(t.date_naive()) {
            left -= 1;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 15, 30, 0).unwrap()
    }

    #[test]
    fn business_days_skip_weekends() {
        // 2026-11-16 is a Monday.
        assert_eq!(add_business_days(at(2026, 11, 16), 1), at(2026, 11, 17));
        assert_eq!(add_business_days(at(2026, 11, 16), 2), at(2026, 11, 18));
        // Thursday + 2 = Monday; Friday + 1 = Monday.
        assert_eq!(add_business_days(at(2026, 11, 19), 2), at(2026, 11, 23));
        assert_eq!(add_business_days(at(2026, 11, 20), 1), at(2026, 11, 23));
        // Saturday and Sunday + 1 = Monday, + 2 = Tuesday.
        assert_eq!(add_business_days(at(2026, 11, 21), 1), at(2026, 11, 23));
        assert_eq!(add_business_days(at(2026, 11, 22), 2), at(2026, 11, 24));
        assert_eq!(add_business_days(at(2026, 11, 16), 0), at(2026, 11, 16));
    }

    #[test]
    fn federal_holidays_are_not_business_days() {
        // Wednesday 2026-11-25 + 1 = Friday: Thanksgiving (Thursday the 26th) is skipped.
        assert_eq!(add_business_days(at(2026, 11, 25), 1), at(2026, 11, 27));
        // Friday 2027-07-02 + 1 = Tuesday: July 4th is a Sunday, observed Monday the 5th.
        assert_eq!(add_business_days(at(2027, 7, 2), 1), at(2027, 7, 6));
        // Thursday 2026-07-02 + 1 = Friday the 3rd: July 4th is a Saturday, the Fed is open.
        assert_eq!(add_business_days(at(2026, 7, 2), 1), at(2026, 7, 3));
    }

    #[test]
    fn window_is_one_to_two_business_days_and_expires_after_seven_calendar_days() {
        let w = VerificationWindow::after_linking(at(2026, 11, 20)); // Friday
        assert_eq!(w.expected_earliest, at(2026, 11, 23));
        assert_eq!(w.expected_latest, at(2026, 11, 24));
        assert_eq!(w.expires_at, at(2026, 11, 27));
    }
}
