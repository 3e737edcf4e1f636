//! Connecting to NATS: bounded retries at start, reconnect forever afterwards.
//!
//! A service that starts while NATS is down retries with backoff until
//! [`ConnectSettings::initial_deadline`] and then fails, so a misconfigured URL shows up as a
//! crash loop instead of a silently idle pod. Once connected, the client reconnects forever
//! (async-nats buffers publishes meanwhile; [`crate::publish_durable`] reports
//! [`crate::PublishError::Unavailable`] while disconnected).

use std::time::Duration;

use async_nats::{Client, ConnectOptions};
use tokio::time::Instant;

/// How to connect to NATS.
#[derive(Debug, Clone)]
pub struct ConnectSettings {
    /// Connection name shown by the server (`nats-server` monitoring, `nats server report connections`).
    pub name: String,
    /// Keep retrying the first connection for this long before giving up.
    pub initial_deadline: Duration,
    /// Client ping interval: how quickly a dead TCP connection is noticed.
    pub ping_interval: Duration,
    /// Timeout of one TCP + handshake attempt.
    pub connection_timeout: Duration,
}

impl ConnectSettings {
    /// Defaults for a service called `name`: 30 s to first connect, 10 s pings, 5 s per attempt.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            initial_deadline: Duration::from_secs(30),
            ping_interval: Duration::from_secs(10),
            connection_timeout: Duration::from_secs(5),
        }
    }
}

/// Why the first connection failed.
#[derive(Debug, thiserror::Error)]
#[error("could not connect to NATS at {url} within {deadline:?}: {source}")]
pub struct ConnectError {
    /// The URL that was tried.
    pub url: String,
    /// The deadline that passed.
    pub deadline: Duration,
    /// The last attempt's error.
    #[source]
    pub source: async_nats::ConnectError,
}

/// Connects to `url` with [`ConnectSettings::new`]`(name)`.
pub async fn connect(url: &str, name: &str) -> Result<Client, ConnectError> {
    connect_with(url, &ConnectSettings::new(name)).await
}

/// Connects to `url`, retrying with exponential backoff (100 ms doubling to 2 s) until
/// `settings.initial_deadline`; the returned client reconnects forever.
#[tracing::instrument(level = "debug", skip_all, fields(url = %redact_url(url), name = %settings.name))]
pub async fn connect_with(url: &str, settings: &ConnectSettings) -> Result<Client, ConnectError> {
    let deadline = Instant::now() + settings.initial_deadline;
    let mut backoff = Duration::from_millis(100);
    loop {
        let options = ConnectOptions::new()
            .name(&settings.name)
            .ping_interval(settings.ping_interval)
            .connection_timeout(settings.connection_timeout)
            .max_reconnects(None)
            .event_callback(|event| async move {
                tracing::info!(%event, "nats connection event");
            });
        match options.connect(url).await {
            Ok(client) => {
                tracing::info!("connected to NATS");
                return Ok(client);
            }
            Err(source) => {
                let now = Instant::now();
                if now + backoff >= deadline {
                    return Err(ConnectError {
                        url: redact_url(url),
                        deadline: settings.initial_deadline,
                        source,
                    });
                }
                tracing::warn!(error = %source, retry_in = ?backoff, "NATS not reachable yet");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
        }
    }
}

/// A readiness check: `Ok` while `client` is connected (a local read, no round trip).
pub fn connected_check(client: Client) -> impl Fn() -> Result<(), String> + Send + Sync + 'static {
    move || match client.connection_state() {
        async_nats::connection::State::Connected => Ok(()),
        state => Err(format!("NATS {state}")),
    }
}

/// `url` with any `user:password@` part replaced by `***@`, for logs and errors.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}***{}", &url[..scheme_end + 3], &url[at..])
        }
        (None, Some(at)) => format!("***{}", &url[at..]),
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn credentials_are_redacted() {
        assert_eq!(redact_url("nats://u:p@host:4222"), "nats://***@host:4222");
        assert_eq!(redact_url("u:p@host"), "***@host");
        assert_eq!(redact_url("nats://host:4222"), "nats://host:4222");
    }
}
