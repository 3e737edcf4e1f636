//! [`App`]: the verification service assembled from the shared parts. [`App::build`] connects
//! (database, NATS), binds (gRPC, admin) and wires the core; [`App::run_until_stopped`] runs
//! the service's tasks under one supervisor until the token is cancelled.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer::PullConsumer};
use futures::future::BoxFuture;
use penny_bus::kv::{Limits, RateLimiter};
use penny_bus::topology::ALL_STREAMS;
use penny_bus::{
    ConsumerMetrics, ConsumerSettings, DeadLetters, PLAID_WEBHOOKS, RunOptions, Topology,
};
use penny_plaid::{PlaidClient, PlaidClientConfig};
use penny_runtime::{AdminServer, ApiTokens, GrpcServer, Readiness, Supervisor};
use penny_store::Outbox;
use penny_store::outbox::RelaySettings;
use prometheus_client::registry::Registry;
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::consumer::{self, WebhookHandler};
use crate::grpc::VerificationApi;
use crate::metrics::Metrics;
use crate::store::{self, Secrets};
use crate::verifier::{INBOX_CONSUMER, Verifier, VerifierSettings};
use crate::watch::WatchFeed;

/// How often the inbox (the processed-webhook log) is pruned.
const INBOX_PRUNE_EVERY: Duration = Duration::from_secs(3600);

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
    if config.create_missing_streams {
        topology(config)
            .create_missing(&js, &ALL_STREAMS)
            .await
            .context("creating missing streams")?;
    }
    Ok(js)
}

/// The streams' settings this service creates missing streams with.
fn topology(config: &Config) -> Topology {
    Topology::with_replicas(usize::from(config.stream_replicas))
}

/// Connects to the database and applies migrations.
pub async fn connect_db(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let db = store::connect(config.database_url.expose()).await?;
    store::migrate(&db).await?;
    Ok(db)
}

impl App {
    /// Builds the service: validates the secrets configuration, connects and migrates the
    /// database, connects NATS (streams when missing, the durable consumer, the rate-limit
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
                config.prompt_consumer.settings(),
                consumer::filter_subjects(),
                "penny-verification: AUTH and ITEM webhooks that need no Plaid call",
                "prompt consumer",
                metrics.prompt.clone(),
            )
            .await?,
            Lane::open(
                &js,
                config.consumer.settings(),
                consumer::numbers_subjects(),
                "penny-verification: AUTH webhooks that call /auth/get",
                "numbers consumer",
                metrics.numbers.clone(),
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
            RateLimiter::open(&js, &config.rate_limits.rate_limit_bucket, limits, replicas).await?;
        let plaid = PlaidClient::new(
            PlaidClientConfig::from_args(&config.plaid).with_metrics(metrics.plaid.clone()),
        )
        .context("configuring the Plaid client")?;

        if let Some(point) = config.crash_at {
            tracing::warn!(crash_at = %point, "TEST-ONLY fault injection is enabled");
        }
        let outbox = Outbox::new(db.clone());
        let verifier = Verifier::new(
            db.clone(),
            plaid,
            Secrets::new(keyring),
            limiter,
            outbox.clone(),
            VerifierSettings {
                client_name: config.client_name.clone(),
                webhook_url: config.webhook_url.clone(),
                dedupe_window: config.dedupe_window,
                crash_at: config.crash_at,
                ..VerifierSettings::default()
            },
        );
        let readiness = readiness(&config, &js, &db, &outbox, &lanes, metrics);
        readiness.refresh(config.readiness_interval).await;

        let grpc = GrpcServer::bind(config.grpc_listen).await?;
        let admin = AdminServer::bind(config.admin_listen).await?;
        tracing::info!(
            grpc_addr = %grpc.local_addr(),
            admin_addr = %admin.local_addr(),
            "verification service built"
        );
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

    /// Runs the gRPC API, the webhook consumer, the outbox relay, the watch feed, readiness
    /// with the sampled metrics, inbox pruning and the admin server until `shutdown` is
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
        } = self;
        let mut tasks = Supervisor::new(shutdown.clone(), config.shutdown_grace);
        let feed = WatchFeed::default();
        let api = VerificationApi::new(verifier.clone(), feed.clone(), shutdown.clone());
        let grpc = grpc
            .add_service(api.into_service(tokens))
            .reflect(penny_proto::FILE_DESCRIPTOR_SET);
        tasks.spawn("grpc", grpc.serve(Arc::clone(&readiness), shutdown.clone()));
        for lane in lanes {
            let handler = Arc::new(WebhookHandler::new(verifier.clone()));
            let dead_letters = DeadLetters::new(js.clone());
            let shutdown = shutdown.clone();
            tasks.spawn(lane.task, async move {
                penny_bus::run_consumer(
                    lane.consumer,
                    handler,
                    dead_letters,
                    lane.options,
                    shutdown,
                )
                .await;
                Ok(())
            });
        }
        let relay = outbox.relay(js.clone()).with_settings(RelaySettings {
            poll_interval: config.outbox_poll,
            ..RelaySettings::default()
        });
        tasks.spawn("outbox relay", {
            let shutdown = shutdown.clone();
            async move {
                relay.run_until_stopped(shutdown).await;
                Ok(())
            }
        });
        tasks.spawn("watch feed", {
            let (js, shutdown) = (js.clone(), shutdown.clone());
            async move {
                feed.run(js, penny_bus::PENNY_EVENTS.to_owned(), shutdown)
                    .await;
                Ok(())
            }
        });
        tasks.spawn("inbox pruning", {
            let (db, shutdown) = (db.clone(), shutdown.clone());
            let keep = config.inbox_retention;
            async move {
                penny_store::inbox::prune_periodically(
                    db,
                    INBOX_CONSUMER.to_owned(),
                    keep,
                    INBOX_PRUNE_EVERY,
                    shutdown,
                )
                .await;
                Ok(())
            }
        });
        tasks.spawn(
            "admin",
            admin.serve(Arc::clone(&readiness), Arc::new(registry), shutdown.clone()),
        );
        tasks.spawn("readiness", {
            let shutdown = shutdown.clone();
            let interval = config.readiness_interval;
            async move {
                readiness.run(interval, shutdown).await;
                Ok(())
            }
        });
        let result = tasks.run().await;
        tracing::info!("verification service stopped");
        result
    }
}

