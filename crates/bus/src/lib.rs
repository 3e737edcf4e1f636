//! penny-bus: everything penny does with NATS JetStream.
//!
//! - [`connect`]: a client that retries at start until a deadline and reconnects forever.
//! - [`streams`]: `PLAID_WEBHOOKS`, `PENNY_EVENTS`, `DEAD_LETTERS`, created or updated
//!   idempotently ([`ensure_plaid_webhooks`], ...).
//! - [`subjects`] and [`headers`]: subject names and header names.
//! - [`publish_durable`]: publish, await the PubAck, classify failures ([`PublishError`]).
//! - [`consumer`]: durable pull consumers and the loop + step framework ([`run_consumer`],
//!   [`Handler`], [`Outcome`], [`RetryPolicy`]).
//! - [`dead_letters`]: park, list and redrive ([`DeadLetters`]).
//! - [`trace`]: W3C trace context in NATS headers.

pub mod connect;
pub mod consumer;
pub mod dead_letters;
pub mod headers;
pub mod publish;
pub mod streams;
pub mod subjects;
pub mod trace;

pub use connect::{ConnectError, ConnectSettings, connect, connect_with};
pub use consumer::{
    ConsumerSetupError, ConsumerSpec, Delivery, Handler, Outcome, RetryPolicy, RunOptions,
    ensure_pull_consumer, run_consumer, run_consumer_with,
};
pub use dead_letters::{DeadLetter, DeadLetterError, DeadLetters};
pub use headers::*;
pub use publish::{PublishError, PublishOutcome, publish_durable};
pub use streams::{
    DEAD_LETTERS, Ensured, PENNY_EVENTS, PLAID_WEBHOOKS, StreamError, StreamSettings,
    ensure_dead_letters, ensure_penny_events, ensure_plaid_webhooks, ensure_stream,
};
pub use subjects::{dlq_subject, sanitize_token, webhook_subject, webhook_type_filter};

/// Re-export so services name one async-nats.
pub use async_nats;
