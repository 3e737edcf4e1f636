//! Configuration: flags or `PENNY_*` environment variables, each with a local default, so
//! `penny-ingress` runs with no settings next to a local NATS and the sandbox.
//! `penny-ingress --help` lists every setting with its variable and default.

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Args, Parser};
use penny_bus::StreamSettings;
use penny_config::{NatsArgs, PlaidArgs, TelemetryArgs, parse_duration};
use penny_runtime::ConnectionLimits;

use crate::verify::{FreshnessSettings, KeyCacheSettings, VerifyMode};

/// Everything `penny-ingress` can be told.
#[derive(Parser, Debug, Clone, PartialEq)]
#[command(
    name = "penny-ingress",
    version,
    about = "Receives Plaid webhooks, verifies their Plaid-Verification signature and publishes \
             the raw bodies to the JetStream stream PLAID_WEBHOOKS.",
    long_about = None
)]
pub struct Config {
    /// Address for HTTP: `POST /webhooks/plaid`, `/healthz`, `/readyz`, `/metrics`.
    #[arg(long, env = "PENNY_INGRESS_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,

    /// NATS connection.
    #[command(flatten)]
    pub nats: NatsArgs,

    /// Plaid (or sandbox) API, used for `/webhook_verification_key/get`; its environment is
    /// the one webhooks must name.
    #[command(flatten)]
    pub plaid: PlaidArgs,

    /// Logs and traces.
    #[command(flatten)]
    pub telemetry: TelemetryArgs,

    /// Ingress limits and timeouts.
    #[command(flatten)]
    pub ingress: IngressArgs,
}

/// Limits, timeouts and stream settings of the ingress.
#[derive(Args, Debug, Clone, PartialEq)]
pub struct IngressArgs {
    /// Largest accepted webhook body in bytes; larger bodies get 413.
    #[arg(long, env = "PENNY_INGRESS_MAX_BODY_BYTES", default_value_t = 64 * 1024)]
    pub max_body_bytes: usize,

    /// Longest time to receive a webhook's body once its headers arrived; a slower client gets
    /// 408, so trickling bodies cannot hold the in-flight slots Plaid's webhooks need.
    #[arg(long, env = "PENNY_INGRESS_BODY_READ_TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    pub body_read_timeout: Duration,

    /// Oldest accepted `iat` of a Plaid-Verification token (Plaid says 5 minutes).
    #[arg(long, env = "PENNY_INGRESS_IAT_MAX_AGE", default_value = "5m", value_parser = parse_duration)]
    pub iat_max_age: Duration,

    /// How far in the future a token's `iat` may be (clock skew between Plaid and us).
    #[arg(long, env = "PENNY_INGRESS_IAT_MAX_SKEW", default_value = "30s", value_parser = parse_duration)]
    pub iat_max_skew: Duration,

    /// Bound on one verification-key fetch; a slower Plaid gets 503 (Plaid retries).
    #[arg(long, env = "PENNY_INGRESS_KEY_FETCH_TIMEOUT", default_value = "3s", value_parser = parse_duration)]
    pub key_fetch_timeout: Duration,

    /// How long a key id Plaid rejected is remembered (answered 401 without asking again).
    #[arg(long, env = "PENNY_INGRESS_KEY_NEGATIVE_TTL", default_value = "10m", value_parser = parse_duration)]
    pub key_negative_ttl: Duration,

