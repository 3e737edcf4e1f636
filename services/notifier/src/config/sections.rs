//! The consumer, sending and scheduler argument groups of [`super::Config`].

use std::time::Duration;

use clap::Args;
use penny_config::parse_duration;

use crate::domain::SendPolicy;

penny_bus::consumer_args! {
    /// The domain-event consumer (`penny.event.>`), one durable consumer shared by every
    /// replica: `PENNY_NOTIFIER_CONSUMER_*`. A deposit event waiting for its account is retried
    /// with these delays and parked after the last delivery.
    pub struct ConsumerArgs;
    env_prefix = "PENNY_NOTIFIER";
    flag_prefix = "consumer";
    default_name = "notifier";
    default_concurrency = 16;
    default_max_ack_pending = 10000;
    default_retry_cap = "5m";
    default_batch = 1;
}

/// Sending: `PENNY_NOTIFIER_SEND_*`, `PENNY_NOTIFIER_CLAIM_TTL`, ...
#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct SendArgs {
    /// Alerts being sent at once per replica.
    #[arg(long, env = "PENNY_NOTIFIER_SEND_CONCURRENCY", default_value_t = 32)]
    pub send_concurrency: usize,

    /// Alert ids queued for sending per replica (beyond it the scheduler's sweep finds them).
    #[arg(long, env = "PENNY_NOTIFIER_SEND_QUEUE", default_value_t = 65_536)]
    pub send_queue: usize,

    /// Alerts queued or being sent per replica before the consumer waits to ingest more (up to
    /// 30 s a wait): a burst waits in the stream, and alerts go out in step with their events.
    #[arg(long, env = "PENNY_NOTIFIER_SEND_BACKLOG", default_value_t = 256)]
    pub send_backlog: usize,

    /// Provider calls before an alert that keeps failing transiently is `failed`.
    #[arg(long, env = "PENNY_NOTIFIER_SEND_MAX_ATTEMPTS", default_value_t = 8)]
    pub send_max_attempts: u32,

    /// First retry delay ceiling (doubles per attempt, jittered).
    #[arg(long, env = "PENNY_NOTIFIER_SEND_RETRY_BASE", default_value = "2s", value_parser = parse_duration)]
    pub send_retry_base: Duration,

    /// Largest retry delay (and the cap on a provider's Retry-After).
    #[arg(long, env = "PENNY_NOTIFIER_SEND_RETRY_CAP", default_value = "10m", value_parser = parse_duration)]
    pub send_retry_cap: Duration,

    /// How long a claim holds: longer than any provider call. An outcome not recorded by then
    /// (the sender died) is `unknown`.
    #[arg(long, env = "PENNY_NOTIFIER_CLAIM_TTL", default_value = "2m", value_parser = parse_duration)]
    pub claim_ttl: Duration,

    /// How long an unknown email or push alert waits before its resend with the same id.
    #[arg(long, env = "PENNY_NOTIFIER_RECONCILE_AFTER", default_value = "1m", value_parser = parse_duration)]
    pub reconcile_after: Duration,

    /// Resends after unknown outcomes before an alert waits for an operator.
    #[arg(long, env = "PENNY_NOTIFIER_MAX_RESENDS", default_value_t = 3)]
    pub max_resends: u32,
}

impl SendArgs {
    /// The send state machine's policy.
    pub fn policy(&self) -> SendPolicy {
        SendPolicy {
            max_attempts: self.send_max_attempts.max(1),
            max_resends: self.max_resends,
            retry_base: self.send_retry_base,
            retry_cap: self.send_retry_cap,
            reconcile_after: self.reconcile_after,
        }
    }
}

/// The scheduler: `PENNY_NOTIFIER_SCHEDULER_*`.
#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct SchedulerArgs {
    /// Time between sweeps for due alerts (scheduled, retries, resends, expired claims).
    #[arg(long, env = "PENNY_NOTIFIER_SCHEDULER_POLL", default_value = "1s", value_parser = parse_duration)]
    pub scheduler_poll: Duration,

    /// Alerts looked at per sweep and state.
    #[arg(long, env = "PENNY_NOTIFIER_SCHEDULER_BATCH", default_value_t = 1000)]
    pub scheduler_batch: u64,

    /// The scheduler lease's TTL: how soon another replica takes over from a dead one.
    #[arg(long, env = "PENNY_NOTIFIER_SCHEDULER_LEASE_TTL", default_value = "10s", value_parser = parse_duration)]
    pub scheduler_lease_ttl: Duration,

    /// NATS key-value bucket of the lease.
    #[arg(long, env = "PENNY_NOTIFIER_LEASE_BUCKET", default_value = penny_bus::kv::LEASE_BUCKET)]
    pub lease_bucket: String,
}
