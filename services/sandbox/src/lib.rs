//! `penny-sandbox`: a local simulator of the Plaid API (like stripe-mock for Stripe).
//!
//! It serves the Plaid endpoints penny uses (Link tokens, token exchange, `/accounts/get`,
//! `/auth/get`, `/item/*`, bank-transfer event sync, webhook verification keys and the
//! `/sandbox/*` helpers) with Plaid's request validation, response and error shapes; runs the
//! Automated Micro-deposits timeline on a simulated clock that can run fast; delivers
//! ES256-signed webhooks with Plaid's retry schedule; and offers a control API under
//! `/__sandbox/` for tests (clock, faults, rate limits, delivery log, seeding).
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! let app = penny_sandbox::App::build(penny_sandbox::Config::default()).await?;
//! println!("sandbox at {}", app.base_url());
//! app.run_until_stopped(tokio_util::sync::CancellationToken::new()).await
//! # }
//! ```

mod app;
mod clock;
mod config;
mod control;
mod endpoint;
mod error;
mod faults;
mod help;
mod ids;
mod items;
mod keys;
mod ledger;
mod model;
mod outgoing;
mod plaid;
mod ratelimit;
mod request;
mod same_day;
mod scheduler;
mod state;
mod stats;
mod timeline;
mod tokens;
mod webhooks;

pub use app::App;
pub use config::{Config, Delay, RateLimitMode};
pub use endpoint::Endpoint;
pub use ledger::Feed;
pub use ledger::shape::DepositShape;
