//! Integration tests of the verification service against real NATS (JetStream), the real
//! sandbox, the real ingress, and SQLite and PostgreSQL. One test binary (link once).

// Test bodies run once per database from helper functions (`for_each_db`), outside the
// #[test] functions clippy.toml exempts; they must fail loudly too.
#![allow(clippy::unwrap_used)]

mod support;

mod auth;
mod burst;
mod crash;
mod dedupe;
mod exchange;
mod flow;
mod funnel;
mod rate_limit;
mod readiness;
mod reconcile;
mod replicas;
mod same_day;
mod secrets;
mod update_mode;
mod watch;
mod webhooks;
