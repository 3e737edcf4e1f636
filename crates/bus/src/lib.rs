//! penny-bus: everything penny does with NATS JetStream.
//!
//! - [`connect`]: a client that retries at start until a deadline and reconnects forever.
//! - [`topology`]: every stream and its settings in one place ([`Topology`]), applied by one
//!   owner; services only create what is missing and check what they need.
//! - [`streams`]: `PLAID_WEBHOOKS`, `PENNY_EVENTS`, `DEAD_LETTERS` and their configurations.
//! - [`subjects`] and [`headers`]: subject names (webhooks, domain events, dead letters) and
//!   header names, used by publishers and consumers alike; [`AccountEvent`], the account
//!   events' names.
//! - [`publish_durable`]: publish, await the PubAck, classify failures ([`PublishError`]).
//! - [`consumer`]: durable pull consumers and the loop + step framework ([`run_consumer`],
//!   [`Handler`], [`Outcome`], [`RetryPolicy`]); [`consumer_args!`] gives a service its
//!   `PENNY_<SERVICE>_CONSUMER_*` settings ([`ConsumerSettings`]), and [`Lane`] ensures one at
//!   build time and runs it.
//! - [`dead_letters`]: park, list and redrive ([`DeadLetters`]).
//! - [`readiness`]: the NATS checks of a service's readiness ([`readiness::lane_checks`]).
//! - [`trace`]: W3C trace context in NATS headers.
//! - [`kv`]: key-value coordination shared by replicas: the rate limiter and the lease
//!   ([`kv::RateLimiter`], [`kv::LeaseBucket`]).

#![warn(missing_docs)]

mod account_event;
pub mod connect;
pub mod consumer;
pub mod dead_letters;
pub mod headers;
pub mod kv;
pub mod publish;
pub mod readiness;
pub mod streams;
pub mod subjects;
pub mod topology;
pub mod trace;

pub use account_event::AccountEvent;
pub use connect::{ConnectError, ConnectSettings, connect, connect_with};
pub use consumer::{
    ConsumerHealth, ConsumerMetrics, ConsumerSettings, ConsumerSetupError, ConsumerSpec, Delivery,
    Handler, Lane, Outcome, RetryPolicy, RunOptions, ensure_pull_consumer, run_consumer,
};
pub use dead_letters::{DeadLetter, DeadLetterError, DeadLetters};
pub use headers::*;
pub use publish::{PublishError, PublishOutcome, publish_durable};
pub use streams::{
    DEAD_LETTERS, Ensured, PENNY_EVENTS, PLAID_WEBHOOKS, StreamError, StreamSettings,
    create_stream_if_missing, ensure_dead_letters, ensure_penny_events, ensure_plaid_webhooks,
    ensure_stream,
};
pub use subjects::{
    ACCOUNT_EVENT_PREFIX, ACCOUNT_EVENTS_FILTER, DEPOSIT_EVENT_PREFIX, DEPOSIT_EVENTS_FILTER,
    EVENTS_FILTER, dlq_consumer_filter, dlq_subject, event_subject, sanitize_token,
    webhook_subject, webhook_type_filter,
};
pub use topology::{Topology, connect_jetstream, streams_probe};

// For `consumer_args!`: the macro's expansion names these through `$crate`.
#[doc(hidden)]
pub use penny_config::{defaults, parse_duration};

/// Re-export so services name one async-nats.
pub use async_nats;
