//! Integration tests of penny-store on real SQLite and PostgreSQL (and a real nats-server).

// Test helpers outside #[test] functions fail loudly too; clippy.toml only covers the latter.
#![allow(clippy::unwrap_used)]

/// `on_both_databases!(name, scenario)`: the async `scenario(TestDb)` of the enclosing module
/// as two tests, `name::sqlite` and `name::postgres`.
macro_rules! on_both_databases {
    ($name:ident, $scenario:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$scenario(crate::support::TestDb::sqlite().await).await;
            }

            #[tokio::test]
            async fn postgres() {
                super::$scenario(crate::support::TestDb::postgres().await).await;
            }
        }
    };
}

mod db;
mod inbox;
mod outbox;
mod support;
