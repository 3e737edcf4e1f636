//! [`PlaidClient`]: one pooled HTTP client, Plaid's headers, bounded timeouts, the retry loop and
//! one tracing span per call. The endpoint methods live in [`crate::api`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue, header};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::field;

use crate::config::{DEFAULT_CONNECT_TIMEOUT, PLAID_VERSION, PlaidClientConfig};
use crate::error::PlaidError;
use crate::metrics::PlaidMetrics;
use crate::retry::{Idempotency, backoff};

/// `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("penny/", env!("CARGO_PKG_VERSION"));

/// A response body that carries Plaid's `request_id`.
pub(crate) trait PlaidResponse {
    /// The response's `request_id`.
    fn request_id(&self) -> &str;
}

/// Implements [`PlaidResponse`] for types with a `request_id: String` field.
macro_rules! plaid_response {
    ($($ty:ty),* $(,)?) => {
        $(impl $crate::client::PlaidResponse for $ty {
            fn request_id(&self) -> &str {
                &self.request_id
            }
        })*
    };
}
pub(crate) use plaid_response;

/// The Plaid API client. Cheap to clone (an `Arc` inside); share one per process so connections
/// are pooled.
#[derive(Clone)]
pub struct PlaidClient {
    inner: Arc<Inner>,
    max_retries: u32,
}

struct Inner {
    http: reqwest::Client,
    base_url: String,
    retry_base: Duration,
    retry_cap: Duration,
    metrics: Option<PlaidMetrics>,
}

impl fmt::Debug for PlaidClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlaidClient")
            .field("base_url", &self.inner.base_url)
            .field("max_retries", &self.max_retries)
            .finish_non_exhaustive()
    }
}

impl PlaidClient {
    /// Validates the config and builds the client (no network I/O).
    pub fn new(config: PlaidClientConfig) -> Result<Self, PlaidError> {
        let base_url = validate_base_url(&config.base_url)?;
        if config.client_id.trim().is_empty() {
            return Err(PlaidError::InvalidConfig("client_id is empty".into()));
        }
        if config.secret.expose().trim().is_empty() {
            return Err(PlaidError::InvalidConfig("secret is empty".into()));
        }
        if config.timeout.is_zero() {
            return Err(PlaidError::InvalidConfig("timeout is zero".into()));
        }

        let mut headers = HeaderMap::new();
        let client_id = HeaderValue::from_str(&config.client_id).map_err(|_| {
            PlaidError::InvalidConfig("client_id is not a valid header value".into())
        })?;
        let mut secret = HeaderValue::from_str(config.secret.expose())
            .map_err(|_| PlaidError::InvalidConfig("secret is not a valid header value".into()))?;
        secret.set_sensitive(true);
        headers.insert(HeaderName::from_static("plaid-client-id"), client_id);
        headers.insert(HeaderName::from_static("plaid-secret"), secret);
        headers.insert(
            HeaderName::from_static("plaid-version"),
            HeaderValue::from_static(PLAID_VERSION),
        );
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));

        let http = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(headers)
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(DEFAULT_CONNECT_TIMEOUT))
            .pool_idle_timeout(Duration::from_secs(60))
            .tls_backend_rustls()
            .build()
            .map_err(|e| PlaidError::InvalidConfig(format!("cannot build the HTTP client: {e}")))?;

        Ok(Self {
            max_retries: config.max_retries,
            inner: Arc::new(Inner {
                http,
                base_url,
                retry_base: config.retry_base,
                retry_cap: config.retry_cap,
                metrics: config.metrics,
            }),
        })
    }

    /// The same client (same connections) retrying read-only calls at most `max_retries` times.
    /// A caller that must count every HTTP attempt against a shared budget (Plaid's rate
    /// limits) uses `with_max_retries(0)` and retries itself, taking a unit per attempt.
    pub fn with_max_retries(&self, max_retries: u32) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            max_retries,
        }
    }

    /// How many times read-only calls are retried after the first attempt.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The jittered pause this client takes before its `retry`-th retry (1-based), for callers
    /// that retry themselves by the same rule.
    pub fn retry_delay(&self, retry: u32) -> Duration {
        backoff(self.inner.retry_base, self.inner.retry_cap, retry)
    }

    /// The base URL requests go to (without a trailing slash).
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// Sends one endpoint call, retrying read-only calls on retryable errors. One span per call
    /// (covering every attempt) with the endpoint, Plaid's `request_id`, the attempt count and
    /// the last HTTP status; never a credential.
    #[tracing::instrument(
        name = "plaid.call",
        skip_all,
        fields(
            plaid.endpoint = endpoint,
            plaid.request_id = field::Empty,
            plaid.attempts = field::Empty,
            http.status = field::Empty,
        )
    )]
    pub(crate) async fn call<Req, Resp>(
        &self,
        endpoint: &'static str,
        idempotency: Idempotency,
        request: &Req,
    ) -> Result<Resp, PlaidError>
    where
        Req: Serialize + ?Sized,
        Resp: DeserializeOwned + PlaidResponse,
    {
        let body = serde_json::to_vec(request).map_err(|e| PlaidError::Encode {
            endpoint,
            message: e.to_string(),
        })?;
        let url = format!("{}{endpoint}", self.inner.base_url);
        let max_retries = match idempotency {
            Idempotency::ReadOnly => self.max_retries,
            Idempotency::Mutating => 0,
        };
        let span = tracing::Span::current();
        let mut attempt: u32 = 1;
        loop {
            span.record("plaid.attempts", attempt);
            let started = std::time::Instant::now();
            let result = self.attempt::<Resp>(endpoint, &url, body.clone()).await;
            if let Some(metrics) = &self.inner.metrics {
                metrics.record(endpoint, result.as_ref().map(|_| ()), started.elapsed());
            }
            match result {
                Ok(response) => {
                    span.record("plaid.request_id", response.request_id());
                    return Ok(response);
                }
                Err(err) => {
                    if let Some(status) = err.http_status() {
                        span.record("http.status", status);
                    }
                    if let Some(request_id) = err.request_id() {
                        span.record("plaid.request_id", request_id);
                    }
                    let retries_done = attempt - 1;
                    if !err.is_retryable() || retries_done >= max_retries {
                        tracing::debug!(
                            plaid.endpoint = endpoint,
                            attempt,
                            error_code = err.error_code(),
                            error = %err,
                            "plaid call failed"
                        );
                        return Err(err);
                    }
                    let delay = backoff(self.inner.retry_base, self.inner.retry_cap, attempt);
                    tracing::warn!(
                        plaid.endpoint = endpoint,
                        attempt,
                        error_code = err.error_code(),
                        request_id = err.request_id(),
                        http_status = err.http_status(),
                        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        error = %err,
                        "retrying plaid call"
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
            }
        }
    }

    /// One HTTP exchange: send, read the whole body, decode success or error.
    async fn attempt<Resp: DeserializeOwned>(
        &self,
        endpoint: &'static str,
        url: &str,
        body: Vec<u8>,
    ) -> Result<Resp, PlaidError> {
        let response = self
            .inner
            .http
            .post(url)
            .body(body)
            .send()
            .await
            .map_err(|e| PlaidError::from_reqwest(endpoint, e))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| PlaidError::from_reqwest(endpoint, e))?;
        if status.is_success() {
            serde_json::from_slice(&bytes).map_err(|e| PlaidError::decode(endpoint, &e))
        } else {
            Err(PlaidError::from_error_response(
                endpoint,
                status.as_u16(),
                &bytes,
            ))
        }
    }
}

