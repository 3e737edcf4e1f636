//! The consumer and rate-limit argument groups of [`super::Config`].

use std::time::Duration;

use clap::Args;
use penny_config::parse_duration;

penny_bus::consumer_args! {
    /// The webhook consumer for webhooks that call `/auth/get` (`AUTOMATICALLY_VERIFIED`,
    /// `DEFAULT_UPDATE`, `SMS_MICRODEPOSITS_VERIFICATION`): `PENNY_VERIFICATION_CONSUMER_*`.
    /// When the budget is spent they are handed back with a delay (their turn), so its unacked
    /// limit is high and its retry cap long: thousands may wait their turn at once. In a
    /// burst, up to 128 webhooks share one transaction (256 in flight): the consumer benchmark
    /// measured 2.7 ms of CPU per webhook one at a time, 0.7 ms at 32 and 0.46 ms at 128 on
    /// SQLite; a lone webhook waits at most the 2 ms linger for company.
    pub struct ConsumerArgs;
    env_prefix = "PENNY_VERIFICATION";
    flag_prefix = "consumer";
    default_name = "verification";
    default_concurrency = 256;
    default_max_ack_pending = 50000;
    default_retry_cap = "15m";
    default_batch = 128;
}

penny_bus::consumer_args! {
    /// The webhook consumer for every other AUTH and ITEM webhook (expiries, login required,
    /// ...): `PENNY_VERIFICATION_PROMPT_CONSUMER_*`. It never waits behind the budget.
    pub struct PromptConsumerArgs;
    env_prefix = "PENNY_VERIFICATION_PROMPT";
    flag_prefix = "prompt-consumer";
    default_name = "verification-prompt";
    default_concurrency = 8;
    default_max_ack_pending = 1000;
    default_retry_cap = "5m";
    default_batch = 1;
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
