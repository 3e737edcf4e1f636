//! Day-by-day comparison with an independent implementation: `fasti`'s
//! `calendars::us::FEDERAL_RESERVE` (a port of QuantLib's `UnitedStates::FederalReserve`), over
//! 1990–2100. Both use today's rules over that range (MLK Day since 1983, Veterans Day on Nov 11
//! since 1978, Juneteenth since 2022).

use chrono::{Datelike, NaiveDate};
use fasti::{Date, calendars::us::FEDERAL_RESERVE};
use penny_calendar::{banking_day_on_or_after, holiday, is_banking_day, next_banking_day};

use crate::support::d;

fn fasti_date(date: NaiveDate) -> Date {
    Date::try_from(date).unwrap()
}

#[test]
fn banking_days_match_fasti_1990_to_2100() {
    let mut checked = 0;
    let mut closed_weekdays = 0;
    for date in d(1990, 1, 1)
        .iter_days()
        .take_while(|day| day.year() <= 2100)
    {
        let theirs = fasti_date(date);
        assert_eq!(
            is_banking_day(date),
            FEDERAL_RESERVE.is_business_day(theirs),
            "{date}"
        );
        // On weekends the two disagree by design: fasti also marks the Sunday itself, we name
        // the holiday on its Saturday or its observed Monday only. Compare weekdays.
        let weekday = date.weekday().number_from_monday() <= 5;
        assert_eq!(
            weekday && holiday(date).is_some(),
            weekday && FEDERAL_RESERVE.is_holiday(theirs),
            "{date}"
        );
        let next = FEDERAL_RESERVE.next_business_day(theirs).unwrap();
        assert_eq!(next_banking_day(date), NaiveDate::from(next), "{date}");
        let on_or_after = if FEDERAL_RESERVE.is_business_day(theirs) {
            theirs
        } else {
            next
        };
        assert_eq!(
            banking_day_on_or_after(date),
            NaiveDate::from(on_or_after),
            "{date}"
        );
        checked += 1;
        closed_weekdays += usize::from(weekday && !is_banking_day(date));
    }
    assert_eq!(checked, 40542); // 111 years, 27 of them leap years
    // Roughly ten weekday closures a year (eleven holidays, some on Saturdays).
    assert!((1000..1221).contains(&closed_weekdays), "{closed_weekdays}");
}
