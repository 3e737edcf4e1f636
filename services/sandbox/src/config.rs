//! Command-line / environment configuration (`PENNY_SANDBOX_*`), with the same local defaults in
//! [`Config::default`] (except the listen port, which is 0 there so tests never collide).

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use penny_config::Secret;

use crate::help::CONTROL_API_HELP;

/// Default `client_id` accepted by the sandbox.
pub const DEFAULT_CLIENT_ID: &str = "penny-sandbox-client";
/// Default `secret` accepted by the sandbox.
pub const DEFAULT_SECRET: &str = "penny-sandbox-secret";

/// Settings of the sandbox. Every field has a local default; see `penny-sandbox --help`.
#[derive(Parser, Debug, Clone)]
#[command(
    name = "penny-sandbox",
    version,
    about = "A local Plaid API simulator: Auth micro-deposits, bank transfer events, signed webhooks",
    after_help = CONTROL_API_HELP
)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "PENNY_SANDBOX_LISTEN", default_value = "127.0.0.1:7070")]
    pub listen: SocketAddr,

    /// The `client_id` callers must send (header `PLAID-CLIENT-ID` or body `client_id`).
    #[arg(long, env = "PENNY_SANDBOX_CLIENT_ID", default_value = DEFAULT_CLIENT_ID)]
    pub client_id: String,

    /// The `secret` callers must send (header `PLAID-SECRET` or body `secret`).
    #[arg(
        long,
        env = "PENNY_SANDBOX_SECRET",
        default_value = DEFAULT_SECRET,
        hide_default_value = true,
        hide_env_values = true
    )]
    pub secret: Secret<String>,

    /// Simulated seconds per real second (3600 makes an hour pass in a second).
    #[arg(long, env = "PENNY_SANDBOX_CLOCK_SPEED", default_value_t = 1.0)]
    pub clock_speed: f64,

    /// Simulated delay after the token exchange before an automated micro-deposit account
    /// verifies by itself ("24h", "90m", or "never").
    #[arg(long, env = "PENNY_SANDBOX_VERIFY_AFTER", default_value = "24h")]
    pub verify_after: Delay,

    /// Simulated delay after the token exchange before a still-pending automated micro-deposit
    /// verification expires (Plaid: 7 days).
    #[arg(long, env = "PENNY_SANDBOX_EXPIRE_AFTER", default_value = "7days", value_parser = humantime::parse_duration)]
    pub expire_after: Duration,

    /// Post the pending micro-deposit after this simulated delay and send BANK_TRANSFERS_EVENTS_UPDATE
    /// (off by default, as in Plaid's sandbox, where deposits are never posted by themselves).
    #[arg(long, env = "PENNY_SANDBOX_AUTO_POST_AFTER", default_value = "never")]
    pub auto_post_after: Delay,

    /// Rate limits to enforce: off, Plaid's sandbox table or Plaid's production table.
    #[arg(long, env = "PENNY_SANDBOX_RATE_LIMITS", value_enum, default_value_t = RateLimitMode::Off)]
    pub rate_limits: RateLimitMode,

    /// Webhook URL for BANK_TRANSFERS and TRANSFER webhooks (a Dashboard setting at Plaid).
    #[arg(long, env = "PENNY_SANDBOX_BANK_TRANSFERS_WEBHOOK")]
    pub bank_transfers_webhook: Option<String>,

    /// Where new Items' micro-deposit events go: `bank_transfer` (`/bank_transfer/event/sync`,
    /// BANK_TRANSFERS_EVENTS_UPDATE) or `transfer` (`/transfer/event/sync`,
    /// TRANSFER_EVENTS_UPDATE, as for Plaid Transfer customers). Bulk-created Items choose
    /// their own.
    #[arg(long, env = "PENNY_SANDBOX_EVENT_FEED", value_parser = parse_feed, default_value = "bank_transfer")]
    pub event_feed: crate::ledger::Feed,

    /// Bank transfer event ids start after this in each feed. A sandbox restarted under a
    /// transfer-events that kept its cursor (e.g. `just up` a second time) starts above it.
    #[arg(long, env = "PENNY_SANDBOX_EVENT_ID_BASE", default_value_t = 0)]
    pub event_id_base: u64,

    /// Timeout of one webhook delivery attempt (Plaid expects a 200 within 10 s).
    #[arg(long, env = "PENNY_SANDBOX_WEBHOOK_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    pub webhook_timeout: Duration,

    /// Most webhook deliveries in flight at once (`0`: no limit, every due webhook is sent at
    /// once, each on its own connection). Plaid publishes no figure; a sender fleet holds a
    /// bounded number of requests to one endpoint, and a limit here keeps a 50,000 burst from
    /// being a test of the kernel's accept queue. Waiting for a slot is not part of an
    /// attempt's timeout.
    #[arg(long, env = "PENNY_SANDBOX_WEBHOOK_CONCURRENCY", default_value_t = 0)]
    pub webhook_concurrency: usize,

    /// Log filter (tracing `EnvFilter` syntax).
    #[arg(long, env = "PENNY_SANDBOX_LOG", default_value = "info")]
    pub log_filter: String,
}

impl Default for Config {
    /// The defaults `--help` shows, but on port 0 (so tests never collide).
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..penny_config::defaults()
        }
    }
}

fn parse_feed(s: &str) -> Result<crate::ledger::Feed, String> {
    match s {
        "bank_transfer" => Ok(crate::ledger::Feed::BankTransfer),
        "transfer" => Ok(crate::ledger::Feed::Transfer),
        other => Err(format!(
            "unknown event feed {other:?} (bank_transfer | transfer)"
        )),
    }
}

/// A simulated delay that may also be "never".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delay {
    /// The event never happens by itself.
    Never,
    /// The event happens after this much simulated time.
    After(Duration),
}

impl Delay {
    /// The duration, unless `Never`.
    pub fn duration(self) -> Option<Duration> {
        match self {
            Delay::Never => None,
            Delay::After(d) => Some(d),
        }
    }
}

impl FromStr for Delay {
    type Err = humantime::DurationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "never" | "off" | "none" => Ok(Delay::Never),
            other => humantime::parse_duration(other).map(Delay::After),
        }
    }
}

impl fmt::Display for Delay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Delay::Never => f.write_str("never"),
            Delay::After(d) => write!(f, "{}", humantime::format_duration(*d)),
        }
    }
}

/// Which rate-limit table to enforce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RateLimitMode {
    /// No limits (default).
    Off,
    /// Plaid's published Sandbox limits.
    Sandbox,
    /// Plaid's published Production limits.
    Production,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_parses_never_and_durations() {
        assert_eq!("never".parse::<Delay>().ok(), Some(Delay::Never));
        assert_eq!(
            "24h".parse::<Delay>().ok(),
            Some(Delay::After(Duration::from_secs(86_400)))
        );
        assert!("soon".parse::<Delay>().is_err());
    }

    #[test]
    fn cli_defaults_match_documented_values() {
        let cfg = Config::parse_from(["penny-sandbox"]);
        assert_eq!(cfg.client_id, DEFAULT_CLIENT_ID);
        assert_eq!(cfg.expire_after, Duration::from_secs(7 * 86_400));
        assert_eq!(cfg.auto_post_after, Delay::Never);
    }
}
