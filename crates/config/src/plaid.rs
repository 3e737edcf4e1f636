//! Settings for talking to Plaid (or to the local sandbox, the default).

use std::time::Duration;

use clap::Args;
use clap::builder::PossibleValuesParser;

use crate::Secret;

/// The Plaid environments penny accepts, as written in `PENNY_PLAID_ENVIRONMENT`.
pub const PLAID_ENVIRONMENTS: [&str; 2] = ["sandbox", "production"];

const DEFAULT_BASE_URL: &str = "http://127.0.0.1:7070";
const DEFAULT_CLIENT_ID: &str = "penny-sandbox-client";
const DEFAULT_SECRET: &str = "penny-sandbox-secret";
const DEFAULT_ENVIRONMENT: &str = "sandbox";

/// Plaid API credentials and endpoint. The defaults point at the local sandbox
/// (`services/sandbox`) with its built-in credentials, so everything runs with no Plaid account.
#[derive(Args, Debug, Clone, PartialEq, Eq)]
pub struct PlaidArgs {
    /// Plaid API base URL: `https://production.plaid.com`, `https://sandbox.plaid.com`, or the
    /// local sandbox.
    #[arg(long, env = "PENNY_PLAID_BASE_URL", default_value = DEFAULT_BASE_URL)]
    pub plaid_base_url: String,

    /// Plaid `client_id`.
    #[arg(long, env = "PENNY_PLAID_CLIENT_ID", default_value = DEFAULT_CLIENT_ID)]
    pub plaid_client_id: String,

    /// Plaid `secret` for the chosen environment. Never logged.
    #[arg(
        long,
        env = "PENNY_PLAID_SECRET",
        default_value = DEFAULT_SECRET,
        hide_env_values = true,
        hide_default_value = true
    )]
    pub plaid_secret: Secret<String>,

    /// Plaid environment the credentials belong to: `sandbox` or `production`. Webhooks whose
    /// `environment` field differs are rejected.
    #[arg(
        long,
        env = "PENNY_PLAID_ENVIRONMENT",
        default_value = DEFAULT_ENVIRONMENT,
        value_parser = PossibleValuesParser::new(PLAID_ENVIRONMENTS)
    )]
    pub plaid_environment: String,

    /// Timeout of one HTTP request to Plaid (`"10s"`, `"1500ms"`).
    #[arg(
        long,
        env = "PENNY_PLAID_TIMEOUT",
        default_value = "10s",
        value_parser = crate::parse_duration
    )]
    pub plaid_timeout: Duration,
}

impl PlaidArgs {
    /// True when the credentials are for Plaid's production environment.
    pub fn is_production(&self) -> bool {
        self.plaid_environment == "production"
    }
}

impl Default for PlaidArgs {
    /// The local defaults: the sandbox on `127.0.0.1:7070` with its built-in credentials.
    fn default() -> Self {
        crate::defaults()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser;

    use super::PlaidArgs;

    #[derive(Parser, Debug)]
    struct Cli {
        #[command(flatten)]
        plaid: PlaidArgs,
    }

    #[test]
    fn defaults_point_at_the_local_sandbox() {
        let plaid = PlaidArgs::default();
        assert_eq!(plaid.plaid_base_url, "http://127.0.0.1:7070");
        assert_eq!(plaid.plaid_client_id, "penny-sandbox-client");
        assert_eq!(plaid.plaid_secret.expose(), "penny-sandbox-secret");
        assert_eq!(plaid.plaid_timeout, Duration::from_secs(10));
        assert!(!plaid.is_production());
    }

    #[test]
    fn parses_every_flag() {
        let cli = Cli::try_parse_from([
            "t",
            "--plaid-base-url",
            "https://production.plaid.com",
            "--plaid-client-id",
            "cid",
            "--plaid-secret",
            "s3cr3t",
            "--plaid-environment",
            "production",
            "--plaid-timeout",
            "1500ms",
        ])
        .unwrap();
        assert_eq!(cli.plaid.plaid_base_url, "https://production.plaid.com");
        assert_eq!(cli.plaid.plaid_client_id, "cid");
        assert_eq!(cli.plaid.plaid_secret.expose(), "s3cr3t");
        assert!(cli.plaid.is_production());
        assert_eq!(cli.plaid.plaid_timeout, Duration::from_millis(1500));
    }

    #[test]
    fn rejects_an_unknown_environment() {
        let err = Cli::try_parse_from(["t", "--plaid-environment", "development"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::InvalidValue);
    }

    #[test]
    fn rejects_a_duration_without_unit() {
        let err = Cli::try_parse_from(["t", "--plaid-timeout", "10"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::ValueValidation);
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let cli = Cli::try_parse_from(["t", "--plaid-secret", "hunter2"]).unwrap();
        assert!(!format!("{:?}", cli.plaid).contains("hunter2"));
    }
}
