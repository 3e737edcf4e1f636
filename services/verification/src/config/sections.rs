//! The consumer and rate-limit argument groups of [`super::Config`].

use std::time::Duration;

use clap::Args;
use penny_config::parse_duration;

penny_bus::consumer_args! {
    /// The webhook consumer (`PENNY_VERIFICATION_CONSUMER_*`).
    pub struct ConsumerArgs;
    env_prefix = "PENNY_VERIFICATION";
    default_name = "verification";
    default_concurrency = 8;
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
    #[arg(long, env = "PENNY_VERIFICATION_RATE_LIMIT_BUCKET", default_value = penny_bus::kv::RATE_LIMIT_BUCKET)]
    pub rate_limit_bucket: String,
}

impl Default for RateLimitArgs {
    /// The defaults `--help` shows.
    fn default() -> Self {
        penny_config::defaults()
    }
}
