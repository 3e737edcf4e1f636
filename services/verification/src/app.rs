//! [`App`]: builds everything (binds the gRPC port, connects the database and NATS, migrates,
//! ensures streams, consumer and rate-limit bucket) and runs it until cancelled: the gRPC
//! server, the webhook consumer, the outbox relay and the watch feed.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer::PullConsumer};
use penny_bus::{ConsumerSpec, DeadLetters, RetryPolicy, RunOptions, StreamSettings};
use penny_plaid::{PlaidClient, PlaidClientConfig};
use penny_proto::v1::verification_service_server::VerificationServiceServer;
use penny_store::outbox::{OutboxRelay, RelaySettings};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::auth::ApiTokens;
use crate::config::Config;
use crate::consumer::{self, WebhookHandler};
use crate::grpc::VerificationApi;
use crate::limiter::{Limits, RateLimiter};
use crate::store::{self, Secrets};
use crate::verifier::{Verifier, VerifierSettings};
use crate::watch::WatchFeed;

/// The verification service, built and ready to run.
pub struct App {
    config: Config,
    listener: TcpListener,
    grpc_addr: SocketAddr,
    tokens: ApiTokens,
    verifier: Verifier,
    js: jetstream::Context,
    consumer: PullConsumer,
    feed: WatchFeed,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("grpc_addr", &self.grpc_addr)
            .finish_non_exhaustive()
    }
}

/// The retry policy of the webhook consumer.
pub fn retry_policy(config: &Config) -> RetryPolicy {
    RetryPolicy {
        base: config.consumer.retry_base,
        cap: config.consumer.retry_cap,
        max_deliveries: config.consumer.max_deliveries,
    }
}

/// Connects to NATS and makes sure the three streams exist (with `stream_replicas`).
pub async fn connect_nats(config: &Config) -> anyhow::Result<jetstream::Context> {
    let client = penny_bus::connect(&config.nats.nats_url, "penny-verification").await?;
    let js = jetstream::new(client);
    let settings = StreamSettings {
        replicas: usize::from(config.stream_replicas),
        ..StreamSettings::default()
    };
    penny_bus::ensure_plaid_webhooks(&js, &settings).await?;
    penny_bus::ensure_penny_events(&js, &settings).await?;
    penny_bus::ensure_dead_letters(&js, &settings).await?;
    Ok(js)
}

/// Connects to the database and applies migrations.
pub async fn connect_db(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let db = store::connect(config.database_url.expose()).await?;
    store::migrate(&db).await?;
    Ok(db)
}

impl App {
    /// Builds the service: validates secrets configuration, connects and migrates the
    /// database, connects NATS (streams, durable consumer, rate-limit bucket) and binds the gRPC
    /// listener (port 0 allowed; see [`App::grpc_addr`]).
    pub async fn build(config: Config) -> anyhow::Result<App> {
        let keyring = config.keyring()?;
        let tokens = config.tokens()?;
        let db = connect_db(&config).await?;
        let js = connect_nats(&config).await?;

        let policy = retry_policy(&config);
        let mut spec = ConsumerSpec::new(
            config.consumer.consumer_name.clone(),
            consumer::filter_subjects(),
        );
        spec.ack_wait = config.consumer.ack_wait;
        spec.max_deliver = policy.consumer_max_deliver();
        spec.description = Some("penny-verification: AUTH and ITEM webhooks".to_owned());
        let pull = penny_bus::ensure_pull_consumer(&js, penny_bus::PLAID_WEBHOOKS, &spec).await?;

        let limiter = RateLimiter::open(
            &js,
            &config.rate_limits.rate_limit_bucket,
            Limits {
                per_item: config.rate_limits.auth_get_per_item,
                per_client: config.rate_limits.auth_get_per_client,
                window: config.rate_limits.rate_limit_window,
            },
            usize::from(config.stream_replicas),
        )
        .await?;

        let plaid = PlaidClient::new(PlaidClientConfig {
            timeout: config.plaid.plaid_timeout,
            ..PlaidClientConfig::new(
                config.plaid.plaid_base_url.clone(),
                config.plaid.plaid_client_id.clone(),
                config.plaid.plaid_secret.clone(),
            )
        })
        .context("configuring the Plaid client")?;

        let settings = VerifierSettings {
            client_name: config.client_name.clone(),
            webhook_url: config.webhook_url.clone(),
            dedupe_window: config.consumer.dedupe_window,
            crash_at: config.crash_at,
            ..VerifierSettings::default()
        };
        if let Some(point) = config.crash_at {
            tracing::warn!(crash_at = %point, "TEST-ONLY fault injection is enabled");
        }
        let verifier = Verifier::new(
            db,
            plaid,
            Secrets::new(keyring),
            limiter,
            Arc::new(tokio::sync::Notify::new()),
            settings,
        );

        let listener = TcpListener::bind(config.grpc_listen)
            .await
            .with_context(|| format!("binding gRPC on {}", config.grpc_listen))?;
        let grpc_addr = listener.local_addr()?;
        tracing::info!(%grpc_addr, "verification service built");
        Ok(App {
            config,
            listener,
            grpc_addr,
            tokens,
            verifier,
            js,
            consumer: pull,
            feed: WatchFeed::default(),
        })
    }

