//! Client configuration and Plaid's environment base URLs.

use std::time::Duration;

use penny_config::{PlaidArgs, Secret};

use crate::PlaidMetrics;

/// Plaid's Sandbox environment.
pub const SANDBOX_URL: &str = "https://sandbox.plaid.com";
/// Plaid's Production environment.
pub const PRODUCTION_URL: &str = "https://production.plaid.com";
/// The local simulator's default address (`services/sandbox`).
pub const LOCAL_SANDBOX_URL: &str = "http://127.0.0.1:7070";

/// The API version this client speaks (`Plaid-Version` header).
pub const PLAID_VERSION: &str = "2020-09-14";

/// Default total timeout of one HTTP attempt.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default number of retries after the first attempt (read-only calls only).
pub const DEFAULT_MAX_RETRIES: u32 = 3;
/// Default base of the exponential backoff.
pub const DEFAULT_RETRY_BASE: Duration = Duration::from_millis(200);
/// Default cap of one backoff sleep.
pub const DEFAULT_RETRY_CAP: Duration = Duration::from_secs(5);
/// Connect timeout used when the total timeout is larger.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// How to reach Plaid. Build it directly; [`PlaidClientConfig::new`] fills the defaults.
#[derive(Clone, Debug)]
pub struct PlaidClientConfig {
    /// Base URL without a trailing path, e.g. [`SANDBOX_URL`] or `http://127.0.0.1:7070`.
    pub base_url: String,
    /// `PLAID-CLIENT-ID`.
    pub client_id: String,
    /// `PLAID-SECRET` (redacted in `Debug`).
    pub secret: Secret<String>,
    /// Total time for one HTTP attempt (connect, send, read the whole body). Default 10 s.
    pub timeout: Duration,
    /// Retries after the first attempt for read-only calls; mutating calls never retry. Default 3.
    pub max_retries: u32,
    /// Backoff base: attempt `n` (1-based) sleeps a uniformly random time in
    /// `[0, min(retry_cap, retry_base * 2^(n-1))]` ("full jitter"). Default 200 ms.
    pub retry_base: Duration,
    /// Longest single backoff sleep. Default 5 s.
    pub retry_cap: Duration,
    /// Where every attempt is counted (`None`: nowhere).
    pub metrics: Option<PlaidMetrics>,
}

impl PlaidClientConfig {
    /// A config with the default timeout and retry policy.
    pub fn new(
        base_url: impl Into<String>,
        client_id: impl Into<String>,
        secret: Secret<String>,
    ) -> Self {
        Self {
            base_url: base_url.into(),
            client_id: client_id.into(),
            secret,
            timeout: DEFAULT_TIMEOUT,
            max_retries: DEFAULT_MAX_RETRIES,
            retry_base: DEFAULT_RETRY_BASE,
            retry_cap: DEFAULT_RETRY_CAP,
            metrics: None,
        }
    }

    /// The config for a service's Plaid settings (`PENNY_PLAID_*`), with the default retry
    /// policy, so no service maps them by hand.
    pub fn from_args(args: &PlaidArgs) -> Self {
        Self {
            timeout: args.plaid_timeout,
            ..Self::new(
                args.plaid_base_url.clone(),
                args.plaid_client_id.clone(),
                args.plaid_secret.clone(),
            )
        }
    }

    /// The same config counting every attempt in `metrics`.
    pub fn with_metrics(mut self, metrics: PlaidMetrics) -> Self {
        self.metrics = Some(metrics);
        self
    }
}

impl Default for PlaidClientConfig {
    /// The local simulator with its default credentials, so `..Default::default()` works in
    /// tests and demos.
    fn default() -> Self {
        Self::new(
            LOCAL_SANDBOX_URL,
            "penny-sandbox-client",
            Secret::from("penny-sandbox-secret"),
        )
    }
}
