//! When the reconciliation sweep asks Plaid about an account still pending.
//!
//! Plaid retries a webhook for 24 hours and then drops it for good; there is no replay API
//! (plaid-api.md §4). So an account whose outcome webhook was lost stays pending unless penny
//! asks. The sweep asks `/accounts/get` about each pending account once its outcome is overdue,
//! then again every `recheck` while it stays pending, and stops after `give_up_after` (an
//! automated deposit resolves within 7 days; a Same-Day one waits for its user, who may never
//! come back).
//!
//! "Overdue" is, by default, Plaid's own schedule plus a grace period: an automated deposit is
//! verified within two business days of linking ([`Expectation::latest`]); a Same-Day deposit
//! can be confirmed from 8:30 a.m. ET on the next banking day ([`Expectation::earliest`]). A
//! fixed delay after linking replaces the schedule where time runs differently (the sandbox
//! verifies in seconds).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use super::{Expectation, Flow};

/// When an account's first check is due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirstCheck {
    /// Plaid's expected schedule for the flow, plus the grace period.
    Window,
    /// A fixed delay after linking, whatever the flow.
    After(std::time::Duration),
}

impl FromStr for FirstCheck {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == "window" {
            return Ok(Self::Window);
        }
        penny_config::parse_duration(s)
            .map(Self::After)
            .map_err(|e| format!("expected `window` or a duration such as `30s`: {e}"))
    }
}

impl fmt::Display for FirstCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Window => f.write_str("window"),
            Self::After(d) => write!(f, "{}s", d.as_secs_f64()),
        }
    }
}

/// The sweep's schedule for pending accounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReconcileSchedule {
    /// When the first check is due.
    pub first_check: FirstCheck,
    /// Added to Plaid's expected time (with [`FirstCheck::Window`]).
    pub grace: chrono::Duration,
    /// Between two checks of an account that stays pending.
    pub recheck: chrono::Duration,
    /// No check after this long since linking.
    pub give_up_after: chrono::Duration,
}

impl Default for ReconcileSchedule {
    fn default() -> Self {
        Self {
            first_check: FirstCheck::Window,
            grace: chrono::Duration::hours(1),
            recheck: chrono::Duration::hours(6),
            give_up_after: chrono::Duration::days(30),
        }
    }
}

impl ReconcileSchedule {
    /// The first check of an account of `flow` linked at `linked_at` in `verification`-pending
    /// state; `None` when there is nothing to wait for (instant Auth).
    pub fn first(&self, flow: Flow, linked_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let at = match self.first_check {
            FirstCheck::After(delay) => {
                linked_at.checked_add_signed(chrono::Duration::from_std(delay).ok()?)?
            }
            FirstCheck::Window => {
                let e = Expectation::pending(flow, linked_at);
                e.latest.or(e.earliest)? + self.grace
            }
        };
        self.within_limit(linked_at, at)
    }

    /// The check after one made at `now` that left the account pending; `None` once past
    /// `give_up_after`.
    pub fn next(&self, linked_at: DateTime<Utc>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.within_limit(linked_at, now + self.recheck)
    }

    fn within_limit(&self, linked_at: DateTime<Utc>, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (at <= linked_at + self.give_up_after).then_some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::time::Duration;

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn automated_is_checked_two_business_days_and_the_grace_after_linking() {
        let s = ReconcileSchedule::default();
        // Thursday 2026-11-19 15:00 + 2 business days = Monday the 23rd, + 1 h grace.
        assert_eq!(
            s.first(Flow::Automated, at(2026, 11, 19, 15)),
            Some(at(2026, 11, 23, 16))
        );
    }

    #[test]
    fn same_day_is_checked_once_its_code_can_be_confirmed() {
        let s = ReconcileSchedule::default();
        // Friday 15:00 UTC: confirmable Monday 8:30 EST = 13:30 UTC, + 1 h.
        let first = s.first(Flow::SameDay, at(2026, 11, 20, 15));
        assert_eq!(
            first,
            Some(Utc.with_ymd_and_hms(2026, 11, 23, 14, 30, 0).unwrap())
        );
    }

    #[test]
    fn instant_auth_is_never_checked() {
        assert_eq!(
            ReconcileSchedule::default().first(Flow::Instant, at(2026, 11, 19, 15)),
            None
        );
    }

    #[test]
    fn a_fixed_delay_replaces_the_window_for_every_flow() {
        let s = ReconcileSchedule {
            first_check: FirstCheck::After(Duration::from_secs(30)),
            ..ReconcileSchedule::default()
        };
        let linked = at(2026, 11, 19, 15);
        for flow in Flow::ALL {
            assert_eq!(
                s.first(flow, linked),
                Some(linked + chrono::Duration::seconds(30))
            );
        }
    }

    #[test]
    fn rechecks_stop_after_the_limit() {
        let s = ReconcileSchedule::default();
        let linked = at(2026, 11, 1, 0);
        assert_eq!(s.next(linked, at(2026, 11, 5, 0)), Some(at(2026, 11, 5, 6)));
        assert_eq!(
            s.next(linked, at(2026, 11, 30, 18)),
            Some(at(2026, 12, 1, 0))
        );
        assert_eq!(s.next(linked, at(2026, 11, 30, 19)), None);
        let short = ReconcileSchedule {
            give_up_after: chrono::Duration::hours(1),
            ..s
        };
        assert_eq!(short.first(Flow::Automated, linked), None);
    }

    #[test]
    fn first_check_parses_window_or_a_duration() {
        assert_eq!("window".parse(), Ok(FirstCheck::Window));
        assert_eq!(
            "30s".parse(),
            Ok(FirstCheck::After(Duration::from_secs(30)))
        );
        let bad = "soon".parse::<FirstCheck>().unwrap_err();
        assert!(bad.contains("`window` or a duration"), "{bad}");
    }
}
