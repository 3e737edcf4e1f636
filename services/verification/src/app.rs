//! [`App`]: the verification service assembled from the shared parts. [`App::build`] connects
//! (database, NATS), binds (gRPC, admin) and wires the core; [`App::run_until_stopped`] runs
//! the service's tasks under one supervisor until the token is cancelled.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream;
use penny_bus::kv::{Limits, RateLimiter};
use penny_bus::topology::ALL_STREAMS;
use penny_bus::{Lane, PENNY_EVENTS, PLAID_WEBHOOKS, Topology};
use penny_plaid::{PlaidClient, PlaidClientConfig};
use penny_runtime::{ApiTokens, GrpcServer, Servers, Supervisor};
use penny_store::Outbox;
use penny_store::outbox::RelaySettings;
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
    servers: Servers,
    db: DatabaseConnection,
    verifier: Verifier,
    outbox: Outbox,
    js: jetstream::Context,
    lanes: Vec<Lane>,
    tokens: ApiTokens,
    metrics: Metrics,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("servers", &self.servers)
            .finish_non_exhaustive()
    }
}

/// Connects to NATS; creates the streams this service needs when they are missing and that is
/// allowed (never changing an existing stream).
pub async fn connect_nats(config: &Config) -> anyhow::Result<jetstream::Context> {
    let (url, create) = (&config.nats.nats_url, config.missing_stream_replicas());
    let create = create.map(Topology::with_replicas);
    penny_bus::connect_jetstream(url, "penny-verification", create.as_ref(), &ALL_STREAMS).await
}

/// Connects to the database and applies migrations.
pub async fn connect_db(config: &Config) -> anyhow::Result<DatabaseConnection> {
    store::DB.open(config.database_url.expose()).await
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
            reconcile: config.reconcile.schedule(),
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
        let topology = config
            .missing_stream_replicas()
            .map(Topology::with_replicas);
        // One sample before anything is served, so `/metrics` never lacks the database gauges
        // (the sampling task refreshes them from then on).
        metrics.sample_db(&db, &outbox).await;
        let readiness = crate::readiness::checks(&js, topology, &db, &lanes);
        let interval = config.readiness_interval;
        let (grpc_addr, admin_addr) = (config.grpc_listen, config.admin_listen);
        let servers = Servers::bind(grpc_addr, admin_addr, readiness, registry, interval).await?;
        tracing::info!(grpc_addr = %servers.grpc_addr(), admin_addr = %servers.admin_addr(), "built");
        Ok(App {
            config,
            servers,
            db,
            verifier,
            outbox,
            js,
            lanes,
            tokens,
            metrics,
        })
    }

    /// The bound gRPC address (the real port when configured with port 0).
    pub fn grpc_addr(&self) -> SocketAddr {
        self.servers.grpc_addr()
    }

    /// The bound admin address (`/healthz`, `/readyz`, `/metrics`).
    pub fn admin_addr(&self) -> SocketAddr {
        self.servers.admin_addr()
    }

    /// The application core (for tests and operator commands).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// A webhook handler over this app's core, for tests that call the step directly.
    pub fn webhook_handler(&self) -> WebhookHandler {
        WebhookHandler::new(self.verifier.clone())
    }

    /// Runs the gRPC API, both webhook consumers, the outbox relay, the watch feed, the
    /// reconciliation sweep, inbox pruning, readiness (with the sampled metrics) and the admin
    /// server until `shutdown` is
    /// cancelled (or one of them fails), then drains them within the grace period.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let App {
            config,
            servers,
            db,
            verifier,
            outbox,
            js,
            lanes,
            tokens,
            metrics,
        } = self;
        let feed = WatchFeed::default();
        let funnel = LinkFunnel::new(db.clone(), metrics.link.clone());
        let api = VerificationApi::new(verifier.clone(), funnel, feed.clone(), shutdown.clone());
        let relay = outbox.relay(js.clone()).with_settings(RelaySettings {
            poll_interval: config.outbox_poll,
            ..RelaySettings::default()
        });
        let (stop, interval) = (shutdown.clone(), config.readiness_interval);

        let mut tasks = Supervisor::new(shutdown.clone(), config.shutdown_grace);
        let api = |grpc: GrpcServer| {
            grpc.add_service(api.into_service(tokens))
                .reflect(penny_proto::FILE_DESCRIPTOR_SET)
        };
        servers.spawn(&mut tasks, api, interval, stop.clone());
        for (task, lane) in LANE_TASKS.into_iter().zip(lanes) {
            let handler = WebhookHandler::new(verifier.clone());
            tasks.spawn(task, lane.run(handler, js.clone(), stop.clone()));
        }
        tasks.spawn("outbox relay", relay.run_until_stopped(stop.clone()));
        tasks.spawn(
            "watch feed",
            feed.run(js, PENNY_EVENTS.to_owned(), stop.clone()),
        );
        if config.reconcile.reconcile_interval.is_zero() {
            tracing::warn!(
                "the reconciliation sweep is off: a lost webhook leaves its account pending"
            );
        } else {
            tasks.spawn(
                "reconciliation sweep",
                crate::reconcile::run(
                    verifier.clone(),
                    config.reconcile.pass(),
                    config.reconcile.reconcile_interval,
                    metrics.clone(),
                    stop.clone(),
                ),
            );
        }
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
        let result = tasks.run().await;
        tracing::info!("verification service stopped");
        result
    }
}
