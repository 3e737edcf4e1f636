//! penny-ach: what an ACH return code means for the user, one table for every service.
//! transfer-events classifies a returned micro-deposit with it (the category and reason in its
//! events and API); the notifier falls back to it when an event carries only the code.
//!
//! - [`ReturnCategory`]: the few categories a message can name (`penny.v1.ReturnCategory`).
//! - [`CODES`] / [`classify`]: every code of Plaid's table, its category and a sentence for
//!   the user. [`classify`] never fails: an unknown code is [`ReturnCategory::Other`] with a
//!   reason that names it.
//!
//! ```
//! use penny_ach::{ReturnCategory, classify};
//! assert_eq!(classify("R16").0, ReturnCategory::AccountFrozen);
//! assert_eq!(ReturnCategory::of_ach_code("r01"), ReturnCategory::InsufficientFunds);
//! ```

#![warn(missing_docs)]

mod category;
mod codes;

pub use category::ReturnCategory;
pub use codes::{CODES, classify};
