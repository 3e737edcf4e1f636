//! penny's webhook ingress: `POST /webhooks/plaid` verifies Plaid's `Plaid-Verification` JWT
//! (ES256 only, key by `kid` from a single-flight, negatively-cached key cache, fresh `iat`,
//! constant-time SHA-256 of the exact body), then publishes the untouched body to the JetStream
//! stream `PLAID_WEBHOOKS` on `plaid.webhook.<TYPE>.<CODE>` and answers 200 only after the
//! PubAck. Everything else answers a small JSON error (`{"error": {"code", "message"}}`, codes
//! in [`Rejection::code`]), publishes nothing and is counted.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use penny_ingress::{App, Config};
//! let app = App::build(Config::default()).await?;
//! println!("listening on {}", app.local_addr());
//! app.run_until_stopped(tokio_util::sync::CancellationToken::new()).await
//! # }
//! ```

#![forbid(unsafe_code)]

mod app;
pub mod config;
pub mod envelope;
pub mod error;
mod log_budget;
pub mod metrics;
pub mod publish;
mod readiness;
mod routes;
mod throttle;
pub mod verify;

pub use app::App;
pub use config::{Config, IngressArgs};
pub use error::Rejection;
pub use metrics::{KeyFetchOutcome, Metrics};
pub use routes::WEBHOOK_PATH;
