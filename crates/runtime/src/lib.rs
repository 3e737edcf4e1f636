//! penny-runtime: the parts every penny service is assembled from, so each service's
//! `App::build` reads as a short list of calls and none of them invents its own.
//!
//! | part | what it is for |
//! |---|---|
//! | [`Supervisor`] | the service's named tasks: run until the token is cancelled or one ends, drain under a grace period, abort the rest |
//! | [`signal`] | [`install_crypto_provider`] first thing in `main`; [`shutdown_on_signal`] for SIGTERM/SIGINT |
//! | [`Readiness`] | live and probed checks (NATS, streams, consumer, database) and draining; drives `/readyz` and gRPC health |
//! | [`admin`] | the admin HTTP server: `/healthz`, `/readyz`, `/metrics` (OpenMetrics) |
//! | [`grpc`] | [`GrpcServer`]: `TCP_NODELAY`, health that follows readiness, reflection, the trace layer |
//! | [`auth`] | bearer tokens with scopes, one format and one interceptor for every API |
//! | [`Servers`] | the gRPC and admin servers and the readiness loop every service runs, bound in `build`, spawned in `run` |
//! | [`HttpListener`] | an HTTP listener bound in `build`, served until the token is cancelled (the admin server and a service's own endpoints) |
//! | [`cli`] | a service binary's command line: [`service_cli!`] (`serve`, `migrate`, its own commands) and [`cli::say`] |
//! | [`periodic`] | [`periodic::every`]: a sweep's timer (once at start, then every interval, until shutdown) |
//! | [`crash`] | test-only fault injection: [`crash_points!`] and [`crash::maybe_crash`] |
//!
//! A service's wiring, in outline:
//!
//! ```ignore
//! let shutdown = penny_runtime::shutdown_on_signal();
//! let mut tasks = Supervisor::new(shutdown.clone(), cfg.shutdown_grace);
//! tasks.spawn("grpc", grpc.serve(readiness.clone(), shutdown.clone()));
//! tasks.spawn("admin", admin.serve(readiness.clone(), registry, shutdown.clone()));
//! tasks.spawn("readiness", async move { readiness.run(interval, shutdown).await; Ok(()) });
//! tasks.run().await
//! ```

#![warn(missing_docs)]

pub mod admin;
pub mod auth;
pub mod cli;
pub mod crash;
pub mod grpc;
pub mod http;
pub mod periodic;
pub mod readiness;
mod servers;
pub mod signal;
mod supervisor;

pub use admin::AdminServer;
pub use auth::{ApiTokens, Authenticator, Caller, Scope, require};
pub use grpc::GrpcServer;
pub use http::{ConnectionLimits, HttpListener};
pub use readiness::{Readiness, ReadinessBuilder};
pub use servers::Servers;
pub use signal::{cancel_on_signal, install_crypto_provider, shutdown_on_signal};
pub use supervisor::{Supervisor, TaskOutput};
