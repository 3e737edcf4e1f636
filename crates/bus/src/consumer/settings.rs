//! [`ConsumerSettings`]: a consumer's tunables as one value, and [`consumer_args!`](crate::consumer_args),
//! which gives each service a clap group of them under its own variable prefix
//! (`PENNY_<SERVICE>_CONSUMER_*`), so every service configures its consumer the same way.

use std::time::Duration;

use super::{ConsumerSpec, RetryPolicy, RunOptions};

/// A durable consumer's settings, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerSettings {
    /// Durable name, shared by all replicas.
    pub name: String,
    /// Handlers running at once per replica.
    pub concurrency: usize,
    /// Deliveries of a failing message before it is parked.
    pub max_deliveries: u64,
    /// First retry delay ceiling (doubles per delivery, full jitter).
    pub retry_base: Duration,
    /// Largest retry delay ceiling.
    pub retry_cap: Duration,
    /// How long the server waits for an ack (or a progress heartbeat) before redelivering.
    pub ack_wait: Duration,
    /// Unacked messages allowed across all replicas.
    pub max_ack_pending: i64,
    /// Messages handed to the handler at once (1: one by one).
    pub batch: usize,
}

impl ConsumerSettings {
    /// The retry and parking policy.
    pub fn policy(&self) -> RetryPolicy {
        RetryPolicy {
            base: self.retry_base,
            cap: self.retry_cap,
            max_deliveries: self.max_deliveries,
        }
    }

    /// The durable consumer's spec over `filter_subjects`.
    pub fn spec(&self, filter_subjects: Vec<String>, description: &str) -> ConsumerSpec {
        let mut spec = ConsumerSpec::new(self.name.clone(), filter_subjects);
        spec.ack_wait = self.ack_wait;
        spec.max_deliver = self.policy().consumer_max_deliver();
        spec.max_ack_pending = self.max_ack_pending;
        spec.description = Some(description.to_owned());
        spec
    }

    /// The loop's options.
    pub fn run_options(&self) -> RunOptions {
        let mut options = RunOptions::new(self.policy(), self.concurrency);
        options.batch = self.batch.max(1);
        options
    }
}

/// Declares a clap argument group with a service's consumer settings, read from flags
/// (`--<flag_prefix>-name`, `--<flag_prefix>-concurrency`, ...) or `<env_prefix>_CONSUMER_*`
/// variables, and its `settings()` as a [`ConsumerSettings`]. A service with two consumers
/// declares two groups with different prefixes. The calling crate needs `clap` (derive, env).
///
/// The acknowledgement wait defaults to 5 s: handlers send a progress heartbeat every half of
/// it, so a slow handler keeps its message, while a crashed replica's messages come back within
/// 5 s instead of the 30 s JetStream would wait by default.
///
/// ```
/// penny_bus::consumer_args! {
///     /// The webhook consumer.
///     pub struct WebhookConsumerArgs;
///     env_prefix = "PENNY_EXAMPLE";
///     flag_prefix = "consumer";
///     default_name = "example";
///     default_concurrency = 8;
///     default_max_ack_pending = 1000;
///     default_retry_cap = "5m";
///     default_batch = 1;
/// }
/// let args = WebhookConsumerArgs::default();
/// assert_eq!(args.settings().name, "example");
/// assert_eq!(args.settings().ack_wait, std::time::Duration::from_secs(5));
/// ```
#[macro_export]
macro_rules! consumer_args {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident;
        env_prefix = $prefix:literal;
        flag_prefix = $flag:literal;
        default_name = $default_name:literal;
        default_concurrency = $concurrency:literal;
        default_max_ack_pending = $max_ack_pending:literal;
        default_retry_cap = $retry_cap:literal;
        default_batch = $batch:literal;
    ) => {
        $(#[$meta])*
        #[derive(::clap::Args, Debug, Clone, PartialEq, Eq)]
        $vis struct $name {
            /// Durable consumer name, shared by all replicas of the service.
            #[arg(id = concat!($flag, "-name"), long = concat!($flag, "-name"), env = concat!($prefix, "_CONSUMER_NAME"), default_value = $default_name)]
            pub consumer_name: String,

            /// Messages handled at once per replica.
            #[arg(id = concat!($flag, "-concurrency"), long = concat!($flag, "-concurrency"), env = concat!($prefix, "_CONSUMER_CONCURRENCY"), default_value_t = $concurrency)]
            pub concurrency: usize,

            /// Deliveries of a failing message before it is parked in DEAD_LETTERS.
            #[arg(id = concat!($flag, "-max-deliveries"), long = concat!($flag, "-max-deliveries"), env = concat!($prefix, "_CONSUMER_MAX_DELIVERIES"), default_value_t = 20)]
            pub max_deliveries: u64,

            /// First retry delay ceiling (doubles per delivery, full jitter).
            #[arg(id = concat!($flag, "-retry-base"), long = concat!($flag, "-retry-base"), env = concat!($prefix, "_CONSUMER_RETRY_BASE"), default_value = "1s", value_parser = $crate::parse_duration)]
            pub retry_base: ::std::time::Duration,

            /// Largest retry delay ceiling.
            #[arg(id = concat!($flag, "-retry-cap"), long = concat!($flag, "-retry-cap"), env = concat!($prefix, "_CONSUMER_RETRY_CAP"), default_value = $retry_cap, value_parser = $crate::parse_duration)]
            pub retry_cap: ::std::time::Duration,

            /// How long NATS waits for an ack before redelivering (handlers send progress
            /// heartbeats every half of it, so this bounds how soon a dead replica's messages
            /// return, not how long a handler may take).
            #[arg(id = concat!($flag, "-ack-wait"), long = concat!($flag, "-ack-wait"), env = concat!($prefix, "_CONSUMER_ACK_WAIT"), default_value = "5s", value_parser = $crate::parse_duration)]
            pub ack_wait: ::std::time::Duration,

            /// Unacked messages allowed across all replicas (at least concurrency × replicas;
            /// messages handed back with a delay count until they are redelivered).
            #[arg(id = concat!($flag, "-max-ack-pending"), long = concat!($flag, "-max-ack-pending"), env = concat!($prefix, "_CONSUMER_MAX_ACK_PENDING"), default_value_t = $max_ack_pending)]
            pub max_ack_pending: i64,

            /// Messages handled together (one read and one transaction for all of them, when
            /// the service's handler batches); 1 handles each on its own.
            #[arg(id = concat!($flag, "-batch"), long = concat!($flag, "-batch"), env = concat!($prefix, "_CONSUMER_BATCH"), default_value_t = $batch)]
            pub batch: usize,
        }

        impl ::std::default::Default for $name {
            /// The defaults `--help` shows (one source: the attributes above).
            fn default() -> Self {
                $crate::defaults::<Self>()
            }
        }

        impl $name {
            /// These settings as a [`ConsumerSettings`]($crate::ConsumerSettings).
            pub fn settings(&self) -> $crate::ConsumerSettings {
                $crate::ConsumerSettings {
                    name: self.consumer_name.clone(),
                    concurrency: self.concurrency,
                    max_deliveries: self.max_deliveries,
                    retry_base: self.retry_base,
                    retry_cap: self.retry_cap,
                    ack_wait: self.ack_wait,
                    max_ack_pending: self.max_ack_pending,
                    batch: self.batch,
                }
            }
        }
    };
}
