//! ACH return codes: the shared table of `penny-ach` ([`CODES`], [`classify`]), each code
//! mapped to a [`ReturnCategory`] a message can name and a reason in plain words for the end
//! user. [`classify`] never fails: a code penny does not know is categorised
//! [`ReturnCategory::Other`] with a reason that names it, and callers keep the code verbatim.

pub use penny_ach::{CODES, ReturnCategory, classify};
