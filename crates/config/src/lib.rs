//! Typed configuration shared by penny's services: a redacting [`Secret`] type and the `clap`
//! argument groups (`PENNY_*` environment variables with local defaults) that every service
//! flattens into its own config with `#[command(flatten)]`. Each field is documented, so `--help`
//! lists every setting.
//!
//! Precedence is clap's: command-line flag, then environment variable, then the local default.
//! Durations are written the `humantime` way: `"500ms"`, `"5s"`, `"24h"`.
//!
//! [`service_config!`] declares a service's whole `Config` with the settings every service
//! shares under its own `PENNY_<SERVICE>_*` prefix.

#![warn(missing_docs)]

mod defaults;
mod nats;
mod plaid;
mod secret;
mod service;
mod telemetry;

pub use defaults::defaults;
pub use nats::NatsArgs;
pub use plaid::{PLAID_ENVIRONMENTS, PlaidArgs};
pub use secret::Secret;
pub use telemetry::{LogFormat, TelemetryArgs};

/// Parses a `humantime` duration (`"250ms"`, `"5s"`, `"24h"`); the `value_parser` of every
/// duration flag, public so services parse their own duration settings the same way.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, humantime::DurationError> {
    humantime::parse_duration(s)
}