    /// How many rejected key ids are remembered at most (oldest forgotten first).
    #[arg(
        long,
        env = "PENNY_INGRESS_KEY_NEGATIVE_CAPACITY",
        default_value_t = 10_000
    )]
    pub key_negative_capacity: usize,

    /// Sustained rate (per second) at which unknown key ids may trigger a key fetch; beyond it
    /// (plus the burst) they get 503 without a fetch.
    #[arg(long, env = "PENNY_INGRESS_KEY_FETCH_RATE", default_value_t = 2.0)]
    pub key_fetch_rate: f64,

    /// Burst of unknown key ids that may trigger a key fetch at once.
    #[arg(long, env = "PENNY_INGRESS_KEY_FETCH_BURST", default_value_t = 10)]
    pub key_fetch_burst: u32,

    /// Where webhook signatures are checked: `0` on the async workers, `n` on n threads of
    /// their own, `auto` inline when this machine verifies in at most 60 µs, else one thread
    /// per core (the hand-off costs less than a slow verify blocking I/O).
    #[arg(long, env = "PENNY_INGRESS_VERIFY_THREADS", default_value = "auto")]
    pub verify_threads: VerifyMode,

    /// Longest wait for the stream's PubAck before answering 503 (well under Plaid's 10 s).
    #[arg(long, env = "PENNY_INGRESS_PUBLISH_TIMEOUT", default_value = "2s", value_parser = parse_duration)]
    pub publish_timeout: Duration,

    /// Most webhook requests handled at once; more are shed with 503 at once.
    #[arg(long, env = "PENNY_INGRESS_MAX_IN_FLIGHT", default_value_t = 1024)]
    pub max_in_flight: usize,

    /// Most connections open at once; more wait in the kernel's accept queue. An HTTP/1
    /// connection carries one request at a time, so more than `max_in_flight` only buys 503s,
    /// and each costs memory (Plaid opens one per webhook in a burst): about 45 KiB with a
    /// request in flight (hyper's 8 KiB write and 8 to 16 KiB read buffers, the task, the
    /// handler), so 1,024 peak at about 73 MiB and 512 at 56 MiB, at the same rate. 1,024
    /// stays the default: in a 50,000-connection storm, 512 left more senders to Plaid's
    /// slower retries (README, "The whole pipeline under a burst").
    #[arg(long, env = "PENNY_INGRESS_MAX_CONNECTIONS", default_value_t = 1024)]
    pub max_connections: usize,

    /// Longest wait for a request's headers, from a connection's start and between requests on a
    /// kept-alive one (so idle connections give their slot back).
    #[arg(long, env = "PENNY_INGRESS_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub header_read_timeout: Duration,

    /// Connections the kernel queues while all `max_connections` are taken (capped by
    /// `net.core.somaxconn`).
    #[arg(long, env = "PENNY_INGRESS_LISTEN_BACKLOG", default_value_t = 4096)]
    pub listen_backlog: u32,

    /// How often NATS connectivity and the stream's existence are checked for `/readyz`.
    #[arg(long, env = "PENNY_INGRESS_READINESS_INTERVAL", default_value = "1s", value_parser = parse_duration)]
    pub readiness_interval: Duration,

    /// How long shutdown waits for in-flight requests after SIGTERM/SIGINT.
    #[arg(long, env = "PENNY_INGRESS_SHUTDOWN_GRACE", default_value = "20s", value_parser = parse_duration)]
    pub shutdown_grace: Duration,

    /// How long to keep retrying the first NATS connection at start before failing.
    #[arg(long, env = "PENNY_INGRESS_NATS_CONNECT_DEADLINE", default_value = "30s", value_parser = parse_duration)]
    pub nats_connect_deadline: Duration,

    /// PLAID_WEBHOOKS stream: maximum size in bytes (full stream: publishes fail, 503).
    #[arg(long, env = "PENNY_INGRESS_STREAM_MAX_BYTES", default_value_t = 1024 * 1024 * 1024)]
    pub stream_max_bytes: i64,

    /// PLAID_WEBHOOKS stream: how long webhooks are kept (default 8 days).
    #[arg(long, env = "PENNY_INGRESS_STREAM_MAX_AGE", value_parser = parse_duration)]
    pub stream_max_age: Option<Duration>,

    /// PLAID_WEBHOOKS stream: window in which a repeated Nats-Msg-Id is dropped as a duplicate.
    #[arg(long, env = "PENNY_INGRESS_STREAM_DUPLICATE_WINDOW", default_value = "2m", value_parser = parse_duration)]
    pub stream_duplicate_window: Duration,

    /// PLAID_WEBHOOKS stream: replicas (1 on a single server, 3 in a cluster).
    #[arg(long, env = "PENNY_INGRESS_STREAM_REPLICAS", default_value_t = 1)]
    pub stream_replicas: usize,

    /// Create PLAID_WEBHOOKS with the stream settings above when it is missing (at start, and
    /// if it vanishes); an existing stream is never changed. The local default; in a cluster
    /// the stream owner (`pennyctl streams apply`, the Helm hook) creates it and this is off.
    #[arg(
        long,
        env = "PENNY_INGRESS_CREATE_MISSING_STREAMS",
        default_value_t = true,
        action = clap::ArgAction::Set
    )]
    pub create_missing_streams: bool,
}

