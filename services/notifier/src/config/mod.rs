//! Configuration: flags or `PENNY_*` environment variables, each with a local default, so
//! `penny-notifier` runs with no settings next to a local NATS and a local mail catcher.
//! `penny-notifier --help` lists every setting with its variable and default.
//!
//! In production (`PENNY_PLAID_ENVIRONMENT=production`, the deployment-wide switch) no
//! development default is used: API tokens, the encryption keyring and the link key must be
//! given, and every enabled channel needs real settings ([`Config::check_production`]).
//!
//! Tests build a [`Config`] directly (`Config::default()` plus field updates) and never touch
//! the process environment.

mod channels;
mod checks;
mod sections;

use std::net::SocketAddr;

use penny_config::{NatsArgs, Secret, TelemetryArgs};
use penny_runtime::auth::{Scope, TokensError};

pub use channels::{
    DEV_EMAIL_FROM, DEV_SMS_ACCOUNT_SID, EmailArgs, INSECURE_DEV_PUSH_SECRET,
    INSECURE_DEV_SMS_TOKEN, PushArgs, SmsArgs,
};
pub use sections::{ConsumerArgs, SchedulerArgs, SendArgs};

use crate::crash::CrashPoint;
use crate::domain::kind::ChannelList;

/// The scopes this service's API knows: `status` to read, `contacts` to write.
pub const SCOPES: [Scope; 2] = [Scope::Status, Scope::Contacts];

/// The default database: a SQLite file under `./data`, created on first start.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://./data/notifier.db?mode=rwc";
/// The default gRPC address.
pub const DEFAULT_GRPC_LISTEN: &str = "127.0.0.1:50053";
/// The default admin address (`/healthz`, `/readyz`, `/metrics`).
pub const DEFAULT_ADMIN_LISTEN: &str = "127.0.0.1:9093";
/// The default public address (one-click unsubscribe).
pub const DEFAULT_PUBLIC_LISTEN: &str = "127.0.0.1:8093";

/// INSECURE development encryption key for contact data (32 public bytes).
pub const INSECURE_DEV_KEYRING: &str = "insecure-dev:cGVubnkgbm90aWZpZXIgSU5TRUNVUkUgZGV2IGtleSE=";
/// INSECURE development link key (32 public bytes, base64).
pub const INSECURE_DEV_LINK_KEY: &str = "cGVubnkgbm90aWZpZXIgSU5TRUNVUkUgbGluayBrZXk=";
/// INSECURE development API token (all scopes).
pub use penny_runtime::auth::INSECURE_DEV_API_TOKEN;

penny_config::service_config! {
    /// Everything `penny-notifier` can be told.
    pub struct Config;
    env_prefix = "PENNY_NOTIFIER";
    /// Address of the gRPC API (`penny.v1.NotifierService`, health, reflection).
    grpc_listen = DEFAULT_GRPC_LISTEN;
    /// Address of the admin HTTP server: `/healthz`, `/readyz`, `/metrics`.
    admin_listen = DEFAULT_ADMIN_LISTEN;
    /// Database URL: `sqlite://<file>?mode=rwc` or `postgres://...` (redacted in `Debug`).
    database_url = DEFAULT_DATABASE_URL;
    /// Replicas of the streams this service creates when missing and of its lease bucket.
    stream_replicas;
    /// Create the streams this service needs when they are missing (never changing one); off
    /// in a cluster, where the stream owner creates them.
    create_missing_streams;
    /// API bearer tokens: `name:token:scope1+scope2,...` with scopes `status` (read) and
    /// `contacts` (write). Required in production.
    api_tokens;
    own {
        /// Address of the public HTTP server: `POST /unsubscribe/<token>` (RFC 8058 one-click).
        #[arg(long, env = "PENNY_NOTIFIER_PUBLIC_LISTEN", default_value = DEFAULT_PUBLIC_LISTEN)]
        pub public_listen: SocketAddr,

        /// The public server's URL as people's mail clients reach it (https in production):
        /// unsubscribe links start with it.
        #[arg(
            long,
            env = "PENNY_NOTIFIER_PUBLIC_URL",
            default_value = "http://127.0.0.1:8093"
        )]
        pub public_url: String,

        /// NATS connection.
        #[command(flatten)]
        pub nats: NatsArgs,

        /// The deployment's environment (the variable every penny service reads): `production`
        /// turns off every development default and refuses http push URLs.
        #[arg(
            long = "environment",
            env = "PENNY_PLAID_ENVIRONMENT",
            default_value = "sandbox"
        )]
        pub environment: String,

        /// Logs and traces.
        #[command(flatten)]
        pub telemetry: TelemetryArgs,

        /// Encryption keyring for contact data: `k2:<base64 32 bytes>,k1:...`, the first active.
        /// Required in production.
        #[arg(long, env = "PENNY_NOTIFIER_ENCRYPTION_KEYS", hide_env_values = true)]
        pub encryption_keys: Option<Secret<String>>,

        /// Key signing unsubscribe links: base64 of at least 32 bytes. Required in production.
        #[arg(long, env = "PENNY_NOTIFIER_LINK_KEY", hide_env_values = true)]
        pub link_key: Option<Secret<String>>,

        /// Allow the built-in INSECURE development key, link key and token when none is
        /// configured (implied outside production).
        #[arg(long, env = "PENNY_NOTIFIER_INSECURE_DEV_KEY")]
        pub insecure_dev_key: bool,

        /// The product name alerts speak for.
        #[arg(long, env = "PENNY_NOTIFIER_PRODUCT_NAME", default_value = "penny")]
        pub product_name: String,

        /// Channels this notifier sends on: any of `email,sms,push`.
        #[arg(
            long,
            env = "PENNY_NOTIFIER_CHANNELS",
            default_value = "email,sms,push"
        )]
        pub channels: ChannelList,

        /// Email.
        #[command(flatten)]
        pub email: EmailArgs,

        /// SMS.
        #[command(flatten)]
        pub sms: SmsArgs,

        /// Push.
        #[command(flatten)]
        pub push: PushArgs,

        /// The domain-event consumer.
        #[command(flatten)]
        pub consumer: ConsumerArgs,

        /// Sending.
        #[command(flatten)]
        pub sending: SendArgs,

        /// The scheduler.
        #[command(flatten)]
        pub scheduler: SchedulerArgs,
    }
    /// How long processed-event records are kept (longer than PENNY_EVENTS keeps events, 30
    /// days, so a late redelivery is still recognised); also the window in which a repeated
    /// event id is a duplicate.
    inbox_retention = "35d";
    /// How long shutdown waits for in-flight work.
    shutdown_grace = "20s";
    /// How often readiness and the sampled metrics are refreshed.
    readiness_interval = "1s";
    /// TEST-ONLY fault injection: abort the process `after-claim` or `after-send`.
    crash_at: CrashPoint;
}

/// Why the configuration cannot be used. Messages never contain a secret.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A setting production needs is missing or still the development one.
    #[error("{0} (production refuses to start without it)")]
    Production(String),
    /// The keyring does not parse.
    #[error("PENNY_NOTIFIER_ENCRYPTION_KEYS: {0}")]
    Keys(#[from] penny_store::CryptoError),
    /// The token list does not parse.
    #[error("PENNY_NOTIFIER_API_TOKENS: {0}")]
    Tokens(#[from] TokensError),
    /// Another setting is malformed.
    #[error("{0}")]
    Invalid(String),
}
