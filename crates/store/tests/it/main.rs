//! Integration tests of penny-store on real SQLite and PostgreSQL (and a real nats-server).

// Test helpers outside #[test] functions fail loudly too; clippy.toml only covers the latter.
#![allow(clippy::unwrap_used)]

/// `on_both_databases!(name, scenario)`: the async `scenario(penny_testkit::TestDb)` of the
/// enclosing module as two tests, `name::sqlite` and `name::postgres` (separate tests, so each
/// engine passes or fails on its own).
macro_rules! on_both_databases {
    ($name:ident, $scenario:ident) => {
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$scenario(crate::support::test_db(penny_testkit::DbKind::Sqlite).await)
                    .await;
            }

            #[tokio::test]
            async fn postgres() {
                super::$scenario(crate::support::test_db(penny_testkit::DbKind::Postgres).await)
                    .await;
            }
        }
    };
}

mod db;
mod inbox;
mod outbox;
mod support;
