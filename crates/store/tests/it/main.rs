//! Integration tests of penny-store on real SQLite and PostgreSQL (and a real nats-server).

// Test helpers outside #[test] functions fail loudly too; clippy.toml only covers the latter.
#![allow(clippy::unwrap_used)]

mod db;
mod outbox;
mod support;
