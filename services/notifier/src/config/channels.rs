//! The channel argument groups of [`super::Config`]: SMTP, the SMS API and push signing.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use penny_config::{Secret, parse_duration};

use crate::channels::email::Security;

/// The From address outside production (`.localhost` is never a real domain).
pub const DEV_EMAIL_FROM: &str = "penny <alerts@penny.localhost>";
/// The sandbox SMS account id.
pub const DEV_SMS_ACCOUNT_SID: &str = "AC00000000000000000000000000000000";
/// INSECURE development SMS auth token.
pub const INSECURE_DEV_SMS_TOKEN: &str = "penny-insecure-dev-sms-token";
/// INSECURE development push signing secret (`whsec_` + base64 of 32 public bytes).
pub const INSECURE_DEV_PUSH_SECRET: &str = "whsec_cGVubnkgbm90aWZpZXIgSU5TRUNVUkUgcHVzaCBrZXk=";

/// Email over SMTP: `PENNY_NOTIFIER_SMTP_*`, `PENNY_NOTIFIER_EMAIL_FROM`.
#[derive(Args, Debug, Clone)]
pub struct EmailArgs {
    /// SMTP server host (also the name checked in its TLS certificate). The default is a local
    /// catcher (e.g. `.tools/bin/python -m aiosmtpd -n -l 127.0.0.1:2525`) for the sandbox environment.
    #[arg(long, env = "PENNY_NOTIFIER_SMTP_HOST", default_value = "127.0.0.1")]
    pub smtp_host: String,

    /// SMTP port: 2525 for the local catcher, 587 for STARTTLS, 465 for TLS.
    #[arg(long, env = "PENNY_NOTIFIER_SMTP_PORT", default_value_t = 2525)]
    pub smtp_port: u16,

    /// `plain` (a local catcher only; refused in production), `starttls` or `tls`.
    #[arg(
        long,
        env = "PENNY_NOTIFIER_SMTP_SECURITY",
        value_enum,
        default_value = "plain"
    )]
    pub smtp_security: Security,

    /// SMTP `AUTH` user (none: no authentication).
    #[arg(long, env = "PENNY_NOTIFIER_SMTP_USERNAME")]
    pub smtp_username: Option<String>,

    /// SMTP `AUTH` password.
    #[arg(long, env = "PENNY_NOTIFIER_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<Secret<String>>,

    /// PEM file of CA certificates trusted besides the public roots for STARTTLS and TLS (a
    /// private relay's CA).
    #[arg(long, env = "PENNY_NOTIFIER_SMTP_CA_FILE")]
    pub smtp_ca_file: Option<PathBuf>,

    /// SMTP connections at most (reused between alerts).
    #[arg(long, env = "PENNY_NOTIFIER_SMTP_POOL_SIZE", default_value_t = 8)]
    pub smtp_pool_size: usize,

    /// Limit for each SMTP step (connect, each command, the message): a timeout after the
    /// message was written makes the outcome unknown.
    #[arg(long, env = "PENNY_NOTIFIER_SMTP_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub smtp_timeout: Duration,

    /// Name sent in `EHLO`.
    #[arg(
        long,
        env = "PENNY_NOTIFIER_SMTP_HELLO_NAME",
        default_value = "localhost"
    )]
    pub smtp_hello_name: String,

    /// The From of every alert email; its domain is also the Message-IDs' domain. Must be set
    /// to a real address in production.
    #[arg(long, env = "PENNY_NOTIFIER_EMAIL_FROM", default_value = DEV_EMAIL_FROM)]
    pub email_from: String,
}

/// SMS over the provider's HTTP API: `PENNY_NOTIFIER_SMS_*`.
#[derive(Args, Debug, Clone)]
pub struct SmsArgs {
    /// The API base URL; messages are POSTed to `{base}/Accounts/{sid}/Messages.json`. https in
    /// production.
    #[arg(
        long,
        env = "PENNY_NOTIFIER_SMS_BASE_URL",
        default_value = "http://127.0.0.1:7072"
    )]
    pub sms_base_url: String,

    /// Account id (the basic-auth user).
    #[arg(long, env = "PENNY_NOTIFIER_SMS_ACCOUNT_SID", default_value = DEV_SMS_ACCOUNT_SID)]
    pub sms_account_sid: String,

    /// Auth token (the basic-auth password). Required in production.
    #[arg(long, env = "PENNY_NOTIFIER_SMS_AUTH_TOKEN", hide_env_values = true)]
    pub sms_auth_token: Option<Secret<String>>,

    /// The sender number (E.164) or sender id.
    #[arg(long, env = "PENNY_NOTIFIER_SMS_FROM", default_value = "+15005550006")]
    pub sms_from: String,

    /// Limit for one API call: a timeout after the request was sent makes the outcome unknown.
    #[arg(long, env = "PENNY_NOTIFIER_SMS_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub sms_timeout: Duration,
}

/// Signed push: `PENNY_NOTIFIER_PUSH_*`.
#[derive(Args, Debug, Clone)]
pub struct PushArgs {
    /// Standard Webhooks signing secret, `whsec_<base64 of 24 to 64 bytes>`, shared with the
    /// receivers. Required in production.
    #[arg(
        long,
        env = "PENNY_NOTIFIER_PUSH_SIGNING_SECRET",
        hide_env_values = true
    )]
    pub push_signing_secret: Option<Secret<String>>,

    /// Limit for one push call.
    #[arg(long, env = "PENNY_NOTIFIER_PUSH_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub push_timeout: Duration,
}
