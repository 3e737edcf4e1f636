//! penny-calendar: the US banking calendar penny uses to time ACH micro-deposits.
//!
//! A micro-deposit that posts on one day is in the user's account at **8:30 a.m. America/New_York
//! on the next banking day**. transfer-events records that time with each posted deposit and the
//! notifier sends "deposit arrived, check your statement" then, not before.
//!
//! Banking days are those of the Federal Reserve Banks: Monday to Friday except the Federal
//! Reserve holidays, with the Fed's own observed-date rule (a holiday on Sunday closes the Monday
//! after; a holiday on Saturday closes nothing, the Banks are open the Friday before).
//!
//! - [`holidays`]: the eleven holidays ([`Holiday`]) and which one is observed on a date
//!   ([`holiday`]).
//! - [`days`]: banking days ([`is_banking_day`], [`next_banking_day`],
//!   [`banking_day_on_or_after`]).
//! - [`settlement`]: when posted funds are available ([`funds_available_after`]), in New York
//!   time across both daylight-saving changes.
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use penny_calendar::funds_available_after;
//!
//! // Posted Friday 16 January 2026; Monday the 19th is Martin Luther King Jr. Day.
//! let posted = Utc.with_ymd_and_hms(2026, 1, 16, 15, 0, 0).unwrap();
//! let available = Utc.with_ymd_and_hms(2026, 1, 20, 13, 30, 0).unwrap(); // Tue 8:30 EST
//! assert_eq!(funds_available_after(posted), available);
//! ```

#![warn(missing_docs)]

pub mod days;
pub mod holidays;
pub mod settlement;

pub use days::{banking_day_on_or_after, is_banking_day, next_banking_day};
pub use holidays::{Holiday, holiday};
pub use settlement::{NEW_YORK, SETTLEMENT_TIME, funds_available_after};
