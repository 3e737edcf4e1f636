//! Building and running the ingress: [`App::build`] connects to NATS, ensures the stream and
//! binds the listener (port 0 allowed; connections capped, see [`ConnectionLimits`](penny_runtime::ConnectionLimits)); [`App::run_until_stopped`] serves until the token is
//! cancelled, then drains in-flight requests (bounded by the shutdown grace) and flushes NATS.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream;
use axum::Router;
use penny_bus::{ConnectSettings, PLAID_WEBHOOKS, Topology, connect_with};
use penny_plaid::{PlaidClient, PlaidClientConfig};
use penny_runtime::{HttpListener, Readiness, Supervisor};
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::log_budget::LogBudget;
use crate::metrics::Metrics;
use crate::publish::Publisher;
use crate::readiness::readiness;
use crate::routes::{self, LoadShedder, Shared};
use crate::verify::{KeyCache, PlaidKeySource, SignatureVerifier};

/// Name the ingress gives its NATS connection.
const NATS_CONNECTION_NAME: &str = "penny-ingress";

/// A built, bound, connected ingress, not yet serving.
#[derive(Debug)]
pub struct App {
    listener: HttpListener,
    local_addr: SocketAddr,
    router: Router,
    client: async_nats::Client,
    metrics: Arc<Metrics>,
    readiness: Arc<Readiness>,
    readiness_interval: Duration,
    shutdown_grace: Duration,
}

impl App {
    /// Connects to NATS (retrying up to the configured deadline), creates the `PLAID_WEBHOOKS`
    /// stream when it is missing and that is allowed (never changing an existing one), builds
    /// the Plaid client and binds `cfg.listen`.
    pub async fn build(cfg: Config) -> anyhow::Result<App> {
        let ingress = &cfg.ingress;
        let metrics = Arc::new(Metrics::new());

        let connect = ConnectSettings {
            initial_deadline: ingress.nats_connect_deadline,
            ..ConnectSettings::new(NATS_CONNECTION_NAME)
        };
        let client = connect_with(&cfg.nats.nats_url, &connect)
            .await
            .context("connecting to NATS")?;
        let js = jetstream::new(client.clone());
        let stream = ingress.stream_settings();
        if ingress.create_missing_streams {
            let topology = Topology {
                plaid_webhooks: stream.clone(),
                ..Topology::default()
            };
            topology
                .create_missing(&js, &[PLAID_WEBHOOKS])
                .await
                .context("creating the PLAID_WEBHOOKS stream")?;
        }

        let plaid = PlaidClient::new(PlaidClientConfig {
            base_url: cfg.plaid.plaid_base_url.clone(),
            client_id: cfg.plaid.plaid_client_id.clone(),
            secret: cfg.plaid.plaid_secret.clone(),
            // One attempt may not eat the whole key-fetch budget, so a quick retry fits.
            timeout: cfg.plaid.plaid_timeout.min(ingress.key_fetch_timeout),
            max_retries: 1,
            ..PlaidClientConfig::default()
        })
        .context("building the Plaid client")?;
        let keys = KeyCache::new(
            Arc::new(PlaidKeySource::new(plaid)),
            ingress.key_cache_settings(),
            Arc::clone(&metrics),
        );
        let readiness = readiness(
            &client,
            &js,
            stream,
            ingress.create_missing_streams,
            Arc::clone(&metrics),
        );
        readiness.refresh(ingress.readiness_interval).await;
        let shared = Arc::new(Shared {
            verifier: SignatureVerifier::new(keys, ingress.freshness(), ingress.verify_threads)
                .context("starting the signature-check threads")?,
            publisher: Publisher::new(js, ingress.publish_timeout),
            metrics: Arc::clone(&metrics),
            readiness: Arc::clone(&readiness),
            environment: cfg.plaid.plaid_environment.clone(),
            max_body_bytes: ingress.max_body_bytes,
            body_read_timeout: ingress.body_read_timeout,
            load_shedder: LoadShedder::new(ingress.max_in_flight),
            rejection_log: LogBudget::default(),
        });
        let router = routes::router(shared);

        let listener =
            HttpListener::bind_with(cfg.listen, "webhook server", ingress.connection_limits())?;
        let local_addr = listener.local_addr();
        tracing::info!(%local_addr, environment = %cfg.plaid.plaid_environment, "penny-ingress ready to serve");
        Ok(App {
            listener,
            local_addr,
            router,
            client,
            metrics,
            readiness,
            readiness_interval: ingress.readiness_interval,
            shutdown_grace: ingress.shutdown_grace,
        })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The app's metrics (the same values `/metrics` shows).
    pub fn metrics(&self) -> Arc<Metrics> {
        Arc::clone(&self.metrics)
    }

    /// Serves until `shutdown` is cancelled; then stops accepting, fails `/readyz`, lets
    /// in-flight requests finish (their publishes included) for up to the shutdown grace,
    /// flushes the NATS connection and returns `Ok`.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let App {
            listener,
            router,
            client,
            readiness,
            readiness_interval,
            shutdown_grace,
            ..
        } = self;
        let mut tasks = Supervisor::new(shutdown.clone(), shutdown_grace);
        tasks.spawn("readiness", {
            let (readiness, shutdown) = (Arc::clone(&readiness), shutdown.clone());
            async move {
                readiness.run(readiness_interval, shutdown).await;
                Ok(())
            }
        });
        tasks.spawn("http", serve(listener, router, readiness, shutdown));
        let result = tasks.run().await;
        if tokio::time::timeout(Duration::from_secs(2), client.flush())
            .await
            .is_err()
        {
            tracing::warn!("flushing the NATS connection timed out");
        }
        tracing::info!("penny-ingress stopped");
        result
    }
}

/// Serves HTTP until `shutdown`, failing `/readyz` from then on while requests in flight finish
/// (the supervisor bounds that by the grace period).
async fn serve(
    listener: HttpListener,
    router: Router,
    readiness: Arc<Readiness>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            shutdown.cancelled().await;
            readiness.start_draining();
            tracing::info!("shutting down: no new connections, draining in-flight requests");
        }
    });
    listener.serve(router, shutdown).await
}
