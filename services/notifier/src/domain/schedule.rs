//! When an alert may go out: the deposit's availability time for "check your statement"
//! (8:30 a.m. ET on the next banking day, never earlier), and the person's quiet hours, which
//! delay an alert to their end and never drop it.

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// Quiet hours in local time: `[start, end)`; `start > end` spans midnight; `start == end` is
/// no quiet time at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuietHours {
    /// First quiet minute.
    pub start: NaiveTime,
    /// First minute after the quiet.
    pub end: NaiveTime,
}

impl QuietHours {
    /// Parses `"HH:MM"` times (24-hour).
    pub fn parse(start: &str, end: &str) -> Result<Self, String> {
        Ok(Self {
            start: parse_hhmm(start)?,
            end: parse_hhmm(end)?,
        })
    }

    /// Minutes after midnight, as stored.
    pub fn from_minutes(start: i32, end: i32) -> Option<Self> {
        Some(Self {
            start: from_minutes(start)?,
            end: from_minutes(end)?,
        })
    }

    /// `(start, end)` in minutes after midnight.
    pub fn to_minutes(self) -> (i32, i32) {
        (minutes(self.start), minutes(self.end))
    }

    /// `"HH:MM"` forms.
    pub fn to_strings(self) -> (String, String) {
        (
            self.start.format("%H:%M").to_string(),
            self.end.format("%H:%M").to_string(),
        )
    }

    /// Whether local time `t` is quiet.
    pub fn contains(self, t: NaiveTime) -> bool {
        match self.start.cmp(&self.end) {
            std::cmp::Ordering::Less => self.start <= t && t < self.end,
            std::cmp::Ordering::Greater => t >= self.start || t < self.end,
            std::cmp::Ordering::Equal => false,
        }
    }
}

/// The first instant at or after `at` outside `quiet` hours in `tz` (`at` itself when not
/// quiet, or when there are no quiet hours).
pub fn next_allowed(at: DateTime<Utc>, quiet: Option<(QuietHours, Tz)>) -> DateTime<Utc> {
    let Some((hours, tz)) = quiet else {
        return at;
    };
    let local = at.with_timezone(&tz).naive_local();
    if !hours.contains(local.time()) {
        return at;
    }
    // Inside: the quiet time ends at `end` today, or tomorrow when it started yesterday evening
    // and we are before midnight.
    let mut end_day = local.date();
    if hours.start > hours.end && local.time() >= hours.start {
        end_day = end_day.succ_opt().unwrap_or(end_day);
    }
    let end = wall_clock_to_utc(tz, end_day.and_time(hours.end));
    end.max(at)
}

/// When "check your statement" may go out for a posted deposit: its `available_at` as
/// transfer-events stamped it, or, when missing, 8:30 a.m. ET on the banking day after it
/// posted (penny-calendar), computed from when it occurred (or `now` when even that is
/// missing).
pub fn deposit_due(
    available_at: Option<DateTime<Utc>>,
    occurred_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    available_at
        .unwrap_or_else(|| penny_calendar::funds_available_after(occurred_at.unwrap_or(now)))
}

/// The instant `tz`'s clocks read `local` (the earlier one when it occurs twice; past the gap
/// when it does not occur).
fn wall_clock_to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
        LocalResult::None => {
            let later = local + Duration::hours(1);
            match tz.from_local_datetime(&later) {
                LocalResult::Single(at) | LocalResult::Ambiguous(at, _) => at.with_timezone(&Utc),
                LocalResult::None => later.and_utc(),
            }
        }
    }
}

fn parse_hhmm(s: &str) -> Result<NaiveTime, String> {
    let (h, m) = s
        .split_once(':')
        .ok_or_else(|| format!("{s:?} is not HH:MM"))?;
    let ok = h.len() == 2 && m.len() == 2;
    let (h, m) = (h.parse::<u32>(), m.parse::<u32>());
    match (ok, h, m) {
        (true, Ok(h), Ok(m)) => {
            NaiveTime::from_hms_opt(h, m, 0).ok_or_else(|| format!("{h:02}:{m:02} is not a time"))
        }
        _ => Err("is not HH:MM (24-hour)".to_owned()),
    }
}

fn minutes(t: NaiveTime) -> i32 {
    use chrono::Timelike as _;
    i32::try_from(t.hour() * 60 + t.minute()).unwrap_or(0)
}

