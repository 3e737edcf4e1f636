//! [`App`]: the transfer-events service assembled from the shared parts. [`App::build`]
//! connects (database, NATS), binds (gRPC, admin) and wires the sync; [`App::run_until_stopped`]
//! runs the service's tasks under one supervisor until the token is cancelled.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream;
use penny_bus::kv::LeaseBucket;
use penny_bus::topology::ALL_STREAMS;
use penny_bus::{Lane, PENNY_EVENTS, PLAID_WEBHOOKS, Topology};
use penny_plaid::{PlaidClient, PlaidClientConfig};
use penny_runtime::{ApiTokens, GrpcServer, Servers, Supervisor};
use penny_store::Outbox;
use penny_store::outbox::RelaySettings;
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::consumer::accounts::{self, AccountHandler};
use crate::consumer::{PokeHandler, poke_subjects};
use crate::grpc::TransferEventsApi;
use crate::metrics::Metrics;
use crate::store;
use crate::sync::{SyncSettings, Syncer, sweep};

/// How often the inbox (processed account events) is pruned.
const INBOX_PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// The transfer-events service, built and ready to run.
pub struct App {
    config: Config,
    servers: Servers,
    db: DatabaseConnection,
    outbox: Outbox,
    js: jetstream::Context,
    syncer: Syncer,
    pokes: Lane,
    accounts: Lane,
    tokens: ApiTokens,
    metrics: Metrics,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("servers", &self.servers)
            .field("feed", &self.syncer.feed())
            .finish_non_exhaustive()
    }
}

/// Connects to NATS; creates the streams this service needs when they are missing and that is
/// allowed (never changing an existing stream).
pub async fn connect_nats(config: &Config) -> anyhow::Result<jetstream::Context> {
    let (url, create) = (&config.nats.nats_url, config.missing_stream_replicas());
    let create = create.map(Topology::with_replicas);
    penny_bus::connect_jetstream(url, "penny-transfer-events", create.as_ref(), &ALL_STREAMS).await
}

/// Connects to the database, applies migrations and creates the feed's row.
pub async fn connect_db(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let db = store::DB.open(config.database_url.expose()).await?;
    store::feed::ensure(&db, config.mode).await?;
    Ok(db)
}

impl App {
    /// Builds the service: validates the configuration, connects and migrates the database,
    /// connects NATS (streams when missing, both durable consumers, the lease bucket), and binds
    /// the gRPC and admin listeners (port 0 allowed).
    pub async fn build(config: Config) -> anyhow::Result<App> {
        let tokens = config.tokens()?;
        let page_size = config.page_size()?;
        let db = connect_db(&config).await?;
        let js = connect_nats(&config).await?;
        let (registry, metrics) = Metrics::new();
        let pokes = Lane::open(
            &js,
            PLAID_WEBHOOKS,
            &config.consumer.settings(),
            poke_subjects(),
            "penny-transfer-events: BANK_TRANSFERS and TRANSFER event pokes",
            metrics.pokes.clone(),
        )
        .await?;
        let accounts = Lane::open(
            &js,
            PENNY_EVENTS,
            &config.accounts_consumer.settings(),
            accounts::subjects(),
            "penny-transfer-events: penny.event.account.linked",
            metrics.accounts.clone(),
        )
        .await?;
        let replicas = usize::from(config.stream_replicas);
        let leases = LeaseBucket::open(
            &js,
            &config.sync.lease_bucket,
            config.sync.lease_ttl,
            replicas,
        )
        .await
        .context("opening the lease bucket")?;
        let plaid = PlaidClient::new(
            PlaidClientConfig::from_args(&config.plaid).with_metrics(metrics.plaid.clone()),
        )
        .context("configuring the Plaid client")?;
        if let Some(point) = config.crash_at {
            tracing::warn!(crash_at = %point, "TEST-ONLY fault injection is enabled");
        }
        let outbox = Outbox::new(db.clone());
        let settings = SyncSettings {
            page_size,
            check_every: config.sync.check_interval,
            retry_base: config.sync.retry_base,
            retry_cap: config.sync.retry_cap,
            holder: config.holder_id(),
            crash_at: config.crash_at,
        };
        let syncer = Syncer::new(
            config.mode,
            db.clone(),
            outbox.clone(),
            plaid,
            leases,
            settings,
            metrics.sync.clone(),
        );
        let topology = config
            .missing_stream_replicas()
            .map(Topology::with_replicas);
        let readiness = crate::readiness::checks(
            &js,
            topology,
            &db,
            &outbox,
            config.mode,
            &[&pokes, &accounts],
            metrics.clone(),
        );
        let (grpc_listen, admin_listen) = (config.grpc_listen, config.admin_listen);
        let servers = Servers::bind(
            grpc_listen,
            admin_listen,
            readiness,
            registry,
            config.readiness_interval,
        )
        .await?;
        tracing::info!(
            grpc_addr = %servers.grpc_addr(),
            admin_addr = %servers.admin_addr(),
            mode = %config.mode,
            "built"
        );
        Ok(App {
            config,
            servers,
            db,
            outbox,
            js,
            syncer,
            pokes,
            accounts,
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

    /// The sync of this replica (for tests that request syncs directly).
    pub fn syncer(&self) -> &Syncer {
        &self.syncer
    }

    /// Runs the gRPC API, both consumers, the sync driver, the sweep, the outbox relay, inbox
    /// pruning, readiness and the admin server until `shutdown` is cancelled (or one of them
    /// fails), then drains them within the grace period.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let App {
            config,
            servers,
            db,
            outbox,
            js,
            syncer,
            pokes,
            accounts,
            tokens,
            metrics,
        } = self;
        let api = TransferEventsApi::new(db.clone(), syncer.clone());
        let relay = outbox.relay(js.clone()).with_settings(RelaySettings {
            poll_interval: config.outbox_poll,
            ..RelaySettings::default()
        });
        let poke_handler = PokeHandler::new(syncer.clone(), metrics.sync.clone(), config.crash_at);
        let stop = shutdown.clone();

        let mut tasks = Supervisor::new(shutdown.clone(), config.shutdown_grace);
        let interval = config.readiness_interval;
        let api = |grpc: GrpcServer| {
            grpc.add_service(api.into_service(tokens))
                .reflect(penny_proto::FILE_DESCRIPTOR_SET)
        };
        servers.spawn(&mut tasks, api, interval, stop.clone());
        tasks.spawn(
            "poke consumer",
            pokes.run(poke_handler, js.clone(), stop.clone()),
        );
        tasks.spawn(
            "accounts consumer",
            accounts.run(AccountHandler::new(db.clone()), js, stop.clone()),
        );
        tasks.spawn("sync driver", syncer.clone().run(stop.clone()));
        if config.sync.sweep_interval.is_zero() {
            tracing::warn!("the sweep is off: only pokes trigger syncs");
        } else {
            tasks.spawn(
                "sweep",
                sweep::run(syncer, config.sync.sweep_interval, stop.clone()),
            );
        }
        tasks.spawn("outbox relay", relay.run_until_stopped(stop.clone()));
        tasks.spawn(
            "inbox pruning",
            penny_store::inbox::prune_periodically(
                db,
                accounts::INBOX_CONSUMER.to_owned(),
                config.inbox_retention,
                INBOX_PRUNE_EVERY,
                stop.clone(),
            ),
        );
        let result = tasks.run().await;
        tracing::info!("transfer-events service stopped");
        result
    }
}
