//! Configuration: flags or `PENNY_TRANSFER_EVENTS_*` environment variables (and the shared
//! `PENNY_NATS_*`, `PENNY_PLAID_*`, `PENNY_LOG_*`), each with a local default, so
//! `penny-transfer-events` runs with no settings next to a local NATS and the sandbox.
//! `penny-transfer-events --help` lists every setting with its variable and default.
//!
//! Tests build a [`Config`] directly (`Config::default()` plus field updates) and never touch
//! the process environment.

use std::time::Duration;

use penny_config::{NatsArgs, PlaidArgs, TelemetryArgs, parse_duration};
use penny_runtime::auth::{ApiTokens, Scope, TokensError};

mod sections;

pub use sections::{AccountsConsumerArgs, PokeConsumerArgs, SyncArgs};

use crate::crash::CrashPoint;
use crate::domain::Feed;

/// The scopes this service's API knows: `status` for reads, `admin` for `SyncNow`.
pub const SCOPES: [Scope; 2] = [Scope::Status, Scope::Admin];

/// The default database: a SQLite file under `./data`, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/transfer-events.db?mode=rwc";
/// The default gRPC address.
pub const DEFAULT_GRPC_LISTEN: &str = "127.0.0.1:50052";
/// The default admin address (`/healthz`, `/readyz`, `/metrics`).
pub const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:9092";
/// INSECURE development API token (both scopes), accepted only outside production when no
/// token is configured.
pub use penny_runtime::auth::INSECURE_DEV_API_TOKEN;

penny_config::service_config! {
    /// Everything `penny-transfer-events` can be told.
    pub struct Config;
    env_prefix = "PENNY_TRANSFER_EVENTS";
    /// Address of the gRPC API (`penny.v1.TransferEventsService`, health, reflection). Port 0
    /// picks a free port.
    grpc_listen = DEFAULT_GRPC_LISTEN;
    /// Address of the admin HTTP server: `/healthz`, `/readyz` (NATS, streams, consumers and
    /// database reachable), `/metrics` (OpenMetrics). Port 0 picks a free port.
    admin_listen = DEFAULT_ADMIN_LISTEN;
    /// Database URL: `sqlite://<file>?mode=rwc` (created on first start) or `postgres://...`
    /// (redacted in `Debug`: it may carry a password).
    database_url = DEFAULT_DATABASE_URL;
    /// Replicas of the streams this service creates when they are missing, and of its lease
    /// bucket: 1 on a single NATS server, 3 in a NATS cluster.
    stream_replicas;
    /// Create the streams this service needs when they are missing (never changing an existing
    /// one). Off in a cluster, where the stream owner creates them.
    create_missing_streams;
    /// API bearer tokens: `name:token:scope1+scope2,...` with scopes `status` and `admin`.
    /// Required outside the sandbox environment. (Parsed at start, not by the flag parser,
    /// whose errors would echo the value.)
    api_tokens;
    own {
        /// Which Plaid feed to sync: `bank_transfer` (Auth: BANK_TRANSFERS_EVENTS_UPDATE,
        /// `/bank_transfer/event/sync`) or `transfer` (Plaid Transfer customers:
        /// TRANSFER_EVENTS_UPDATE, `/transfer/event/sync`).
        #[arg(
            long,
            env = "PENNY_TRANSFER_EVENTS_MODE",
            default_value = "bank_transfer"
        )]
        pub mode: Feed,

        /// NATS connection.
        #[command(flatten)]
        pub nats: NatsArgs,

        /// Plaid (or sandbox) API.
        #[command(flatten)]
        pub plaid: PlaidArgs,

        /// Logs and traces.
        #[command(flatten)]
        pub telemetry: TelemetryArgs,

        /// Accept the built-in INSECURE development token when none is configured (implied by
        /// `--plaid-environment sandbox`). Never in production.
        #[arg(long, env = "PENNY_TRANSFER_EVENTS_INSECURE_DEV_TOKEN")]
        pub insecure_dev_token: bool,

        /// The poke consumer.
        #[command(flatten)]
        pub consumer: PokeConsumerArgs,

        /// The account-linked consumer.
        #[command(flatten)]
        pub accounts_consumer: AccountsConsumerArgs,

        /// The sync.
        #[command(flatten)]
        pub sync: SyncArgs,

        /// How often the outbox relay looks for unpublished events when not woken.
        #[arg(long, env = "PENNY_TRANSFER_EVENTS_OUTBOX_POLL", default_value = "500ms", value_parser = parse_duration)]
        pub outbox_poll: Duration,
    }
    /// How long processed account events are remembered.
    inbox_retention = "9d";
    /// How long shutdown waits for in-flight work before giving up.
    shutdown_grace = "20s";
    /// How often readiness and the sampled metrics (consumer lag, outbox backlog, cursor, sync
    /// lag) are refreshed.
    readiness_interval = "1s";
    /// TEST-ONLY fault injection: abort the process at this point of the sync protocol
    /// (`after-poke-recorded`, `after-page-commit`, `after-sync-commit`, `holding-lease`).
    crash_at: CrashPoint;
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No API tokens and dev defaults not allowed.
    #[error(
        "PENNY_TRANSFER_EVENTS_API_TOKENS is required outside the sandbox environment \
         (or pass --insecure-dev-token for local development)"
    )]
    MissingTokens,
    /// The token list does not parse (the message never contains a token).
    #[error("PENNY_TRANSFER_EVENTS_API_TOKENS: {0}")]
    Tokens(#[from] TokensError),
    /// The page size is out of the feed's range.
    #[error("PENNY_TRANSFER_EVENTS_PAGE_SIZE must be between 1 and {max} for mode {feed}")]
    PageSize {
        /// The feed.
        feed: Feed,
        /// Its maximum.
        max: u32,
    },
}

