//! `funds_available_after` against the vectors verified in `next-services.md` B.4 (fasti 0.2.0 +
//! chrono-tz 0.10.4), plus both daylight-saving changes and a Monday holiday. 8:30 a.m. New York
//! is 12:30 UTC under EDT and 13:30 UTC under EST.

use chrono::{Datelike, Duration, NaiveTime, Weekday};
use penny_calendar::{NEW_YORK, funds_available_after, is_banking_day};

use crate::support::utc;

/// An instant in UTC as (year, month, day, hour, minute).
type Minute = (i32, u32, u32, u32, u32);

/// (posted, available, why).
const VECTORS: &[(Minute, Minute, &str)] = &[
    // B.4 vectors, posted mid-afternoon New York time.
    (
        (2026, 7, 2, 18, 0),
        (2026, 7, 3, 12, 30),
        "Thu; Jul 4 is a Sat, the Fed is open Fri",
    ),
    (
        (2026, 7, 3, 18, 0),
        (2026, 7, 6, 12, 30),
        "Fri; Sat Jul 4, Sun, then Mon",
    ),
    (
        (2027, 7, 2, 18, 0),
        (2027, 7, 6, 12, 30),
        "Fri; Jul 4 is a Sun, closed Mon Jul 5",
    ),
    (
        (2026, 11, 25, 19, 0),
        (2026, 11, 27, 13, 30),
        "Wed; Thu is Thanksgiving; EST",
    ),
    (
        (2026, 12, 31, 19, 0),
        (2027, 1, 4, 13, 30),
        "Thu; Fri is New Year's Day",
    ),
    (
        (2021, 12, 30, 19, 0),
        (2021, 12, 31, 13, 30),
        "Thu; Jan 1 2022 is a Sat, Fri open",
    ),
    (
        (2026, 7, 3, 2, 0),
        (2026, 7, 3, 12, 30),
        "22:00 EDT Thu Jul 2 is Jul 3 in UTC",
    ),
    (
        (2026, 3, 6, 19, 0),
        (2026, 3, 9, 12, 30),
        "Fri EST; DST starts Sun Mar 8; Mon is EDT",
    ),
    // Across the November change: DST ends Sun 2026-11-01 at 02:00 EDT.
    (
        (2026, 10, 30, 18, 0),
        (2026, 11, 2, 13, 30),
        "Fri EDT -> Mon EST",
    ),
    (
        (2026, 11, 1, 5, 30),
        (2026, 11, 2, 13, 30),
        "01:30 EDT Sun, the first 01:30",
    ),
    (
        (2026, 11, 1, 6, 30),
        (2026, 11, 2, 13, 30),
        "01:30 EST Sun, the second 01:30",
    ),
    (
        (2026, 3, 8, 6, 59),
        (2026, 3, 9, 12, 30),
        "01:59 EST Sun, just before the gap",
    ),
    (
        (2026, 3, 8, 7, 0),
        (2026, 3, 9, 12, 30),
        "03:00 EDT Sun, just after the gap",
    ),
    // A Friday before a Monday holiday: Mon Jan 19 2026 is Martin Luther King Jr. Day.
    (
        (2026, 1, 16, 15, 0),
        (2026, 1, 20, 13, 30),
        "Fri; Mon is MLK Day",
    ),
    // Weekend and holiday postings wait for the first banking day, not the second.
    ((2026, 7, 4, 15, 0), (2026, 7, 6, 12, 30), "posted Sat"),
    (
        (2026, 11, 26, 15, 0),
        (2026, 11, 27, 13, 30),
        "posted on Thanksgiving",
    ),
    // Posted before 8:30 on a banking day: still the next banking day.
    (
        (2026, 7, 6, 11, 0),
        (2026, 7, 7, 12, 30),
        "07:00 EDT Mon -> Tue",
    ),
    // The last minute of a New York day vs the first of the next.
    (
        (2026, 1, 21, 4, 59),
        (2026, 1, 21, 13, 30),
        "23:59 EST Tue -> Wed",
    ),
    (
        (2026, 1, 21, 5, 0),
        (2026, 1, 22, 13, 30),
        "00:00 EST Wed -> Thu",
    ),
];

#[test]
fn verified_vectors() {
    for &((py, pm, pd, ph, pmin), (ay, am, ad, ah, amin), why) in VECTORS {
        let posted = utc(py, pm, pd, ph, pmin);
        assert_eq!(
            funds_available_after(posted),
            utc(ay, am, ad, ah, amin),
            "posted {posted}: {why}"
        );
    }
}

/// Every half hour from 2019 through 2031: the result is 8:30 New York time on a banking day,
/// after the posting's New York date, with no banking day in between.
#[test]
fn half_hourly_properties_2019_to_2031() {
    let half_past_eight = NaiveTime::from_hms_opt(8, 30, 0).unwrap();
    let mut posted = utc(2019, 1, 1, 0, 0);
    let end = utc(2032, 1, 1, 0, 0);
    while posted < end {
        let available = funds_available_after(posted);
        let local = available.with_timezone(&NEW_YORK);
        let posted_on = posted.with_timezone(&NEW_YORK).date_naive();
        assert_eq!(local.time(), half_past_eight, "posted {posted}");
        assert!(is_banking_day(local.date_naive()), "posted {posted}");
        assert!(local.date_naive() > posted_on, "posted {posted}");
        assert!(available > posted, "posted {posted}");
        let skipped = posted_on
            .iter_days()
            .skip(1)
            .take_while(|day| *day < local.date_naive());
        for day in skipped {
            assert!(!is_banking_day(day), "posted {posted}: {day} skipped");
        }
        assert!(local.weekday() != Weekday::Sat && local.weekday() != Weekday::Sun);
        posted += Duration::minutes(30);
    }
}
