//! When a pending account should be verified, and when the attempt expires.
//!
//! Plaid verifies an automated micro-deposit within 1 to 2 business days of linking and gives up
//! after 7 calendar days. Business days here skip weekends only; bank holidays are deliberately
//! not modelled (the notifier owns the Federal Reserve calendar), so the window can be a day
//! early around a holiday.

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};

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

fn is_weekend(t: DateTime<Utc>) -> bool {
    matches!(t.weekday(), Weekday::Sat | Weekday::Sun)
}

/// Adds `days` business days (Monday to Friday) to `from`, keeping the time of day. Linking on a
/// weekend counts from the next Monday's start of business, i.e. Saturday + 1 = Monday.
pub fn add_business_days(from: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let mut t = from;
    let mut left = days;
    while left > 0 {
        t += Duration::days(1);
        if !is_weekend(t) {
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
    fn window_is_one_to_two_business_days_and_expires_after_seven_calendar_days() {
        let w = VerificationWindow::after_linking(at(2026, 11, 20)); // Friday
        assert_eq!(w.expected_earliest, at(2026, 11, 23));
        assert_eq!(w.expected_latest, at(2026, 11, 24));
        assert_eq!(w.expires_at, at(2026, 11, 27));
    }
}
