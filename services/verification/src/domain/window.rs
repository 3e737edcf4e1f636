//! When a pending account should be verified, and when the attempt expires.
//!
//! Plaid verifies an automated micro-deposit within 1 to 2 business days of linking and gives up
//! after 7 calendar days. Business days are banking days of the Federal Reserve (weekends and
//! Federal holidays, with their observed dates, skipped), from `penny-calendar`.
//!
//! A Same-Day micro-deposit is sent when the account is linked and lands by 8:30 a.m. New York
//! time on the next banking day, when the user can first confirm it; it never expires (only
//! three wrong codes end it).

use chrono::{DateTime, Duration, Utc};

use super::Flow;

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

/// When a pending account of `flow` linked at `linked_at` is expected to be verifiable and
/// when it expires, as far as known: the whole window for automated, the deposit's
/// availability (only) for Same-Day, nothing for instant Auth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expectation {
    pub earliest: Option<DateTime<Utc>>,
    pub latest: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl Expectation {
    /// The expectation for a pending account.
    pub fn pending(flow: Flow, linked_at: DateTime<Utc>) -> Self {
        match flow {
            Flow::Automated => {
                let w = VerificationWindow::after_linking(linked_at);
                Self {
                    earliest: Some(w.expected_earliest),
                    latest: Some(w.expected_latest),
                    expires_at: Some(w.expires_at),
                }
            }
            Flow::SameDay => Self {
                earliest: Some(penny_calendar::funds_available_after(linked_at)),
                latest: None,
                expires_at: None,
            },
            Flow::Instant => Self::NONE,
        }
    }

    /// Nothing expected (not pending).
    pub const NONE: Self = Self {
        earliest: None,
        latest: None,
        expires_at: None,
    };
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
    fn same_day_is_confirmable_from_the_next_banking_days_settlement_and_never_expires() {
        // Friday 2026-11-20 15:30 UTC: Monday 2026-11-23 8:30 EST = 13:30 UTC.
        let e = Expectation::pending(Flow::SameDay, at(2026, 11, 20));
        assert_eq!(
            e.earliest,
            Some(Utc.with_ymd_and_hms(2026, 11, 23, 13, 30, 0).unwrap())
        );
        assert_eq!((e.latest, e.expires_at), (None, None));
        let a = Expectation::pending(Flow::Automated, at(2026, 11, 20));
        assert_eq!(a.expires_at, Some(at(2026, 11, 27)));
        assert_eq!(
            Expectation::pending(Flow::Instant, at(2026, 11, 20)),
            Expectation::NONE
        );
    }

    #[test]
    fn window_is_one_to_two_business_days_and_expires_after_seven_calendar_days() {
        let w = VerificationWindow::after_linking(at(2026, 11, 20)); // Friday
        assert_eq!(w.expected_earliest, at(2026, 11, 23));
        assert_eq!(w.expected_latest, at(2026, 11, 24));
        assert_eq!(w.expires_at, at(2026, 11, 27));
    }
}
