//! The consumer, rate-limit and reconciliation argument groups of [`super::Config`].

use std::time::Duration;

use clap::Args;
use penny_config::parse_duration;

use crate::domain::{FirstCheck, ReconcileSchedule};
use crate::verifier::SweepPass;

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

/// The reconciliation sweep: asking Plaid about accounts whose outcome webhook is overdue.
#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct ReconcileArgs {
    /// How often each replica looks for accounts due for a check (and once at start). `0` turns
    /// the sweep off (not recommended: an account whose webhook Plaid gave up on would stay
    /// pending until the app calls `RefreshAccount`).
    #[arg(long, env = "PENNY_VERIFICATION_RECONCILE_INTERVAL", default_value = "5m", value_parser = parse_duration)]
    pub reconcile_interval: Duration,

    /// When a pending account is first checked: `window` (Plaid's schedule: two business days
    /// after linking for an automated deposit, the next banking day's 8:30 a.m. ET for a
    /// Same-Day one, plus the grace) or a fixed delay after linking such as `30s` (the sandbox,
    /// whose clock runs fast).
    #[arg(
        long,
        env = "PENNY_VERIFICATION_RECONCILE_FIRST_CHECK",
        default_value = "window"
    )]
    pub reconcile_first_check: FirstCheck,

    /// Added to Plaid's schedule before the first check (with `window`).
    #[arg(long, env = "PENNY_VERIFICATION_RECONCILE_GRACE", default_value = "1h", value_parser = parse_duration)]
    pub reconcile_grace: Duration,

    /// Between two checks of an account that stays pending.
    #[arg(long, env = "PENNY_VERIFICATION_RECONCILE_RECHECK", default_value = "6h", value_parser = parse_duration)]
    pub reconcile_recheck: Duration,

    /// No check after this long since linking (an automated deposit resolves within 7 days; a
    /// Same-Day one waits for its user).
    #[arg(long, env = "PENNY_VERIFICATION_RECONCILE_GIVE_UP_AFTER", default_value = "30d", value_parser = parse_duration)]
    pub reconcile_give_up_after: Duration,

    /// Accounts read per pass (a pass repeats while it finds a full batch).
    #[arg(
        long,
        env = "PENNY_VERIFICATION_RECONCILE_BATCH",
        default_value_t = 100
    )]
    pub reconcile_batch: u64,

    /// Checks in flight at once per replica (each takes a unit of the shared `/accounts/get`
    /// budget, and of `/auth/get` when it finds the account verified).
    #[arg(
        long,
        env = "PENNY_VERIFICATION_RECONCILE_CONCURRENCY",
        default_value_t = 8
    )]
    pub reconcile_concurrency: usize,

    /// How long a claimed account is left to the replica checking it; a failed check is
    /// retried after it.
    #[arg(long, env = "PENNY_VERIFICATION_RECONCILE_CLAIM", default_value = "2m", value_parser = parse_duration)]
    pub reconcile_claim: Duration,
}

impl Default for ReconcileArgs {
    /// The defaults `--help` shows.
    fn default() -> Self {
        penny_config::defaults()
    }
}

impl ReconcileArgs {
    /// The schedule of checks.
    pub fn schedule(&self) -> ReconcileSchedule {
        let to_chrono =
            |d: Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
        ReconcileSchedule {
            first_check: self.reconcile_first_check,
            grace: to_chrono(self.reconcile_grace),
            recheck: to_chrono(self.reconcile_recheck),
            give_up_after: to_chrono(self.reconcile_give_up_after),
        }
    }

    /// How a pass runs.
    pub fn pass(&self) -> SweepPass {
        SweepPass {
            batch: self.reconcile_batch.max(1),
            concurrency: self.reconcile_concurrency.max(1),
            claim: self.reconcile_claim,
        }
    }
}