impl Config {
    /// The API tokens: the configured ones, or the INSECURE dev token outside production.
    pub fn tokens(&self) -> Result<ApiTokens, ConfigError> {
        let dev_allowed = self.insecure_dev_token || !self.plaid.is_production();
        let dev = dev_allowed.then_some(INSECURE_DEV_API_TOKEN);
        let variable = "PENNY_TRANSFER_EVENTS_API_TOKENS";
        ApiTokens::configured_or_dev(self.api_tokens.as_ref(), &SCOPES, dev, variable)?
            .ok_or(ConfigError::MissingTokens)
    }

    /// Events per page: the configured size, or the feed's maximum.
    pub fn page_size(&self) -> Result<u32, ConfigError> {
        let max = self.mode.max_page();
        match self.sync.page_size {
            None => Ok(max),
            Some(n) if (1..=max).contains(&n) => Ok(n),
            Some(_) => Err(ConfigError::PageSize {
                feed: self.mode,
                max,
            }),
        }
    }

    /// This replica's lease holder id.
    pub fn holder_id(&self) -> String {
        self.sync.holder_id.clone().unwrap_or_else(|| {
            let host = std::env::var("HOSTNAME")
                .ok()
                .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
                .map(|h| h.trim().to_owned())
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "replica".to_owned());
            format!(
                "{host}-{}-{:04x}",
                std::process::id(),
                rand::random::<u16>()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use penny_config::Secret;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        config: Config,
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let cfg = Cli::try_parse_from(["t"]).unwrap().config;
        assert_eq!(cfg.grpc_listen.to_string(), DEFAULT_GRPC_LISTEN);
        assert_eq!(cfg.admin_listen.to_string(), DEFAULT_ADMIN_LISTEN);
        assert_eq!(cfg.database_url.expose(), DEFAULT_DATABASE_URL);
        assert_eq!(cfg.mode, Feed::BankTransfer);
        assert_eq!(cfg.sync.sweep_interval, Duration::from_secs(15 * 60));
        assert_eq!(cfg.sync.lease_ttl, Duration::from_secs(10));
        assert_eq!(cfg.page_size().unwrap(), 25);
        assert_eq!(cfg.consumer.settings().name, "transfer-events");
        assert_eq!(
            cfg.accounts_consumer.settings().name,
            "transfer-events-accounts"
        );
        assert_eq!(Config::default().sync, cfg.sync);
    }

    #[test]
    fn parses_flags_validates_the_page_size_and_hides_secrets() {
        let cli = Cli::try_parse_from([
            "t",
            "--mode",
            "transfer",
            "--api-tokens",
            "ops:very-secret-token:status+admin",
            "--sweep-interval",
            "2s",
            "--page-size",
            "500",
            "--crash-at",
            "holding-lease",
        ])
        .unwrap();
        let cfg = cli.config;
        assert_eq!(cfg.mode, Feed::Transfer);
        assert_eq!(cfg.page_size().unwrap(), 500);
        assert_eq!(cfg.sync.sweep_interval, Duration::from_secs(2));
        assert_eq!(cfg.crash_at, Some(CrashPoint::HoldingLease));
        assert!(cfg.tokens().is_ok());
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("very-secret-token"), "{shown}");
        let bank = Cli::try_parse_from(["t", "--page-size", "26"])
            .unwrap()
            .config;
        assert!(matches!(
            bank.page_size(),
            Err(ConfigError::PageSize { max: 25, .. })
        ));
        assert!(Cli::try_parse_from(["t", "--mode", "wire"]).is_err());
        assert!(Cli::try_parse_from(["t", "--crash-at", "never"]).is_err());
    }

    #[test]
    fn dev_token_only_outside_production_and_bad_tokens_are_not_echoed() {
        let mut cfg = Config::default();
        assert!(cfg.tokens().is_ok());
        cfg.plaid.plaid_environment = "production".into();
        assert!(matches!(cfg.tokens(), Err(ConfigError::MissingTokens)));
        cfg.api_tokens = Some(Secret::from("ops:s3cr3t-tok:numbers"));
        let err = cfg.tokens().unwrap_err();
        assert!(!err.to_string().contains("s3cr3t-tok"), "{err}");
        assert!(cfg.holder_id().len() > 5);
    }
}
