//! penny's verification service: Plaid Link and public-token exchange, the AUTH/ITEM webhook
//! consumer, verified account numbers and status changes over gRPC.
//!
//! - [`app`]: [`App::build`] and [`App::run_until_stopped`]; [`config`]: [`Config`];
//!   [`cli`]: `serve`, `migrate`, `rotate-keys`, `dlq`.
//! - [`domain`]: account states and the state machine ([`domain::transition()`]).
//! - [`verifier`]: the use cases, shared by [`grpc`] and [`consumer`].
//! - [`store`]: entities, migrations, encryption at rest, repository functions.
//! - [`limiter`]: Plaid rate limits shared by all replicas (NATS KV).
//! - [`events`]: domain events through the transactional outbox; [`watch`]: the
//!   `WatchAccounts` feed.
//! - [`auth`]: bearer tokens and scopes; [`crash`]: test-only fault injection.

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod consumer;
pub mod crash;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod limiter;
pub mod store;
pub mod verifier;
pub mod watch;

pub use app::App;
pub use config::Config;
