//! [`App`]: the verification service assembled from the shared parts. [`App::build`] connects
//! (database, NATS), binds (gRPC, admin) and wires the core; [`App::run_until_stopped`] runs
//! the service's tasks under one supervisor until the token is cancelled.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream;
use penny_bus::kv::{Limits, RateLimiter};
use penny_bus::topology::ALL_STREAMS;
use penny_bus::{Lane, PENNY_EVENTS, PLAID_WEBHOOKS, Topology};
use penny_plaid::{PlaidClient, PlaidClientConfig};
use penny_runtime::{AdminServer, ApiTokens, GrpcServer, Readiness, Supervisor};
use penny_store::Outbox;
use penny_store::outbox::RelaySettings;
use prometheus_client::registry::Registry;
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::consumer::{self, WebhookHandler};
use crate::funnel::LinkFunnel;
use crate::grpc::VerificationApi;
use crate::metrics::Metrics;
use crate::store::{self, Secrets};
use crate::verifier::{INBOX_CONSUMER, Verifier, VerifierSettings};
use crate::watch::WatchFeed;

/// The supervisor's names for the two webhook lanes, in the order they are opened: the one whose
/// webhooks call `/auth/get` under the budget, and the one for everything else.
const LANE_TASKS: [&str; 2] = ["numbers consumer", "prompt consumer"];

/// How often the inbox (the processed-webhook log) is pruned.
const INBOX_PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// How often the database gauges (outbox backlog, accounts by status) are sampled.
const DB_GAUGES_EVERY: Duration = Duration::from_secs(15);

/// The verification service, built and ready to run.
pub struct App {
    config: Config,
    grpc: GrpcServer,
    admin: AdminServer,
    db: DatabaseConnection,
    verifier: Verifier,
    outbox: Outbox,
    js: jetstream::Context,
    lanes: Vec<Lane>,
    tokens: ApiTokens,
    readiness: Arc<Readiness>,
    registry: Registry,
    metrics: Metrics,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("grpc_addr", &self.grpc.local_addr())
            .field("admin_addr", &self.admin.local_addr())
            .finish_non_exhaustive()
    }
}

/// Connects to NATS; creates the streams this service needs when they are missing and that is
/// allowed (never changing an existing stream).
pub async fn connect_nats(config: &Config) -> anyhow::Result<jetstream::Context> {
    let client = penny_bus::connect(&config.nats.nats_url, "penny-verification").await?;
    let js = jetstream::new(client);
    if let Some(topology) = missing_streams(config) {
        topology
            .create_missing(&js, &ALL_STREAMS)
            .await
            .context("creating missing streams")?;
    }
    Ok(js)
}

/// The settings this service creates missing streams with, when it may.
fn missing_streams(config: &Config) -> Option<Topology> {
    config
        .create_missing_streams
        .then(|| Topology::with_replicas(usize::from(config.stream_replicas)))
}

/// Connects to the database and applies migrations.
pub async fn connect_db(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let db = store::connect(config.database_url.expose()).await?;
    store::migrate(&db).await?;
    Ok(db)
}

