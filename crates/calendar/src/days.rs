//! Banking days: the days the Federal Reserve Banks are open and ACH entries settle.
//!
//! A banking day is a Monday to Friday on which no Federal Reserve holiday is observed (see
//! [`crate::holidays`]). penny's settlement time ([`crate::settlement`]) is built on
//! [`next_banking_day`].
//!
//! The functions take plain calendar dates; which date an instant falls on is the caller's (or
//! [`crate::settlement`]'s) business: for the Fed it is the date in New York.
//!
//! Near the very end of chrono's range ([`NaiveDate::MAX`], in the year 262143) there is no later
//! day to move to; the search functions then return [`NaiveDate::MAX`] instead of panicking.

use chrono::{Datelike, NaiveDate, Weekday};

use crate::holidays::holiday;

/// `true` when the Federal Reserve Banks are open on `date`: a weekday that is not an observed
/// Federal Reserve holiday.
pub fn is_banking_day(date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && holiday(date).is_none()
}

/// The first banking day strictly after `date`.
///
/// Saturates at [`NaiveDate::MAX`] (see the module documentation).
pub fn next_banking_day(date: NaiveDate) -> NaiveDate {
    match date.succ_opt() {
        Some(next) => banking_day_on_or_after(next),
        None => NaiveDate::MAX,
    }
}

/// `date` itself when it is a banking day, otherwise the first banking day after it.
///
/// Saturates at [`NaiveDate::MAX`] (see the module documentation).
pub fn banking_day_on_or_after(date: NaiveDate) -> NaiveDate {
    let mut day = date;
    // At most three days in a row are closed (Saturday, Sunday, Monday holiday), so this loop
    // runs at most four times.
    while !is_banking_day(day) {
        match day.succ_opt() {
            Some(next) => day = next,
            None => return NaiveDate::MAX,
        }
    }
    day
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn weekends_and_holidays_are_closed() {
        assert!(is_banking_day(d(2026, 7, 2))); // Thursday
        assert!(is_banking_day(d(2026, 7, 3))); // Friday before a Saturday July 4
        assert!(!is_banking_day(d(2026, 7, 4))); // Saturday (and Independence Day)
        assert!(!is_banking_day(d(2026, 7, 5))); // Sunday
        assert!(is_banking_day(d(2026, 7, 6))); // Monday
        assert!(!is_banking_day(d(2026, 1, 19))); // Monday, Martin Luther King Jr. Day
    }

    #[test]
    fn next_is_strictly_after() {
        assert_eq!(next_banking_day(d(2026, 7, 2)), d(2026, 7, 3));
        assert_eq!(next_banking_day(d(2026, 7, 3)), d(2026, 7, 6));
        assert_eq!(next_banking_day(d(2026, 7, 4)), d(2026, 7, 6));
        // Friday before MLK Day, then Saturday and Sunday: all go to Tuesday.
        assert_eq!(next_banking_day(d(2026, 1, 16)), d(2026, 1, 20));
        assert_eq!(next_banking_day(d(2026, 1, 17)), d(2026, 1, 20));
        assert_eq!(next_banking_day(d(2026, 1, 19)), d(2026, 1, 20));
    }

    #[test]
    fn on_or_after_keeps_a_banking_day() {
        assert_eq!(banking_day_on_or_after(d(2026, 7, 3)), d(2026, 7, 3));
        assert_eq!(banking_day_on_or_after(d(2026, 7, 4)), d(2026, 7, 6));
        assert_eq!(banking_day_on_or_after(d(2027, 7, 3)), d(2027, 7, 6)); // Sat, Sun, Mon Jul 5
        assert_eq!(banking_day_on_or_after(d(2026, 11, 26)), d(2026, 11, 27)); // Thanksgiving
    }

    #[test]
    fn no_more_than_three_closed_days_in_a_row() {
        let mut day = d(1990, 1, 1);
        while day.year() <= 2100 {
            let next = next_banking_day(day);
            assert!(next > day);
            assert!((next - day).num_days() <= 4, "{day} -> {next}");
            assert!(is_banking_day(next));
            assert_eq!(banking_day_on_or_after(day) == day, is_banking_day(day));
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn end_of_range_saturates_instead_of_panicking() {
        // chrono's last date is Monday, December 31, 262142: a banking day with no day after.
        let last = NaiveDate::MAX;
        assert_eq!(last, d(262_142, 12, 31));
        assert_eq!(last.weekday(), Weekday::Mon);
        assert_eq!(next_banking_day(last), NaiveDate::MAX);
        assert_eq!(banking_day_on_or_after(last), last);
        assert_eq!(next_banking_day(d(262_142, 12, 28)), last); // Friday
        assert_eq!(banking_day_on_or_after(d(262_142, 12, 29)), last); // Saturday
    }
}
