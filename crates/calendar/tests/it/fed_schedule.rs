//! The Federal Reserve's holiday schedule for 2025, 2026 and 2027, derived by hand from the rules
//! and the weekdays (and checked against a second calendar), as the Fed publishes it: a Sunday
//! holiday on the Monday after (*observed*), a Saturday holiday on its Saturday with the Banks open
//! the Friday before.

use chrono::{Datelike, NaiveDate, Weekday};
use penny_calendar::{Holiday, holiday, is_banking_day};

use crate::support::d;

use Holiday::*;

/// One row of the schedule: the date the Fed lists, the holiday, and whether the Banks are closed
/// that date because of it (`false` for a Saturday holiday: no weekday is closed).
struct Row(NaiveDate, Holiday, Closes);

#[derive(PartialEq, Debug)]
enum Closes {
    /// A weekday closed on the holiday's own date.
    OnTheDay,
    /// A Monday closed for a holiday that fell on the Sunday before (an observed date).
    ObservedMonday,
    /// A Saturday holiday: listed, but the Fed is open the Friday before and no weekday closes.
    NoWeekday,
}

use Closes::*;

fn schedule(year: i32) -> Vec<Row> {
    match year {
        2025 => vec![
            Row(d(2025, 1, 1), NewYearsDay, OnTheDay),            // Wed
            Row(d(2025, 1, 20), MartinLutherKingJrDay, OnTheDay), // 3rd Mon
            Row(d(2025, 2, 17), WashingtonsBirthday, OnTheDay),   // 3rd Mon
            Row(d(2025, 5, 26), MemorialDay, OnTheDay),           // last Mon
            Row(d(2025, 6, 19), Juneteenth, OnTheDay),            // Thu
            Row(d(2025, 7, 4), IndependenceDay, OnTheDay),        // Fri
            Row(d(2025, 9, 1), LaborDay, OnTheDay),               // 1st Mon
            Row(d(2025, 10, 13), ColumbusDay, OnTheDay),          // 2nd Mon
            Row(d(2025, 11, 11), VeteransDay, OnTheDay),          // Tue
            Row(d(2025, 11, 27), Thanksgiving, OnTheDay),         // 4th Thu
            Row(d(2025, 12, 25), Christmas, OnTheDay),            // Thu
        ],
        2026 => vec![
            Row(d(2026, 1, 1), NewYearsDay, OnTheDay),            // Thu
            Row(d(2026, 1, 19), MartinLutherKingJrDay, OnTheDay), // 3rd Mon
            Row(d(2026, 2, 16), WashingtonsBirthday, OnTheDay),   // 3rd Mon
            Row(d(2026, 5, 25), MemorialDay, OnTheDay),           // last Mon
            Row(d(2026, 6, 19), Juneteenth, OnTheDay),            // Fri
            Row(d(2026, 7, 4), IndependenceDay, NoWeekday),       // Sat: Fri Jul 3 is open
            Row(d(2026, 9, 7), LaborDay, OnTheDay),               // 1st Mon
            Row(d(2026, 10, 12), ColumbusDay, OnTheDay),          // 2nd Mon
            Row(d(2026, 11, 11), VeteransDay, OnTheDay),          // Wed
            Row(d(2026, 11, 26), Thanksgiving, OnTheDay),         // 4th Thu
            Row(d(2026, 12, 25), Christmas, OnTheDay),            // Fri
        ],
        2027 => vec![
            Row(d(2027, 1, 1), NewYearsDay, OnTheDay),            // Fri
            Row(d(2027, 1, 18), MartinLutherKingJrDay, OnTheDay), // 3rd Mon
            Row(d(2027, 2, 15), WashingtonsBirthday, OnTheDay),   // 3rd Mon
            Row(d(2027, 5, 31), MemorialDay, OnTheDay),           // last Mon (five in May)
            Row(d(2027, 6, 19), Juneteenth, NoWeekday),           // Sat: Fri Jun 18 is open
            Row(d(2027, 7, 5), IndependenceDay, ObservedMonday),  // Jul 4 is a Sunday
            Row(d(2027, 9, 6), LaborDay, OnTheDay),               // 1st Mon
            Row(d(2027, 10, 11), ColumbusDay, OnTheDay),          // 2nd Mon
            Row(d(2027, 11, 11), VeteransDay, OnTheDay),          // Thu
            Row(d(2027, 11, 25), Thanksgiving, OnTheDay),         // 4th Thu
            Row(d(2027, 12, 25), Christmas, NoWeekday),           // Sat: Fri Dec 24 is open
        ],
        _ => unreachable!(),
    }
}

#[test]
fn published_schedule_2025_to_2027() {
    for year in [2025, 2026, 2027] {
        let rows = schedule(year);
        assert_eq!(rows.len(), 11);
        for Row(date, expected, closes) in rows {
            // The weekday annotations above are right.
            let weekday = date.weekday();
            match closes {
                OnTheDay => assert!(weekday.number_from_monday() <= 5, "{date}"),
                ObservedMonday => assert_eq!(weekday, Weekday::Mon, "{date}"),
                NoWeekday => assert_eq!(weekday, Weekday::Sat, "{date}"),
            }
            assert_eq!(holiday(date), Some(expected), "{date}");
            assert_eq!(expected.observed_in(year), Some(date), "{expected} {year}");
            assert!(!is_banking_day(date), "{date}");
        }
    }
}

#[test]
fn exactly_the_listed_weekdays_are_closed() {
    for year in [2025, 2026, 2027] {
        let mut closed: Vec<NaiveDate> = schedule(year)
            .into_iter()
            .filter(|Row(_, _, closes)| *closes != NoWeekday)
            .map(|Row(date, _, _)| date)
            .collect();
        closed.sort();
        let found: Vec<NaiveDate> = d(year, 1, 1)
            .iter_days()
            .take_while(|day| day.year() == year)
            .filter(|day| day.weekday().number_from_monday() <= 5 && !is_banking_day(*day))
            .collect();
        assert_eq!(found, closed, "{year}");
    }
}

#[test]
fn fridays_before_saturday_holidays_are_open() {
    assert!(is_banking_day(d(2026, 7, 3))); // Independence Day 2026 is a Saturday
    assert!(is_banking_day(d(2027, 6, 18))); // Juneteenth 2027
    assert!(is_banking_day(d(2027, 12, 24))); // Christmas 2027
    assert!(is_banking_day(d(2027, 12, 31))); // New Year's Day 2028 is a Saturday
    assert!(is_banking_day(d(2021, 12, 31))); // New Year's Day 2022 was a Saturday
}

#[test]
fn sunday_holidays_close_the_monday() {
    assert_eq!(holiday(d(2027, 7, 4)), None); // the Sunday itself is just a weekend
    assert!(!is_banking_day(d(2027, 7, 5)));
    assert!(!is_banking_day(d(2023, 1, 2))); // New Year's Day 2023 was a Sunday
    assert!(!is_banking_day(d(2022, 12, 26))); // Christmas 2022 was a Sunday
}
