//! The Federal Reserve holidays and the dates on which they are observed.
//!
//! penny only needs these to know which weekdays are not banking days (see [`crate::days`]), but
//! the notifier can also name the holiday that delays a deposit ("Monday is Memorial Day").
//!
//! The rules are today's (Juneteenth from 2022 on, when the Federal Reserve first observed it);
//! dates from before the current rules were set (Martin Luther King Jr. Day in the 1980s, the
//! 1971–1977 Veterans Day) are not historical.
//!
//! **Observed dates** follow the Federal Reserve, not the federal-employee rule: a holiday that
//! falls on a Sunday is observed on the Monday after; one that falls on a Saturday is *not* moved
//! to the Friday before (the Federal Reserve Banks are open that Friday). This is the date the
//! Federal Reserve's published holiday schedule lists, and it is always in the holiday's own year.

use std::fmt;

use chrono::{Datelike, Month, NaiveDate, Weekday};

/// A Federal Reserve holiday.
///
/// `Display` (and [`Holiday::name`]) give the holiday's official name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Holiday {
    /// New Year's Day, January 1.
    NewYearsDay,
    /// Birthday of Martin Luther King, Jr., the third Monday in January.
    MartinLutherKingJrDay,
    /// Washington's Birthday (Presidents Day), the third Monday in February.
    WashingtonsBirthday,
    /// Memorial Day, the last Monday in May.
    MemorialDay,
    /// Juneteenth National Independence Day, June 19, from 2022 on.
    Juneteenth,
    /// Independence Day, July 4.
    IndependenceDay,
    /// Labor Day, the first Monday in September.
    LaborDay,
    /// Columbus Day, the second Monday in October.
    ColumbusDay,
    /// Veterans Day, November 11.
    VeteransDay,
    /// Thanksgiving Day, the fourth Thursday in November.
    Thanksgiving,
    /// Christmas Day, December 25.
    Christmas,
}

/// The rule that places a holiday in a year.
enum Rule {
    /// A fixed month and day.
    Fixed(Month, u32),
    /// The `n`th (1-based) given weekday of the month.
    Nth(u8, Weekday, Month),
    /// The last given weekday of the month.
    Last(Weekday, Month),
}

/// The first year the Federal Reserve observed Juneteenth.
const JUNETEENTH_FROM: i32 = 2022;

impl Holiday {
    /// Every Federal Reserve holiday, in calendar order.
    pub const ALL: [Holiday; 11] = [
        Holiday::NewYearsDay,
        Holiday::MartinLutherKingJrDay,
        Holiday::WashingtonsBirthday,
        Holiday::MemorialDay,
        Holiday::Juneteenth,
        Holiday::IndependenceDay,
        Holiday::LaborDay,
        Holiday::ColumbusDay,
        Holiday::VeteransDay,
        Holiday::Thanksgiving,
        Holiday::Christmas,
    ];

    /// The holiday's name as the Federal Reserve writes it, e.g. `"Washington's Birthday"`.
    pub const fn name(self) -> &'static str {
        match self {
            Holiday::NewYearsDay => "New Year's Day",
            Holiday::MartinLutherKingJrDay => "Birthday of Martin Luther King, Jr.",
            Holiday::WashingtonsBirthday => "Washington's Birthday",
            Holiday::MemorialDay => "Memorial Day",
            Holiday::Juneteenth => "Juneteenth National Independence Day",
            Holiday::IndependenceDay => "Independence Day",
            Holiday::LaborDay => "Labor Day",
            Holiday::ColumbusDay => "Columbus Day",
            Holiday::VeteransDay => "Veterans Day",
            Holiday::Thanksgiving => "Thanksgiving Day",
            Holiday::Christmas => "Christmas Day",
        }
    }

    const fn rule(self) -> Rule {
        match self {
            Holiday::NewYearsDay => Rule::Fixed(Month::January, 1),
            Holiday::MartinLutherKingJrDay => Rule::Nth(3, Weekday::Mon, Month::January),
            Holiday::WashingtonsBirthday => Rule::Nth(3, Weekday::Mon, Month::February),
            Holiday::MemorialDay => Rule::Last(Weekday::Mon, Month::May),
            Holiday::Juneteenth => Rule::Fixed(Month::June, 19),
            Holiday::IndependenceDay => Rule::Fixed(Month::July, 4),
            Holiday::LaborDay => Rule::Nth(1, Weekday::Mon, Month::September),
            Holiday::ColumbusDay => Rule::Nth(2, Weekday::Mon, Month::October),
            Holiday::VeteransDay => Rule::Fixed(Month::November, 11),
            Holiday::Thanksgiving => Rule::Nth(4, Weekday::Thu, Month::November),
            Holiday::Christmas => Rule::Fixed(Month::December, 25),
        }
    }

    /// The holiday's own date in `year`, before any weekend rule: July 4 even when it is a
    /// Saturday or a Sunday.
    ///
    /// `None` for Juneteenth before 2022 and for years chrono cannot represent.
    pub fn date_in(self, year: i32) -> Option<NaiveDate> {
        if self == Holiday::Juneteenth && year < JUNETEENTH_FROM {
            return None;
        }
        match self.rule() {
            Rule::Fixed(month, day) => {
                NaiveDate::from_ymd_opt(year, month.number_from_month(), day)
            }
            Rule::Nth(n, weekday, month) => {
                NaiveDate::from_weekday_of_month_opt(year, month.number_from_month(), weekday, n)
            }
            Rule::Last(weekday, month) => {
                let month = month.number_from_month();
                // A weekday occurs four or five times in any month.
                NaiveDate::from_weekday_of_month_opt(year, month, weekday, 5)
                    .or_else(|| NaiveDate::from_weekday_of_month_opt(year, month, weekday, 4))
            }
        }
    }

    /// The date in `year` on which the Federal Reserve observes the holiday: its own date, or the
    /// Monday after when that is a Sunday. A Saturday holiday stays on the Saturday (no weekday is
    /// closed for it).
    ///
    /// `None` when [`Holiday::date_in`] is `None`.
    pub fn observed_in(self, year: i32) -> Option<NaiveDate> {
        let date = self.date_in(year)?;
        match date.weekday() {
            Weekday::Sun => date.succ_opt(),
            _ => Some(date),
        }
    }
}