/// Checks the base URL and returns it without a trailing slash.
fn validate_base_url(raw: &str) -> Result<String, PlaidError> {
    let trimmed = raw.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(trimmed)
        .map_err(|e| PlaidError::InvalidConfig(format!("base_url {trimmed:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(PlaidError::InvalidConfig(format!(
            "base_url {trimmed:?}: scheme must be http or https"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(PlaidError::InvalidConfig(format!(
            "base_url {trimmed:?}: must not carry a query, fragment or user info"
        )));
    }
    Ok(trimmed.to_owned())
}

#[cfg(test)]
mod tests {
    use penny_config::Secret;

    use super::*;

    fn config(base_url: &str) -> PlaidClientConfig {
        PlaidClientConfig::new(base_url, "client", Secret::from("s3cr3t-value"))
    }

    #[test]
    fn accepts_environment_urls_and_strips_the_trailing_slash() {
        for (raw, expected) in [
            (crate::SANDBOX_URL, "https://sandbox.plaid.com"),
            (crate::PRODUCTION_URL, "https://production.plaid.com"),
            ("http://127.0.0.1:7070/", "http://127.0.0.1:7070"),
        ] {
            let client = PlaidClient::new(config(raw)).unwrap();
            assert_eq!(client.base_url(), expected);
        }
    }

    #[test]
    fn rejects_unusable_configs_without_echoing_the_secret() {
        let mut bad = vec![
            config("ftp://x"),
            config("not a url"),
            config("https://u:p@sandbox.plaid.com"),
        ];
        let mut empty_id = config(crate::SANDBOX_URL);
        empty_id.client_id = String::new();
        bad.push(empty_id);
        let mut empty_secret = config(crate::SANDBOX_URL);
        empty_secret.secret = Secret::from("");
        bad.push(empty_secret);
        let mut bad_header = config(crate::SANDBOX_URL);
        bad_header.secret = Secret::from("s3cr3t\nvalue");
        bad.push(bad_header);
        let mut zero = config(crate::SANDBOX_URL);
        zero.timeout = Duration::ZERO;
        bad.push(zero);
        for cfg in bad {
            let err = PlaidClient::new(cfg).unwrap_err();
            assert!(matches!(err, PlaidError::InvalidConfig(_)), "{err:?}");
            assert!(!format!("{err} {err:?}").contains("s3cr3t"));
        }
    }

    #[test]
    fn debug_never_shows_credentials() {
        let cfg = config(crate::SANDBOX_URL);
        assert!(!format!("{cfg:?}").contains("s3cr3t"));
        let client = PlaidClient::new(cfg).unwrap();
        let shown = format!("{client:?}");
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("sandbox.plaid.com"));
    }

    #[test]
    fn user_agent_names_penny_and_its_version() {
        assert_eq!(USER_AGENT, format!("penny/{}", env!("CARGO_PKG_VERSION")));
    }
}
