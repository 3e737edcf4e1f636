//! Configuration: flags or `PENNY_*` environment variables, each with a local default, so
//! `penny-verification` runs with no settings next to a local NATS and the sandbox.
//! `penny-verification --help` lists every setting with its variable and default.
//!
//! Tests build a [`Config`] directly (`Config::default()` plus field updates) and never touch
//! the process environment.

use std::time::Duration;

use penny_config::{NatsArgs, PlaidArgs, Secret, TelemetryArgs, parse_duration};
use penny_runtime::auth::{ApiTokens, Scope, TokensError};
use penny_store::Keyring;

mod sections;

use crate::crash::CrashPoint;

/// The scopes this service's API knows.
pub const SCOPES: [Scope; 3] = [Scope::Link, Scope::Status, Scope::Numbers];

/// The default database: a SQLite file under `./data`, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/verification.db?mode=rwc";
/// The default gRPC address.
pub const DEFAULT_GRPC_LISTEN: &str = "127.0.0.1:50051";
/// The default admin address (`/healthz`, `/readyz`, `/metrics`).
pub const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:9091";
/// The default webhook URL given to Plaid: a local ingress.
pub const DEFAULT_WEBHOOK_URL: &str = "http://127.0.0.1:8080/webhooks/plaid";

pub use sections::{ConsumerArgs, PromptConsumerArgs, RateLimitArgs, ReconcileArgs};

/// INSECURE development encryption key (32 bytes of public, printable text). Used only with
/// `--insecure-dev-key` or the sandbox environment, when no key is configured.
pub const INSECURE_DEV_KEYRING: &str = "insecure-dev:cGVubnkgSU5TRUNVUkUgZGV2IGtleTogbm90IHByb2Q=";
/// INSECURE development API token (all scopes), used under the same conditions.
pub use penny_runtime::auth::INSECURE_DEV_API_TOKEN;