    /// The bound gRPC address (the real port when configured with port 0).
    pub fn grpc_addr(&self) -> SocketAddr {
        self.grpc_addr
    }

    /// The application core (for tests and operator commands).
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// A webhook handler over this app's core, for tests that call the step directly.
    pub fn webhook_handler(&self) -> WebhookHandler {
        WebhookHandler::new(self.verifier.clone())
    }

    /// Runs the gRPC server, the webhook consumer, the outbox relay and the watch feed until
    /// `shutdown` is cancelled, then drains them within the configured grace period.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let App {
            config,
            listener,
            grpc_addr,
            tokens,
            verifier,
            js,
            consumer,
            feed,
        } = self;
        let mut tasks: JoinSet<anyhow::Result<&'static str>> = JoinSet::new();

        // gRPC: the service, health and reflection.
        let (health, health_service) = tonic_health::server::health_reporter();
        health
            .set_serving::<VerificationServiceServer<VerificationApi>>()
            .await;
        let reflection = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(penny_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()
            .context("building gRPC reflection")?;
        let api = VerificationApi::new(verifier.clone(), feed.clone(), shutdown.clone());
        let grpc_shutdown = shutdown.clone();
        tasks.spawn(async move {
            tonic::transport::Server::builder()
                .add_service(health_service)
                .add_service(reflection)
                .add_service(api.into_service(tokens))
                .serve_with_incoming_shutdown(
                    tonic::transport::server::TcpIncoming::from(listener),
                    grpc_shutdown.cancelled_owned(),
                )
                .await
                .context("gRPC server")?;
            Ok("grpc")
        });
        tracing::info!(%grpc_addr, "gRPC serving");

        // The webhook consumer.
        let handler = Arc::new(WebhookHandler::new(verifier.clone()));
        let options = RunOptions::new(retry_policy(&config), config.consumer.concurrency);
        let dead_letters = DeadLetters::new(js.clone());
        let consumer_shutdown = shutdown.clone();
        tasks.spawn(async move {
            penny_bus::run_consumer_with(
                consumer,
                handler,
                dead_letters,
                options,
                consumer_shutdown,
            )
            .await;
            Ok("consumer")
        });

        // The outbox relay: committed events to PENNY_EVENTS.
        let relay = OutboxRelay::new(verifier.db().clone(), js.clone(), verifier.outbox_notify())
            .with_settings(RelaySettings {
                poll_interval: config.outbox_poll,
                ..RelaySettings::default()
            });
        let relay_shutdown = shutdown.clone();
        tasks.spawn(async move {
            relay.run_until_stopped(relay_shutdown).await;
            Ok("outbox relay")
        });

        // The watch feed.
        let feed_shutdown = shutdown.clone();
        tasks.spawn(async move {
            feed.run(js, penny_bus::PENNY_EVENTS.to_owned(), feed_shutdown)
                .await;
            Ok("watch feed")
        });

        // Run until cancelled (or a task fails), then drain under the grace period.
        let mut result = Ok(());
        tokio::select! {
            () = shutdown.cancelled() => {}
            Some(joined) = tasks.join_next() => {
                result = task_result(joined);
                shutdown.cancel();
            }
        }
        tracing::info!(grace = ?config.shutdown_grace, "shutting down");
        let drain = async {
            while let Some(joined) = tasks.join_next().await {
                if let Err(e) = task_result(joined)
                    && result.is_ok()
                {
                    result = Err(e);
                }
            }
        };
        if tokio::time::timeout(config.shutdown_grace, drain)
            .await
            .is_err()
        {
            tracing::warn!("shutdown grace period over; abandoning in-flight work");
            tasks.abort_all();
        }
        tracing::info!("verification service stopped");
        result
    }
}

fn task_result(
    joined: Result<anyhow::Result<&'static str>, tokio::task::JoinError>,
) -> anyhow::Result<()> {
    match joined {
        Ok(Ok(name)) => {
            tracing::info!(task = name, "task finished");
            Ok(())
        }
        Ok(Err(e)) => {
            tracing::error!(error = %format!("{e:#}"), "task failed");
            Err(e)
        }
        Err(e) => Err(anyhow::Error::new(e).context("task panicked")),
    }
}
