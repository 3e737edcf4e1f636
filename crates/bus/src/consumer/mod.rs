//! The consumer framework every service copies: a loop ([`run_consumer`]) around a step
//! ([`Handler::handle`]) that returns an [`Outcome`].
//!
//! - [`Outcome::Ack`]: the work is done (and committed); the message is acked and the ack
//!   confirmed by the server.
//! - [`Outcome::Retry`]: a transient failure; the message is Nak'ed with a jittered delay from
//!   [`RetryPolicy`], or parked once `max_deliveries` is reached.
//! - [`Outcome::RetryAfter`]: a wait whose end the handler knows (a rate-limit budget that
//!   frees up at a known time); the message is Nak'ed with exactly that delay (capped at
//!   [`RetryPolicy::cap`]). A wait is not a failure: it does not advance the backoff nor count
//!   toward `max_deliveries`; only [`RetryPolicy::max_total_deliveries`] bounds it.
//! - [`Outcome::Park`]: a permanent failure; the message is copied to `DEAD_LETTERS` with the
//!   reason and only then terminated, so nothing is ever lost.
//!
//! Tests call `handle` directly with a [`Delivery::new`] and assert the outcome.
//!
//! ```no_run
//! use std::{sync::Arc, time::Duration};
//!
//! use penny_bus::{ConsumerSpec, DeadLetters, Delivery, Handler, Outcome, RetryPolicy, RunOptions};
//!
//! struct AuthWebhooks;
//!
//! impl Handler for AuthWebhooks {
//!     async fn handle(&self, d: &Delivery) -> Outcome {
//!         let Ok(body) = serde_json::from_slice::<serde_json::Value>(d.payload()) else {
//!             return Outcome::park("body is not JSON");
//!         };
//!         // ... do the work in one DB transaction keyed by something unique, commit ...
//!         let _ = body;
//!         Outcome::Ack
//!     }
//! }
//!
//! # async fn run(
//! #     js: async_nats::jetstream::Context,
//! #     shutdown: tokio_util::sync::CancellationToken,
//! # ) -> anyhow::Result<()> {
//! let policy = RetryPolicy::default();
//! let mut spec = ConsumerSpec::new(
//!     "verification-auth",
//!     vec![penny_bus::webhook_type_filter("AUTH"), penny_bus::webhook_type_filter("ITEM")],
//! );
//! spec.max_deliver = policy.consumer_max_deliver();
//! spec.max_ack_pending = 256;
//! let consumer = penny_bus::ensure_pull_consumer(&js, penny_bus::PLAID_WEBHOOKS, &spec).await?;
//! let dead_letters = DeadLetters::new(js.clone());
//! let options = RunOptions::new(policy, 8);
//! let run = penny_bus::run_consumer(consumer, Arc::new(AuthWebhooks), dead_letters, options, shutdown);
//! // After cancelling `shutdown`, give in-flight handlers a grace period.
//! let _ = tokio::time::timeout(Duration::from_secs(3600), run).await;
//! # Ok(())
//! # }
//! ```

mod delivery;
mod health;
mod lane;
mod metrics;
mod policy;
mod runner;
mod settings;
mod settle;
mod setup;
mod shared;
mod step;
mod waits;

use std::future::Future;
use std::time::Duration;

pub use delivery::Delivery;
pub use health::ConsumerHealth;
pub use lane::Lane;
pub use metrics::ConsumerMetrics;
pub use policy::RetryPolicy;
pub use runner::{RunOptions, run_consumer};
pub use settings::ConsumerSettings;
pub use setup::{ConsumerSetupError, ConsumerSpec, ensure_pull_consumer};

/// What a handler decided about one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Done: ack it.
    Ack,
    /// Transient failure: redeliver later (jittered backoff by delivery count).
    Retry {
        /// Why, for logs and, once retries run out, the dead letter.
        reason: String,
    },
    /// A wait with a known end: redeliver after exactly `delay` (capped at
    /// [`RetryPolicy::cap`]), e.g. when a rate-limit budget frees up. Not a failure: it does
    /// not count toward [`RetryPolicy::max_deliveries`] (this process remembers which
    /// deliveries were waits); the message is parked only if it is still waiting after
    /// [`RetryPolicy::max_total_deliveries`].
    RetryAfter {
        /// How long to wait before the redelivery.
        delay: Duration,
        /// Why, for logs and, once retries run out, the dead letter.
        reason: String,
    },
    /// Permanent failure: park it in the dead-letter stream.
    Park {
        /// Why, stored with the dead letter.
        reason: String,
    },
}

impl Outcome {
    /// `Outcome::Retry` with `reason`.
    pub fn retry(reason: impl Into<String>) -> Self {
        Self::Retry {
            reason: reason.into(),
        }
    }

    /// `Outcome::RetryAfter` with `delay` and `reason`.
    pub fn retry_after(delay: Duration, reason: impl Into<String>) -> Self {
        Self::RetryAfter {
            delay,
            reason: reason.into(),
        }
    }

    /// `Outcome::Park` with `reason`.
    pub fn park(reason: impl Into<String>) -> Self {
        Self::Park {
            reason: reason.into(),
        }
    }

    /// A short label for logs and metrics: `ack`, `retry`, `retry_after` or `park`.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Ack => "ack",
            Self::Retry { .. } => "retry",
            Self::RetryAfter { .. } => "retry_after",
            Self::Park { .. } => "park",
        }
    }
}

/// One step of a consumer: handle one message and say what to do with it.
///
/// Implement it with `async fn handle(&self, delivery: &Delivery) -> Outcome`. The handler must
/// be idempotent (delivery is at-least-once) and return `Ack` only after its database
/// transaction has committed. A panic counts as `Retry`.
pub trait Handler: Send + Sync + 'static {
    /// Handles one delivery.
    fn handle(&self, delivery: &Delivery) -> impl Future<Output = Outcome> + Send;

    /// Handles several deliveries at once, returning one outcome per delivery in the same
    /// order (used when [`RunOptions::batch`] is above 1). The default handles each on its own,
    /// concurrently; a handler that can share work across messages (one read for all, one
    /// transaction for all) overrides it. A panic counts as `Retry` for every message.
    fn handle_batch(&self, deliveries: &[Delivery]) -> impl Future<Output = Vec<Outcome>> + Send {
        futures::future::join_all(deliveries.iter().map(|d| self.handle(d)))
    }
}