penny_config::service_config! {
    /// Everything `penny-verification` can be told.
    pub struct Config;
    env_prefix = "PENNY_VERIFICATION";
    /// Address of the gRPC API (`penny.v1.VerificationService`, health, reflection). Port 0
    /// picks a free port.
    grpc_listen = DEFAULT_GRPC_LISTEN;
    /// Address of the admin HTTP server: `/healthz`, `/readyz` (NATS, streams, consumer and
    /// database reachable), `/metrics` (OpenMetrics). Port 0 picks a free port.
    admin_listen = DEFAULT_ADMIN_LISTEN;
    /// Database URL: `sqlite://<file>?mode=rwc` (created on first start) or `postgres://...`
    /// (redacted in `Debug`: it may carry a password).
    database_url = DEFAULT_DATABASE_URL;
    /// Replicas of the streams this service creates when they are missing (see
    /// `--create-missing-streams`) and of its rate-limit key-value bucket: 1 on a single NATS
    /// server, 3 in a NATS cluster. An existing stream is never changed.
    stream_replicas;
    /// Create the streams this service needs when they are missing (never changing an existing
    /// one). The local default; in a cluster the stream owner (`pennyctl streams apply`, the
    /// Helm hook) creates them and this is off.
    create_missing_streams;
    /// API bearer tokens: `name:token:scope1+scope2,...` with scopes `link`, `status`,
    /// `numbers`. Required outside the sandbox environment.
    /// (Parsed at start, not by the flag parser, whose errors would echo the value.)
    api_tokens;
    own {
        /// NATS connection.
        #[command(flatten)]
        pub nats: NatsArgs,

        /// Plaid (or sandbox) API.
        #[command(flatten)]
        pub plaid: PlaidArgs,

        /// Logs and traces.
        #[command(flatten)]
        pub telemetry: TelemetryArgs,

        /// Encryption keyring for access tokens and account numbers:
        /// `k2:<base64 32 bytes>,k1:...`, the first key active. Required outside the sandbox
        /// environment.
        #[arg(
            long,
            env = "PENNY_VERIFICATION_ENCRYPTION_KEYS",
            hide_env_values = true
        )]
        pub encryption_keys: Option<Secret<String>>,

        /// Allow the built-in INSECURE development key and API token when none is configured
        /// (implied by `--plaid-environment sandbox`). Never in production.
        #[arg(long, env = "PENNY_VERIFICATION_INSECURE_DEV_KEY")]
        pub insecure_dev_key: bool,

        /// The webhook URL Link tokens carry: ingress's public `POST /webhooks/plaid`.
        #[arg(long, env = "PENNY_VERIFICATION_WEBHOOK_URL", default_value = DEFAULT_WEBHOOK_URL)]
        pub webhook_url: String,

        /// `client_name` shown in Link (its first 11 characters are in a Same-Day deposit's
        /// bank statement description).
        #[arg(long, env = "PENNY_VERIFICATION_CLIENT_NAME", default_value = "penny")]
        pub client_name: String,

        /// The micro-deposit flow(s) a Link token offers when `CreateLinkToken` does not say:
        /// `automated`, `same-day` or `both`.
        #[arg(
            long,
            env = "PENNY_VERIFICATION_LINK_FLOW",
            value_enum,
            default_value = "automated"
        )]
        pub link_flow: crate::domain::LinkOffer,

        /// The webhook consumer for webhooks that call `/auth/get` under the shared budget.
        #[command(flatten)]
        pub consumer: ConsumerArgs,

        /// The webhook consumer for webhooks that need no Plaid call.
        #[command(flatten)]
        pub prompt_consumer: PromptConsumerArgs,

        /// Two identical webhook bodies received within this long of each other are one webhook
        /// (Plaid retries for up to 24 h); received further apart, the later one is processed
        /// again. A redelivery of the same stream message is always recognised. 0 = only that.
        #[arg(long, env = "PENNY_VERIFICATION_DEDUPE_WINDOW", default_value = "72h", value_parser = parse_duration)]
        pub dedupe_window: Duration,

        /// The shared Plaid rate limits.
        #[command(flatten)]
        pub rate_limits: RateLimitArgs,

        /// The reconciliation sweep.
        #[command(flatten)]
        pub reconcile: ReconcileArgs,

        /// How often the outbox relay looks for unpublished events when not woken.
        #[arg(long, env = "PENNY_VERIFICATION_OUTBOX_POLL", default_value = "500ms", value_parser = parse_duration)]
        pub outbox_poll: Duration,
    }
    /// How long processed-webhook records are kept: longer than the dedupe window and than
    /// PLAID_WEBHOOKS keeps a message (8 days), so a late redelivery is still recognised.
    inbox_retention = "9d";
    /// How long shutdown waits for in-flight work before giving up.
    shutdown_grace = "20s";
    /// How often readiness (NATS, streams, consumer, database) and the sampled metrics
    /// (consumer lag, outbox backlog, accounts by status) are refreshed.
    readiness_interval = "1s";
    /// TEST-ONLY fault injection: abort the process at this point of the
    /// AUTOMATICALLY_VERIFIED handler (`after-auth-get` or `after-commit`).
    crash_at: CrashPoint;
}

