//! The consumer and rate-limit argument groups of [`super::Config`].

use std::time::Duration;

use clap::Args;
use penny_config::parse_duration;

/// The webhook consumer's settings.
#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct ConsumerArgs {
    /// Durable consumer name on PLAID_WEBHOOKS, shared by all replicas.
    #[arg(
        long,
        env = "PENNY_VERIFICATION_CONSUMER",
        default_value = "verification"
    )]
    pub consumer_name: String,

    /// Webhooks handled at once per replica.
    #[arg(long, env = "PENNY_VERIFICATION_CONCURRENCY", default_value_t = 8)]
    pub concurrency: usize,

    /// Deliveries of a failing webhook before it is parked in DEAD_LETTERS.
    #[arg(long, env = "PENNY_VERIFICATION_MAX_DELIVERIES", default_value_t = 20)]
    pub max_deliveries: u64,

    /// First retry delay ceiling (doubles per delivery, full jitter).
    #[arg(long, env = "PENNY_VERIFICATION_RETRY_BASE", default_value = "1s", value_parser = parse_duration)]
    pub retry_base: Duration,

    /// Largest retry delay ceiling.
    #[arg(long, env = "PENNY_VERIFICATION_RETRY_CAP", default_value = "5m", value_parser = parse_duration)]
    pub retry_cap: Duration,

    /// How long NATS waits for an ack before redelivering (progress is signalled meanwhile).
    #[arg(long, env = "PENNY_VERIFICATION_ACK_WAIT", default_value = "30s", value_parser = parse_duration)]
    pub ack_wait: Duration,

    /// Two identical webhook bodies received within this long of each other are one webhook
    /// (Plaid retries for up to 24 h); received further apart, the later one is processed
    /// again. A redelivery of the same stream message is always recognised. 0 = only that.
    #[arg(long, env = "PENNY_VERIFICATION_DEDUPE_WINDOW", default_value = "72h", value_parser = parse_duration)]
    pub dedupe_window: Duration,
}

impl Default for ConsumerArgs {
    fn default() -> Self {
        Self {
            consumer_name: "verification".to_owned(),
            concurrency: 8,
            max_deliveries: 20,
            retry_base: Duration::from_secs(1),
            retry_cap: Duration::from_secs(300),
            ack_wait: Duration::from_secs(30),
            dedupe_window: crate::verifier::DEFAULT_DEDUPE_WINDOW,
        }
    }
}

/// penny's share of Plaid's `/auth/get` limits, enforced across all replicas together.
#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct RateLimitArgs {
    /// `/auth/get` calls per window per Item (Plaid production: 15/min). 0 = unlimited.
    #[arg(
        long,
        env = "PENNY_VERIFICATION_AUTH_GET_PER_ITEM",
        default_value_t = 15
    )]
    pub auth_get_per_item: u32,

    /// `/auth/get` calls per window for the whole client (Plaid production: 12,000/min).
    /// 0 = unlimited.
    #[arg(
        long,
        env = "PENNY_VERIFICATION_AUTH_GET_PER_CLIENT",
        default_value_t = 12_000
    )]
    pub auth_get_per_client: u32,

    /// The limit window.
    #[arg(long, env = "PENNY_VERIFICATION_RATE_LIMIT_WINDOW", default_value = "60s", value_parser = parse_duration)]
    pub rate_limit_window: Duration,

    /// NATS key-value bucket holding the shared counters.
    #[arg(long, env = "PENNY_VERIFICATION_RATE_LIMIT_BUCKET", default_value = crate::limiter::BUCKET)]
    pub rate_limit_bucket: String,
}

impl Default for RateLimitArgs {
    fn default() -> Self {
        Self {
            auth_get_per_item: 15,
            auth_get_per_client: 12_000,
            rate_limit_window: Duration::from_secs(60),
            rate_limit_bucket: crate::limiter::BUCKET.to_owned(),
        }
    }
}
