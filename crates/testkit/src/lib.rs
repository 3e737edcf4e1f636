//! Helpers for penny's tests: real dependencies as RAII guards, started on free ports in temp
//! directories and torn down on `Drop`, plus polling with a deadline instead of sleeping.
//!
//! * [`init`]: crypto provider + a test tracing subscriber with OpenTelemetry (trace ids work);
//! * [`NatsServer`]: a `nats-server` with JetStream; stop and restart on the same port and store;
//! * [`TestPostgres`] / [`PgDatabase`]: a fresh PostgreSQL database (shared cluster from
//!   `PENNY_TEST_PG_URL`, else a throwaway cluster of its own); [`PgCluster`] underneath;
//! * [`TempSqlite`]: a SQLite file in a temp directory;
//! * [`SandboxServer`]: the Plaid sandbox in-process on a free port;
//! * [`poll_until`]: wait for a condition with a deadline; [`free_port`].
//!
//! Binaries: `nats-server` from `$PENNY_NATS_SERVER`, else `<workspace>/.tools/bin`, else `PATH`
//! (`just tools` installs it); PostgreSQL from the newest `/usr/lib/postgresql/*/bin`, else `PATH`.

mod nats;
mod poll;
mod postgres;
mod sandbox;
mod sqlite;
mod subscriber;
mod tools;

pub use nats::{NatsConfig, NatsServer};
pub use poll::{Ready, poll_until};
pub use postgres::{PgCluster, PgDatabase, TestPostgres};
pub use sandbox::SandboxServer;
pub use sqlite::TempSqlite;
pub use subscriber::init;
pub use tools::{free_port, workspace_root};