impl fmt::Display for Holiday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The Federal Reserve holiday observed on `date`, if any (see [`Holiday::observed_in`]).
///
/// A weekday with `Some` is not a banking day. A Saturday holiday is reported on its Saturday (the
/// Banks are closed then anyway); a Sunday holiday is reported on the Monday after, not on the
/// Sunday.
pub fn holiday(date: NaiveDate) -> Option<Holiday> {
    Holiday::ALL
        .into_iter()
        .find(|h| h.observed_in(date.year()) == Some(date))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn sunday_holiday_is_observed_on_monday_not_sunday() {
        // July 4, 2027 is a Sunday.
        assert_eq!(d(2027, 7, 4).weekday(), Weekday::Sun);
        assert_eq!(Holiday::IndependenceDay.date_in(2027), Some(d(2027, 7, 4)));
        assert_eq!(
            Holiday::IndependenceDay.observed_in(2027),
            Some(d(2027, 7, 5))
        );
        assert_eq!(holiday(d(2027, 7, 5)), Some(Holiday::IndependenceDay));
        assert_eq!(holiday(d(2027, 7, 4)), None);
        // New Year's Day on a Sunday stays in its year: Monday, January 2, 2023.
        assert_eq!(Holiday::NewYearsDay.observed_in(2023), Some(d(2023, 1, 2)));
        // Christmas on a Sunday: Monday, December 26, 2022.
        assert_eq!(holiday(d(2022, 12, 26)), Some(Holiday::Christmas));
    }

    #[test]
    fn saturday_holiday_is_not_moved_to_friday() {
        // July 4, 2026 is a Saturday: the Fed is open Friday, July 3.
        assert_eq!(d(2026, 7, 4).weekday(), Weekday::Sat);
        assert_eq!(
            Holiday::IndependenceDay.observed_in(2026),
            Some(d(2026, 7, 4))
        );
        assert_eq!(holiday(d(2026, 7, 4)), Some(Holiday::IndependenceDay));
        assert_eq!(holiday(d(2026, 7, 3)), None);
        // January 1, 2022 was a Saturday: nothing on Friday, December 31, 2021.
        assert_eq!(holiday(d(2021, 12, 31)), None);
    }

    #[test]
    fn juneteenth_starts_in_2022() {
        assert_eq!(Holiday::Juneteenth.date_in(2021), None);
        assert_eq!(holiday(d(2021, 6, 18)), None);
        assert_eq!(holiday(d(2021, 6, 19)), None);
        assert_eq!(Holiday::Juneteenth.date_in(2022), Some(d(2022, 6, 19)));
        // June 19, 2022 was a Sunday: observed Monday, June 20.
        assert_eq!(holiday(d(2022, 6, 20)), Some(Holiday::Juneteenth));
    }

    #[test]
    fn memorial_day_is_the_last_monday_in_four_and_five_monday_mays() {
        // May 2027 has five Mondays (3, 10, 17, 24, 31); May 2026 has four (4, 11, 18, 25).
        assert_eq!(Holiday::MemorialDay.date_in(2027), Some(d(2027, 5, 31)));
        assert_eq!(Holiday::MemorialDay.date_in(2026), Some(d(2026, 5, 25)));
    }

    #[test]
    fn every_rule_lands_in_its_month_on_its_weekday() {
        for year in 1990..=2100 {
            for h in Holiday::ALL {
                let Some(date) = h.date_in(year) else {
                    assert!(h == Holiday::Juneteenth && year < 2022, "{h} {year}");
                    continue;
                };
                assert_eq!(date.year(), year);
                let observed = h.observed_in(year).unwrap();
                assert_eq!(
                    observed.year(),
                    year,
                    "observed date leaves the year: {h} {year}"
                );
                assert_ne!(observed.weekday(), Weekday::Sun);
                assert_eq!(holiday(observed), Some(h), "{h} {year}");
            }
        }
    }

    #[test]
    fn names() {
        assert_eq!(Holiday::NewYearsDay.to_string(), "New Year's Day");
        assert_eq!(Holiday::Thanksgiving.name(), "Thanksgiving Day");
        assert_eq!(Holiday::ALL.len(), 11);
        assert!(Holiday::ALL.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn years_chrono_cannot_represent_have_no_holidays() {
        assert_eq!(Holiday::Christmas.date_in(i32::MAX), None);
        assert_eq!(holiday(NaiveDate::MAX), None);
    }
}
