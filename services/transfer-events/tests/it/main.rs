//! Integration tests of the transfer-events service against real NATS (JetStream), the real
//! sandbox over HTTP, the real ingress, and SQLite and PostgreSQL. One test binary (link once).

// Test bodies run once per database from helper functions (`for_each_db`), outside the
// #[test] functions clippy.toml exempts; they must fail loudly too.
#![allow(clippy::unwrap_used)]

mod support;

mod api;
mod crash;
mod deposits;
mod fencing;
mod pokes;
mod replay;
mod resync;
mod storms;
mod sweep;
mod traces;
mod transfer_mode;