impl Default for IngressArgs {
    /// The defaults `--help` shows.
    fn default() -> Self {
        penny_config::defaults()
    }
}

impl Default for Config {
    /// The local defaults (same as running with no flags and no environment).
    fn default() -> Self {
        penny_config::defaults()
    }
}

impl IngressArgs {
    /// The PLAID_WEBHOOKS stream settings.
    pub fn stream_settings(&self) -> StreamSettings {
        StreamSettings {
            max_bytes: self.stream_max_bytes,
            max_age: self.stream_max_age,
            duplicate_window: self.stream_duplicate_window,
            replicas: self.stream_replicas,
            ..StreamSettings::default()
        }
    }

    /// The key-cache settings.
    pub fn key_cache_settings(&self) -> KeyCacheSettings {
        KeyCacheSettings {
            fetch_timeout: self.key_fetch_timeout,
            negative_ttl: self.key_negative_ttl,
            negative_capacity: self.key_negative_capacity,
            flights_per_second: self.key_fetch_rate,
            flight_burst: self.key_fetch_burst,
        }
    }

    /// The webhook server's connection limits.
    pub fn connection_limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            max_connections: self.max_connections,
            header_read_timeout: self.header_read_timeout,
            backlog: self.listen_backlog,
        }
    }

    /// The `iat` freshness rules.
    pub fn freshness(&self) -> FreshnessSettings {
        FreshnessSettings {
            max_age: self.iat_max_age,
            max_future_skew: self.iat_max_skew,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_local_ones_whatever_the_environment() {
        let c = Config::default();
        assert_eq!(c.listen, SocketAddr::from(([0, 0, 0, 0], 8080)));
        assert_eq!(c.ingress.publish_timeout, Duration::from_secs(2));
        assert_eq!(c.ingress.max_in_flight, 1024);
        assert_eq!(c.ingress.max_connections, 1024);
        assert_eq!(c.ingress.header_read_timeout, Duration::from_secs(10));
        assert_eq!(c.ingress.stream_max_bytes, 1024 * 1024 * 1024);
        assert_eq!(c.ingress.shutdown_grace, Duration::from_secs(20));
        assert!(c.ingress.create_missing_streams);
        assert_eq!(c.nats, NatsArgs::default());
    }

    #[test]
    fn parses_durations_and_limits() {
        let c = Config::try_parse_from([
            "penny-ingress",
            "--listen",
            "127.0.0.1:0",
            "--publish-timeout",
            "500ms",
            "--max-in-flight",
            "8",
            "--stream-max-age",
            "1h",
        ])
        .expect("valid flags");
        assert_eq!(c.listen.port(), 0);
        assert_eq!(c.ingress.publish_timeout, Duration::from_millis(500));
        assert_eq!(c.ingress.max_in_flight, 8);
        assert_eq!(
            c.ingress.stream_settings().max_age,
            Some(Duration::from_secs(3600))
        );
    }

    #[test]
    fn help_lists_every_variable() {
        use clap::CommandFactory as _;
        let help = Config::command().render_long_help().to_string();
        for var in [
            "PENNY_INGRESS_LISTEN",
            "PENNY_PLAID_ENVIRONMENT",
            "PENNY_NATS_URL",
            "PENNY_INGRESS_PUBLISH_TIMEOUT",
            "PENNY_INGRESS_MAX_IN_FLIGHT",
            "PENNY_INGRESS_BODY_READ_TIMEOUT",
            "PENNY_INGRESS_VERIFY_THREADS",
            "PENNY_INGRESS_STREAM_DUPLICATE_WINDOW",
            "PENNY_LOG_FORMAT",
        ] {
            assert!(help.contains(var), "{var} missing from --help");
        }
    }
}
