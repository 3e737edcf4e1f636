//! Integration tests of penny-calendar: the Federal Reserve's published holiday schedule, the
//! settlement-time vectors from `next-services.md` B.4, and a day-by-day comparison with the
//! `fasti` crate's Federal Reserve calendar.

// Test helpers outside #[test] functions fail loudly too; clippy.toml only covers the latter.
#![allow(clippy::unwrap_used)]

mod fasti_oracle;
mod fed_schedule;
mod settlement_vectors;
mod support;
