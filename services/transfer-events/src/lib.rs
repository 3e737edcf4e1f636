//! penny's transfer-events service: Plaid's micro-deposit event feed turned into a complete,
//! gap-free, duplicate-free ledger of ACH events, each account's deposit state, and the deposit
//! domain events the notifier needs.
//!
//! Plaid's `BANK_TRANSFERS_EVENTS_UPDATE` (or, for Plaid Transfer customers,
//! `TRANSFER_EVENTS_UPDATE`) carries no data: it only says "sync". Pokes become durable sync
//! requests; one replica at a time pages the feed from the stored cursor under a lease whose
//! fencing token the database checks on every page. How and why it is safe: [`sync`].
//!
//! It is assembled from the shared parts (`penny-runtime` for the supervisor, admin server,
//! gRPC server and bearer scopes; `penny-bus` for the consumer loop, the topology and the lease;
//! `penny-store` for the outbox and the inbox; `penny-calendar` for when posted funds are
//! available; `penny-plaid` for the event sync) and adds only its own:
//!
//! - [`app`]: [`App::build`] and [`App::run_until_stopped`], the wiring; [`config`]:
//!   [`Config`]; [`cli`]: `serve`, `migrate`, `reset-fence`, `dlq`.
//! - [`domain`]: the pure rules: feeds, a deposit's lifecycle, ACH return codes, the account
//!   summary.
//! - [`sync`]: requests, the lease, one sync page by page, the sweep.
//! - [`consumer`]: the poke consumer and the `penny.event.account.linked` consumer.
//! - [`store`]: entities, migrations, the fenced page commit, repository functions.
//! - [`events`]: `penny.v1.DepositEvent` through the transactional outbox.
//! - [`grpc`]: the API, `penny.v1.TransferEventsService`.
//! - [`metrics`]: what `/metrics` shows; [`readiness`]: what `/readyz` checks; [`crash`]:
//!   test-only fault injection.

pub mod app;
pub mod cli;
pub mod config;
pub mod consumer;
pub mod crash;
pub mod domain;
pub mod events;
pub mod grpc;
pub mod metrics;
pub mod readiness;
pub mod store;
pub mod sync;

pub use app::App;
pub use config::Config;
