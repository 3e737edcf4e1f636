//! penny's verification service: Plaid Link and public-token exchange, the AUTH/ITEM webhook
//! consumer, verified account numbers and status changes over gRPC.
//!
//! It is assembled from the shared parts (`penny-runtime` for the supervisor, admin server,
//! gRPC server and bearer scopes; `penny-bus` for the consumer loop and the rate limiter;
//! `penny-store` for the outbox and the inbox) and adds only its own:
//!
//! - [`app`]: [`App::build`] and [`App::run_until_stopped`], the wiring; [`config`]: [`Config`];
//!   [`cli`]: `serve`, `migrate`, `rotate-keys`, `dlq`.
//! - [`domain`]: account states and the state machine ([`domain::transition()`]).
//! - [`verifier`]: the use cases, shared by [`grpc`] and [`consumer`].
//! - [`store`]: entities, migrations, encryption at rest, repository functions.
//! - [`events`]: domain events through the transactional outbox; [`watch`]: the
//!   `WatchAccounts` feed.
//! - [`funnel`]: Link's callbacks and the micro-deposit funnel.
//! - [`reconcile`]: the sweep that asks Plaid about accounts whose outcome webhook is overdue.
//! - [`metrics`]: what `/metrics` shows; [`readiness`]: what `/readyz` checks; [`crash`]:
//!   test-only fault injection.

pub mod app;
pub mod cli;
pub mod config;
pub mod consumer;
pub mod crash;
pub mod domain;
pub mod events;
pub mod funnel;
pub mod grpc;
pub mod metrics;
pub mod readiness;
pub mod reconcile;
pub mod store;
pub mod verifier;
pub mod watch;

pub use app::App;
pub use config::Config;