fn from_minutes(m: i32) -> Option<NaiveTime> {
    let m = u32::try_from(m).ok()?;
    NaiveTime::from_hms_opt(m / 60, m % 60, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    const LA: Tz = chrono_tz::America::Los_Angeles;

    #[test]
    fn overnight_quiet_hours_delay_to_their_end() {
        let q = QuietHours::parse("22:00", "07:30").unwrap();
        // 23:00 PST (07:00Z next day) → 07:30 PST the next morning (15:30Z).
        assert_eq!(
            next_allowed(utc(2026, 1, 15, 7, 0), Some((q, LA))),
            utc(2026, 1, 15, 15, 30)
        );
        // 03:00 PST → 07:30 the same morning.
        assert_eq!(
            next_allowed(utc(2026, 1, 15, 11, 0), Some((q, LA))),
            utc(2026, 1, 15, 15, 30)
        );
        // Noon is not quiet.
        let noon = utc(2026, 1, 15, 20, 0);
        assert_eq!(next_allowed(noon, Some((q, LA))), noon);
        // Exactly at the end is allowed; exactly at the start is quiet.
        assert_eq!(
            next_allowed(utc(2026, 1, 15, 15, 30), Some((q, LA))),
            utc(2026, 1, 15, 15, 30)
        );
        assert_eq!(
            next_allowed(utc(2026, 1, 16, 6, 0), Some((q, LA))),
            utc(2026, 1, 16, 15, 30)
        );
    }

    #[test]
    fn daytime_quiet_hours_and_no_quiet_hours() {
        let q = QuietHours::parse("12:00", "13:00").unwrap();
        assert_eq!(
            next_allowed(utc(2026, 1, 15, 20, 15), Some((q, LA))),
            utc(2026, 1, 15, 21, 0)
        );
        let at = utc(2026, 1, 15, 20, 15);
        assert_eq!(next_allowed(at, None), at);
        let none = QuietHours::parse("09:00", "09:00").unwrap();
        assert_eq!(next_allowed(at, Some((none, LA))), at);
    }

    #[test]
    fn quiet_hours_ending_across_a_dst_change_use_that_days_offset() {
        // Spring forward in Los Angeles: 2026-03-08. Quiet 22:00-08:00 from the evening before.
        let q = QuietHours::parse("22:00", "08:00").unwrap();
        let evening = utc(2026, 3, 8, 7, 0); // 23:00 PST on the 7th
        assert_eq!(next_allowed(evening, Some((q, LA))), utc(2026, 3, 8, 15, 0)); // 08:00 PDT
        // A quiet time ending inside the gap (02:30 does not exist) ends past it.
        let gap = QuietHours::parse("01:00", "02:30").unwrap();
        let at = utc(2026, 3, 8, 9, 30); // 01:30 PST
        assert_eq!(next_allowed(at, Some((gap, LA))), utc(2026, 3, 8, 10, 30)); // 03:30 PDT
    }

    #[test]
    fn hh_mm_parsing_is_strict() {
        assert!(QuietHours::parse("7:00", "08:00").is_err());
        assert!(QuietHours::parse("24:00", "08:00").is_err());
        assert!(QuietHours::parse("aa:bb", "08:00").is_err());
        let q = QuietHours::parse("22:15", "06:45").unwrap();
        assert_eq!(q.to_minutes(), (1335, 405));
        assert_eq!(QuietHours::from_minutes(1335, 405), Some(q));
        assert_eq!(q.to_strings(), ("22:15".to_owned(), "06:45".to_owned()));
        assert_eq!(QuietHours::from_minutes(-1, 5), None);
    }

    #[test]
    fn a_deposit_is_due_at_its_availability_or_the_calendars() {
        // Posted Friday 2027-01-15; Monday the 18th is Martin Luther King Jr. Day.
        let posted = utc(2027, 1, 15, 18, 0);
        let tuesday = utc(2027, 1, 19, 13, 30); // 08:30 EST
        assert_eq!(deposit_due(None, Some(posted), posted), tuesday);
        assert_eq!(deposit_due(Some(tuesday), Some(posted), posted), tuesday);
        assert_eq!(deposit_due(None, None, posted), tuesday);
    }
}
