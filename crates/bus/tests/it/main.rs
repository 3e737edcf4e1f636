//! Integration tests of penny-bus against a real `nats-server` with JetStream.

// Test helpers outside #[test] functions fail loudly too; clippy.toml only covers the latter.
#![allow(clippy::unwrap_used)]

mod batch;
mod consumer;
mod dead_letters;
mod lease;
mod publish;
mod rate_limiter;
mod retry_after;
mod streams;
mod support;