/// Why the configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// No keyring and dev defaults not allowed.
    #[error(
        "PENNY_VERIFICATION_ENCRYPTION_KEYS is required outside the sandbox environment \
         (or pass --insecure-dev-key for local development)"
    )]
    MissingKeys,
    /// No API tokens and dev defaults not allowed.
    #[error(
        "PENNY_VERIFICATION_API_TOKENS is required outside the sandbox environment \
         (or pass --insecure-dev-key for local development)"
    )]
    MissingTokens,
    /// The keyring does not parse (the message never contains key material).
    #[error("PENNY_VERIFICATION_ENCRYPTION_KEYS: {0}")]
    Keys(#[from] penny_store::CryptoError),
    /// The token list does not parse (the message never contains a token).
    #[error("PENNY_VERIFICATION_API_TOKENS: {0}")]
    Tokens(#[from] TokensError),
}

impl Config {
    /// Whether the INSECURE development defaults may be used.
    pub fn dev_defaults_allowed(&self) -> bool {
        self.insecure_dev_key || !self.plaid.is_production()
    }

    /// The keyring: the configured one, or the INSECURE dev key when allowed.
    pub fn keyring(&self) -> Result<Keyring, ConfigError> {
        match &self.encryption_keys {
            Some(keys) => Ok(Keyring::parse(keys.expose())?),
            None if self.dev_defaults_allowed() => {
                tracing::warn!(
                    "no PENNY_VERIFICATION_ENCRYPTION_KEYS: using the INSECURE built-in development key"
                );
                Ok(Keyring::parse(INSECURE_DEV_KEYRING)?)
            }
            None => Err(ConfigError::MissingKeys),
        }
    }

    /// The API tokens: the configured ones, or the INSECURE dev token when allowed.
    pub fn tokens(&self) -> Result<ApiTokens, ConfigError> {
        let dev = self
            .dev_defaults_allowed()
            .then_some(INSECURE_DEV_API_TOKEN);
        let variable = "PENNY_VERIFICATION_API_TOKENS";
        ApiTokens::configured_or_dev(self.api_tokens.as_ref(), &SCOPES, dev, variable)?
            .ok_or(ConfigError::MissingTokens)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        config: Config,
    }

    #[test]
    fn dev_defaults_only_outside_production() {
        let mut cfg = Config::default();
        assert!(cfg.keyring().is_ok());
        assert!(cfg.tokens().is_ok());
        cfg.plaid.plaid_environment = "production".into();
        assert!(matches!(cfg.keyring(), Err(ConfigError::MissingKeys)));
        assert!(matches!(cfg.tokens(), Err(ConfigError::MissingTokens)));
        cfg.insecure_dev_key = true;
        assert!(cfg.keyring().is_ok());
    }

    #[test]
    fn parses_flags_and_hides_secrets_from_debug() {
        let key = Keyring::generate_key("k1").unwrap();
        let cli = Cli::try_parse_from([
            "t",
            "--api-tokens",
            "app:very-secret-token:link+status",
            "--encryption-keys",
            &key,
            "--grpc-listen",
            "127.0.0.1:0",
            "--crash-at",
            "after-commit",
            "--auth-get-per-client",
            "20",
            "--dedupe-window",
            "90m",
            "--stream-replicas",
            "3",
        ])
        .unwrap();
        let cfg = cli.config;
        assert_eq!(cfg.crash_at, Some(CrashPoint::AfterCommit));
        assert_eq!(cfg.rate_limits.auth_get_per_client, 20);
        assert_eq!(cfg.dedupe_window, Duration::from_secs(90 * 60));
        assert_eq!(cfg.stream_replicas, 3);
        let defaults = Cli::try_parse_from(["t"]).unwrap().config;
        assert_eq!(defaults.dedupe_window, Duration::from_secs(72 * 3600));
        assert_eq!(defaults.stream_replicas, 1);
        assert!(Cli::try_parse_from(["t", "--stream-replicas", "0"]).is_err());
        assert_eq!(cfg.keyring().unwrap().active_key_id(), "k1");
        let shown = format!("{cfg:?}");
        assert!(!shown.contains("very-secret-token"), "{shown}");
        assert!(!shown.contains(key.split(':').nth(1).unwrap()), "{shown}");
    }

    #[test]
    fn rejects_bad_tokens_at_start_without_echoing_them() {
        let cli = Cli::try_parse_from(["t", "--api-tokens", "app:s3cr3t-tok:admin"]).unwrap();
        let err = cli.config.tokens().unwrap_err();
        assert!(!err.to_string().contains("s3cr3t-tok"), "{err}");
    }
}