impl App {
    /// Builds the service: validates the secrets configuration, connects and migrates the
    /// database, connects NATS (streams when missing, the two durable consumers, the rate-limit
    /// bucket), and binds the gRPC and admin listeners (port 0 allowed; see
    /// [`App::grpc_addr`] and [`App::admin_addr`]).
    pub async fn build(config: Config) -> anyhow::Result<App> {
        let keyring = config.keyring()?;
        let tokens = config.tokens()?;
        let db = connect_db(&config).await?;
        let js = connect_nats(&config).await?;
        let (registry, metrics) = Metrics::new();
        let lanes = vec![
            Lane::open(
                &js,
                PLAID_WEBHOOKS,
                &config.consumer.settings(),
                consumer::numbers_subjects(),
                "penny-verification: AUTH webhooks that call /auth/get",
                metrics.numbers.clone(),
            )
            .await?,
            Lane::open(
                &js,
                PLAID_WEBHOOKS,
                &config.prompt_consumer.settings(),
                consumer::filter_subjects(),
                "penny-verification: AUTH and ITEM webhooks that need no Plaid call",
                metrics.prompt.clone(),
            )
            .await?,
        ];
        let limits = Limits {
            per_item: config.rate_limits.auth_get_per_item,
            per_client: config.rate_limits.auth_get_per_client,
            window: config.rate_limits.rate_limit_window,
        };
        let replicas = usize::from(config.stream_replicas);
        let limiter =
            RateLimiter::open(&js, &config.rate_limits.rate_limit_bucket, limits, replicas)
                .await?
                .with_metrics(metrics.limiter.clone());
        let plaid = PlaidClient::new(
            PlaidClientConfig::from_args(&config.plaid).with_metrics(metrics.plaid.clone()),
        )
        .context("configuring the Plaid client")?;
        if let Some(point) = config.crash_at {
            tracing::warn!(crash_at = %point, "TEST-ONLY fault injection is enabled");
        }
        let outbox = Outbox::new(db.clone());
        let settings = VerifierSettings {
            client_name: config.client_name.clone(),
            webhook_url: config.webhook_url.clone(),
            link_flow: config.link_flow,
            dedupe_window: config.dedupe_window,
            crash_at: config.crash_at,
            ..VerifierSettings::default()
        };
        let secrets = Secrets::new(keyring);
        let verifier = Verifier::new(
            db.clone(),
            plaid,
            secrets,
            limiter,
            outbox.clone(),
            settings,
        );
        let topology = missing_streams(&config);
        let readiness = crate::readiness::checks(&js, topology, &db, &lanes);
        readiness.refresh(config.readiness_interval).await;
        let grpc = GrpcServer::bind(config.grpc_listen).await?;
        let admin = AdminServer::bind(config.admin_listen).await?;
        tracing::info!(grpc_addr = %grpc.local_addr(), admin_addr = %admin.local_addr(), "built");
        Ok(App {
            config,
            grpc,
            admin,
            db,
            verifier,
            outbox,
            js,
            lanes,
            tokens,
            readiness,
            registry,
            metrics,
        })
    }

    /// The bound gRPC address (the real port when configured with port 0).
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc.local_addr()
    }

    /// The bound admin address (`/healthz`, `/readyz`, `/metrics`).
    pub fn admin_addr(&self) -> SocketAddr {
        self.admin.local_addr()
    }

    /// The application core (for tests and operator commands).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// A webhook handler over this app's core, for tests that call the step directly.
    pub fn webhook_handler(&self) -> WebhookHandler {
        WebhookHandler::new(self.verifier.clone())
    }

    /// Runs the gRPC API, both webhook consumers, the outbox relay, the watch feed, inbox
    /// pruning, readiness (with the sampled metrics) and the admin server until `shutdown` is
    /// cancelled (or one of them fails), then drains them within the grace period.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let App {
            config,
            grpc,
            admin,
            db,
            verifier,
            outbox,
            js,
            lanes,
            tokens,
            readiness,
            registry,
            metrics,
        } = self;
        let feed = WatchFeed::default();
        let funnel = LinkFunnel::new(db.clone(), metrics.link.clone());
        let api = VerificationApi::new(verifier.clone(), funnel, feed.clone(), shutdown.clone());
        let grpc = grpc
            .add_service(api.into_service(tokens))
            .reflect(penny_proto::FILE_DESCRIPTOR_SET);
        let relay = outbox.relay(js.clone()).with_settings(RelaySettings {
            poll_interval: config.outbox_poll,
            ..RelaySettings::default()
        });
        let (stop, interval) = (shutdown.clone(), config.readiness_interval);

        let mut tasks = Supervisor::new(shutdown.clone(), config.shutdown_grace);
        tasks.spawn("grpc", grpc.serve(Arc::clone(&readiness), stop.clone()));
        for (task, lane) in LANE_TASKS.into_iter().zip(lanes) {
            let handler = WebhookHandler::new(verifier.clone());
            tasks.spawn(task, lane.run(handler, js.clone(), stop.clone()));
        }
        tasks.spawn("outbox relay", relay.run_until_stopped(stop.clone()));
        tasks.spawn(
            "watch feed",
            feed.run(js, PENNY_EVENTS.to_owned(), stop.clone()),
        );
        tasks.spawn(
            "database gauges",
            metrics.sample_db_every(db.clone(), outbox.clone(), DB_GAUGES_EVERY, stop.clone()),
        );
        tasks.spawn(
            "inbox pruning",
            penny_store::inbox::prune_periodically(
                db,
                INBOX_CONSUMER.to_owned(),
                config.inbox_retention,
                INBOX_PRUNE_EVERY,
                stop.clone(),
            ),
        );
        let registry = Arc::new(registry);
        tasks.spawn(
            "admin",
            admin.serve(Arc::clone(&readiness), registry, stop.clone()),
        );
        tasks.spawn("readiness", readiness.run(interval, stop));
        let result = tasks.run().await;
        tracing::info!("verification service stopped");
        result
    }
}