/// What the service must reach to do its work, checked for `/readyz` and gRPC health: NATS
/// (live), the streams (created when missing, if allowed), the durable consumer (its pulls
/// work, and the server knows it; sampling its lag on the way) and the database (sampling the
/// outbox backlog and accounts by status on the way).
fn readiness(
    config: &Config,
    js: &jetstream::Context,
    db: &DatabaseConnection,
    outbox: &Outbox,
    lanes: &[Lane],
    metrics: Metrics,
) -> Arc<Readiness> {
    let client = js.client();
    let streams = {
        let (js, topology, create) = (js.clone(), topology(config), config.create_missing_streams);
        move || {
            let (js, topology) = (js.clone(), topology.clone());
            Box::pin(async move {
                if create {
                    topology
                        .create_missing(&js, &ALL_STREAMS)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Topology::check(&js, &ALL_STREAMS).await
            }) as BoxFuture<'static, Result<(), String>>
        }
    };
    let durables = {
        let js = js.clone();
        let consumers: Vec<(String, ConsumerMetrics)> = lanes
            .iter()
            .map(|l| (l.name.clone(), l.metrics.clone()))
            .collect();
        move || {
            let (js, consumers) = (js.clone(), consumers.clone());
            Box::pin(async move {
                for (name, sampler) in &consumers {
                    sampler.sample(&js, PLAID_WEBHOOKS, name).await?;
                }
                Ok(())
            }) as BoxFuture<'static, Result<(), String>>
        }
    };
    let pulls: Vec<_> = lanes.iter().map(|l| l.options.health.check()).collect();
    let database = {
        let (db, outbox) = (db.clone(), outbox.clone());
        move || {
            let (db, outbox, metrics) = (db.clone(), outbox.clone(), metrics.clone());
            Box::pin(async move {
                penny_store::readiness::ping(&db).await?;
                metrics.sample_db(&db, &outbox).await;
                Ok(())
            }) as BoxFuture<'static, Result<(), String>>
        }
    };
    Readiness::builder()
        .live(
            "nats",
            Arc::new(penny_bus::connect::connected_check(client)),
        )
        .live(
            "consumer pulls",
            Arc::new(move || pulls.iter().try_for_each(|check| check())),
        )
        .probe("streams", Arc::new(streams))
        .probe("consumers", Arc::new(durables))
        .probe("database", Arc::new(database))
        .build()
}

/// One of the service's durable webhook consumers, ensured and ready to run.
struct Lane {
    name: String,
    task: &'static str,
    consumer: PullConsumer,
    options: RunOptions,
    metrics: ConsumerMetrics,
}

impl Lane {
    async fn open(
        js: &jetstream::Context,
        settings: ConsumerSettings,
        subjects: Vec<String>,
        description: &str,
        task: &'static str,
        metrics: ConsumerMetrics,
    ) -> anyhow::Result<Self> {
        let spec = settings.spec(subjects, description);
        let consumer = penny_bus::ensure_pull_consumer(js, PLAID_WEBHOOKS, &spec).await?;
        let mut options = settings.run_options();
        options.metrics = Some(metrics.clone());
        Ok(Self {
            name: spec.durable_name,
            task,
            consumer,
            options,
            metrics,
        })
    }
}
