//! When a posted ACH micro-deposit is available: 8:30 a.m. New York time on the next banking day.
//!
//! transfer-events stamps each posted deposit with [`funds_available_after`], and the notifier
//! waits until that instant before telling the user to look for the deposit on their statement.
//!
//! The day a deposit posts on is its calendar date in New York (the Federal Reserve's time zone),
//! not in UTC: a deposit posted at 02:00 UTC on July 3 posted on July 2 in New York. The wall-clock
//! time is converted with the IANA tz database (`chrono-tz`), so it is 12:30 UTC under daylight
//! time (EDT, UTC−4) and 13:30 UTC under standard time (EST, UTC−5).
//!
//! 8:30 a.m. never falls in New York's daylight-saving gap or overlap (both are at 2 a.m.), but the
//! conversion is total anyway, without panics: a wall-clock time that occurs twice is taken at its
//! earlier occurrence, and one that does not exist is read with the UTC offset from before the
//! gap, which lands it as far past the gap as it was into it (02:30 on a spring-forward night is
//! 03:30 daylight time; `java.time` does the same).

use chrono::{DateTime, LocalResult, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use crate::days::next_banking_day;

/// The Federal Reserve's time zone, `America/New_York`.
pub const NEW_YORK: Tz = chrono_tz::America::New_York;

/// The time of day, in New York, at which funds posted on the previous banking day are available:
/// 8:30 a.m.
pub const SETTLEMENT_TIME: NaiveTime = match NaiveTime::from_hms_opt(8, 30, 0) {
    Some(time) => time,
    None => NaiveTime::MIN, // unreachable: 08:30:00 is a valid time
};

/// When a deposit posted at `posted` is available: [`SETTLEMENT_TIME`] in New York on the first
/// banking day strictly after `posted`'s calendar date in New York.
///
/// A deposit posted on a weekend or holiday is available on the first banking day after it, not
/// the second: Saturday → Monday 8:30 (Tuesday when Monday is a holiday).
pub fn funds_available_after(posted: DateTime<Utc>) -> DateTime<Utc> {
    let posted_on = posted.with_timezone(&NEW_YORK).date_naive();
    let available_on = next_banking_day(posted_on);
    wall_clock_to_utc(NEW_YORK, available_on.and_time(SETTLEMENT_TIME))
}

/// The instant at which `tz`'s clocks read `local`; total (see the module documentation).
fn wall_clock_to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) => at.with_timezone(&Utc),
        LocalResult::Ambiguous(earlier, _later) => earlier.with_timezone(&Utc),
        LocalResult::None => {
            // In a gap. Read `local` with the offset in effect at the instant whose UTC reading is
            // `local`: for a zone west of Greenwich (like New York) that instant is before the
            // transition, so this is the pre-gap offset.
            let offset = tz.offset_from_utc_datetime(&local).fix();
            local.checked_sub_offset(offset).unwrap_or(local).and_utc()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn wall(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
    }

    #[test]
    fn settlement_time_is_half_past_eight() {
        assert_eq!(SETTLEMENT_TIME, NaiveTime::from_hms_opt(8, 30, 0).unwrap());
    }

    #[test]
    fn ordinary_wall_clock_times() {
        // EST in January, EDT in July.
        assert_eq!(
            wall_clock_to_utc(NEW_YORK, wall(2026, 1, 20, 8, 30)),
            utc(2026, 1, 20, 13, 30)
        );
        assert_eq!(
            wall_clock_to_utc(NEW_YORK, wall(2026, 7, 6, 8, 30)),
            utc(2026, 7, 6, 12, 30)
        );
        // 8:30 on both changeover days is unambiguous.
        assert_eq!(
            wall_clock_to_utc(NEW_YORK, wall(2026, 3, 8, 8, 30)),
            utc(2026, 3, 8, 12, 30)
        );
        assert_eq!(
            wall_clock_to_utc(NEW_YORK, wall(2026, 11, 1, 8, 30)),
            utc(2026, 11, 1, 13, 30)
        );
    }

    #[test]
    fn a_time_in_the_spring_gap_moves_past_it() {
        // 2026-03-08: clocks go from 02:00 EST straight to 03:00 EDT (07:00 UTC).
        assert_eq!(
            NEW_YORK.from_local_datetime(&wall(2026, 3, 8, 2, 30)),
            LocalResult::None
        );
        // 02:30 read as EST is 07:30 UTC = 03:30 EDT.
        assert_eq!(
            wall_clock_to_utc(NEW_YORK, wall(2026, 3, 8, 2, 30)),
            utc(2026, 3, 8, 7, 30)
        );
        assert_eq!(
            wall_clock_to_utc(NEW_YORK, wall(2026, 3, 8, 2, 0)),
            utc(2026, 3, 8, 7, 0)
        );
    }

    #[test]
    fn a_time_in_the_autumn_overlap_takes_the_earlier_instant() {
        // 2026-11-01: 01:00-02:00 happens twice, first EDT (UTC-4) then EST (UTC-5).
        assert!(matches!(
            NEW_YORK.from_local_datetime(&wall(2026, 11, 1, 1, 30)),
            LocalResult::Ambiguous(_, _)
        ));
        assert_eq!(
            wall_clock_to_utc(NEW_YORK, wall(2026, 11, 1, 1, 30)),
            utc(2026, 11, 1, 5, 30)
        );
    }

    #[test]
    fn the_new_york_date_decides_not_the_utc_date() {
        // 2026-07-03 02:00 UTC is 22:00 EDT on Thursday, July 2.
        assert_eq!(
            funds_available_after(utc(2026, 7, 3, 2, 0)),
            utc(2026, 7, 3, 12, 30)
        );
        // 2026-07-03 04:00 UTC is 00:00 EDT on Friday, July 3: Monday.
        assert_eq!(
            funds_available_after(utc(2026, 7, 3, 4, 0)),
            utc(2026, 7, 6, 12, 30)
        );
    }
}
