//! Integration tests of the notifier against real NATS (JetStream), a real SMTP server process
//! (aiosmtpd), real HTTP receivers for SMS and push, and SQLite and PostgreSQL. One test
//! binary (link once).

// Test bodies run once per database from helper functions (`for_each_db`), outside the
// #[test] functions clippy.toml exempts; they must fail loudly too.
#![allow(clippy::unwrap_used)]

mod support;

mod alerts;
mod contacts;
mod crash;
mod dedupe;
mod outages;
mod records;
mod reminders;
mod replicas;
mod rotate;
mod schedule;
mod smtp_tls;
mod trace;
mod unsubscribe;
mod waiting;
