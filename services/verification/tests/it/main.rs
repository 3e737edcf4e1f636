//! Integration tests of the verification service against real NATS (JetStream), the real
//! sandbox, the real ingress, and SQLite and PostgreSQL. One test binary (link once).

mod support;

mod auth;
mod crash;
mod exchange;
mod flow;
mod rate_limit;
mod secrets;
mod watch;
mod webhooks;
