//! The argument groups of [`super::Config`]: the two consumers and the sync.

use std::time::Duration;

use clap::Args;
use penny_config::parse_duration;

penny_bus::consumer_args! {
    /// The poke consumer on `plaid.webhook.BANK_TRANSFERS.>` and `plaid.webhook.TRANSFER.>`:
    /// `PENNY_TRANSFER_EVENTS_CONSUMER_*`. Up to `batch` pokes of a pull are recorded as one
    /// sync request in one write, so a storm costs a write per batch, not per poke.
    pub struct PokeConsumerArgs;
    env_prefix = "PENNY_TRANSFER_EVENTS";
    flag_prefix = "consumer";
    default_name = "transfer-events";
    default_concurrency = 64;
    default_max_ack_pending = 20000;
    default_retry_cap = "1m";
    default_batch = 64;
}

penny_bus::consumer_args! {
    /// The consumer of `penny.event.account.linked` (who an account belongs to):
    /// `PENNY_TRANSFER_EVENTS_ACCOUNTS_CONSUMER_*`.
    pub struct AccountsConsumerArgs;
    env_prefix = "PENNY_TRANSFER_EVENTS_ACCOUNTS";
    flag_prefix = "accounts-consumer";
    default_name = "transfer-events-accounts";
    default_concurrency = 8;
    default_max_ack_pending = 1000;
    default_retry_cap = "5m";
    default_batch = 1;
}

/// The sync: the sweep, the lease, retries and paging.
#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct SyncArgs {
    /// How often each replica asks for a sync with no poke (Plaid can lose webhooks; the request
    /// joins any pending one). Also once at start. `0` turns the sweep off (not recommended:
    /// only pokes would then trigger syncs).
    #[arg(long, env = "PENNY_TRANSFER_EVENTS_SWEEP_INTERVAL", default_value = "15m", value_parser = parse_duration)]
    pub sweep_interval: Duration,

    /// How long a sync lease lives without renewal: a dead holder's lease expires after this,
    /// and another replica takes over. The holder renews every third of it.
    #[arg(long, env = "PENNY_TRANSFER_EVENTS_LEASE_TTL", default_value = "10s", value_parser = parse_duration)]
    pub lease_ttl: Duration,

    /// NATS key-value bucket of the lease (its revisions are the fencing tokens: never delete
    /// it, or run `penny-transfer-events reset-fence` with every replica stopped).
    #[arg(long, env = "PENNY_TRANSFER_EVENTS_LEASE_BUCKET", default_value = penny_bus::kv::LEASE_BUCKET)]
    pub lease_bucket: String,

    /// How often a replica looks for a request nobody serves (one another replica recorded
    /// while this one held the lease, or one a crashed holder left).
    #[arg(long, env = "PENNY_TRANSFER_EVENTS_CHECK_INTERVAL", default_value = "1s", value_parser = parse_duration)]
    pub check_interval: Duration,

    /// First pause after a failed sync (Plaid still failing after the client's own retries);
    /// doubles per failure, with full jitter. The request stays pending meanwhile.
    #[arg(long, env = "PENNY_TRANSFER_EVENTS_RETRY_BASE", default_value = "1s", value_parser = parse_duration)]
    pub retry_base: Duration,

    /// Longest pause after failed syncs.
    #[arg(long, env = "PENNY_TRANSFER_EVENTS_RETRY_CAP", default_value = "1m", value_parser = parse_duration)]
    pub retry_cap: Duration,

    /// Events per page (`count`); default the feed's maximum (25 for `/bank_transfer/event/sync`,
    /// 500 for `/transfer/event/sync`).
    #[arg(long, env = "PENNY_TRANSFER_EVENTS_PAGE_SIZE")]
    pub page_size: Option<u32>,

    /// This replica's name in the lease (default: host name, process id and a random suffix).
    #[arg(long, env = "PENNY_TRANSFER_EVENTS_HOLDER_ID")]
    pub holder_id: Option<String>,
}

impl Default for SyncArgs {
    /// The defaults `--help` shows.
    fn default() -> Self {
        penny_config::defaults()
    }
}
