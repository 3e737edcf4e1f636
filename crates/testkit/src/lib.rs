//! Helpers for penny's tests: real dependencies as RAII guards, started on free ports in temp
//! directories and torn down on `Drop`, polling with a deadline instead of sleeping, and the
//! clients every suite needs.
//!
//! * [`init`]: crypto provider + a test tracing subscriber with OpenTelemetry (trace ids work);
//! * [`NatsServer`]: a `nats-server` with JetStream; stop and restart on the same port and store;
//!   [`wait_consumer_drained`]: a durable consumer that has handled everything published;
//! * [`TestPostgres`] / [`PgDatabase`]: a fresh PostgreSQL database (shared cluster from
//!   `PENNY_TEST_PG_URL`, else a throwaway cluster of its own); [`PgCluster`] underneath;
//! * [`TempSqlite`]: a SQLite file in a temp directory;
//! * [`TestDb`] / [`DbKind`]: either of the two; [`for_each_db`] runs a scenario on both;
//! * [`Bearer`] / [`grpc_channel`]: gRPC clients with `authorization: Bearer <token>`;
//! * [`SandboxControl`]: a typed HTTP client of the sandbox control API (`/__sandbox/…`);
//! * [`SmtpServer`]: a real SMTP server (`aiosmtpd` from `.tools`) writing a Maildir, read back
//!   as [`ReceivedMail`]; [`HttpReceiver`], [`PushReceiver`] (checks Standard Webhooks
//!   signatures) and [`SmsApi`]: recording HTTP receivers with scripted answers;
//! * [`ChildProcess`]: a spawned binary logging to a file, terminated gracefully or killed on
//!   drop;
//! * [`cpu_seconds`] / [`peak_rss_mib`]: a process's CPU time and peak memory from `/proc`;
//!   [`machine_cpu`]: the whole machine's (busy and stolen);
//! * [`poll_until`]: wait for a condition with a deadline; [`free_port`] (below the kernel's
//!   ephemeral range, so no outgoing connection takes it before the server binds it).
//!
//! Two features start penny services in-process. They are for the `[dev-dependencies]` of
//! suites that need them; library crates never enable them (so testing a library never builds
//! a service):
//!
//! * `sandbox`: [`SandboxServer`], the Plaid sandbox on a free port;
//! * `stack` (implies `sandbox`): [`Stack`], NATS + sandbox + ingress + a [`TestDb`] + a Plaid
//!   client + [`SandboxControl`]; suites start their service on it.
//!
//! Binaries: `nats-server` from `$PENNY_NATS_SERVER`, else `<workspace>/.tools/bin`, else `PATH`
//! (`just tools` installs it); PostgreSQL from the newest `/usr/lib/postgresql/*/bin`, else `PATH`.

mod control;
mod db;
mod grpc;
mod jetstream;
mod mail;
mod nats;
#[cfg(feature = "otlp")]
mod otlp;
mod poll;
mod ports;
mod postgres;
mod proc_usage;
mod process;
mod receivers;
#[cfg(feature = "sandbox")]
mod sandbox;
mod smtp;
mod sqlite;
#[cfg(feature = "stack")]
mod stack;
mod subscriber;
mod tools;

pub use control::{
    ActiveEndpointFault, ActiveFaults, Clock, DeliveryOutcome, EndpointFault, EndpointStats,
    ForcedError, Institution, Jwk, KeyRotation, Limit, LinkAccount, LinkCompleted, LinkCompletion,
    RateLimitMode, RateLimitTable, RateLimits, SandboxControl, SandboxStats, SignRequest, Signed,
    WebhookAttempt, WebhookFaults,
};
pub use control::{
    Advance, Advanced, BulkItems, CreatedItem, CreatedItems, CreatedTransfer, DepositShape,
    EventFeed, FeedCounts, TransferCounts, TransferDirection, TransferFailure,
};
pub use db::{DbKind, TestDb, for_each_db};
pub use grpc::{Bearer, grpc_channel};
pub use jetstream::{DRAIN_TIMEOUT, wait_consumer_drained};
pub use mail::ReceivedMail;
pub use nats::{NatsConfig, NatsServer};
#[cfg(feature = "otlp")]
pub use otlp::{OtlpReceiver, ReceivedSpan};
pub use poll::{Ready, last_until, poll_until};
pub use ports::free_port;
pub use postgres::{PgCluster, PgDatabase, TestPostgres, create_database};
pub use proc_usage::{MachineCpu, cpu_seconds, machine_cpu, peak_rss_mib};
pub use process::ChildProcess;
pub use receivers::{HttpReceiver, PushReceiver, Recorded, Reply, SmsApi};
#[cfg(feature = "sandbox")]
pub use sandbox::SandboxServer;
pub use smtp::{SmtpServer, TlsFiles};
pub use sqlite::TempSqlite;
#[cfg(feature = "stack")]
pub use stack::Stack;
pub use subscriber::init;
pub use tools::{find_binary, log_tail, workspace_root};
