//! [`App`]: the notifier assembled from the shared parts. [`App::build`] connects (database,
//! NATS), binds (gRPC, admin, public) and wires the core; [`App::run_until_stopped`] runs the
//! service's tasks under one supervisor until the token is cancelled.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream::{self, consumer::PullConsumer};
use lettre::message::Mailbox;
use penny_bus::kv::LeaseBucket;
use penny_bus::{DeadLetters, EVENTS_FILTER, PENNY_EVENTS, RunOptions};
use penny_runtime::{ApiTokens, GrpcServer, HttpListener, Servers, Supervisor};
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

use crate::channels::Transports;
use crate::channels::email::{EmailTransport, SmtpSettings, check_tls};
use crate::channels::push::PushTransport;
use crate::channels::signing::Signer;
use crate::channels::sms::{SmsSettings, SmsTransport};
use crate::clock::{SharedClock, SystemClock};
use crate::config::Config;
use crate::consumer::EventHandler;
use crate::dispatch;
use crate::dispatch::scheduler::{self, SchedulerSettings};
use crate::domain::Channel;
use crate::grpc::NotifierApi;
use crate::metrics::Metrics;
use crate::notifier::{INBOX_CONSUMER, Notifier, NotifierSettings, Parts};
use crate::public::links::Links;
use crate::readiness::{self, STREAMS};
use crate::store::{self, contacts::AddressBook};
use crate::templates::Templates;

/// How often the inbox (the processed-event log) is pruned.
const INBOX_PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// The notifier, built and ready to run.
pub struct App {
    config: Config,
    servers: Servers,
    public: HttpListener,
    db: DatabaseConnection,
    notifier: Notifier,
    js: jetstream::Context,
    consumer: PullConsumer,
    options: RunOptions,
    leases: LeaseBucket,
    tokens: ApiTokens,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("servers", &self.servers)
            .field("public_addr", &self.public.local_addr())
            .finish_non_exhaustive()
    }
}

/// Connects to NATS; creates the streams this service needs when missing and allowed.
pub async fn connect_nats(config: &Config) -> anyhow::Result<jetstream::Context> {
    let (url, create) = (&config.nats.nats_url, config.stream_creation());
    penny_bus::connect_jetstream(url, "penny-notifier", create.as_ref(), &STREAMS).await
}

/// Connects to the database and applies migrations.
pub async fn connect_db(config: &Config) -> anyhow::Result<DatabaseConnection> {
    store::open(config.database_url.expose()).await
}

/// The transports of the channels `config` enables.
pub fn transports(config: &Config) -> anyhow::Result<Transports> {
    let mut transports = Transports::default();
    for channel in &config.channels.0 {
        transports = match channel {
            Channel::Email => {
                let e = &config.email;
                let from: Mailbox = e
                    .email_from
                    .parse()
                    .context("PENNY_NOTIFIER_EMAIL_FROM is not a mailbox")?;
                let settings = SmtpSettings {
                    host: e.smtp_host.clone(),
                    port: e.smtp_port,
                    security: e.smtp_security,
                    credentials: e.smtp_username.clone().zip(e.smtp_password.clone()),
                    hello_name: e.smtp_hello_name.clone(),
                    pool_size: e.smtp_pool_size,
                    timeout: e.smtp_timeout,
                    extra_roots_pem: e
                        .smtp_ca_file
                        .as_ref()
                        .map(std::fs::read)
                        .transpose()
                        .context("reading PENNY_NOTIFIER_SMTP_CA_FILE")?,
                };
                check_tls(&settings).map_err(anyhow::Error::msg)?;
                transports.with(Arc::new(EmailTransport::new(settings, from)))
            }
            Channel::Sms => {
                let s = &config.sms;
                let settings = SmsSettings {
                    base_url: s.sms_base_url.clone(),
                    account_sid: s.sms_account_sid.clone(),
                    auth_token: config.sms_token()?,
                    from: s.sms_from.clone(),
                    timeout: s.sms_timeout,
                };
                transports.with(Arc::new(SmsTransport::new(settings)?))
            }
            Channel::Push => {
                let signer = Signer::from_secret(&config.push_secret()?)
                    .context("PENNY_NOTIFIER_PUSH_SIGNING_SECRET")?;
                transports.with(Arc::new(PushTransport::new(
                    signer,
                    config.push.push_timeout,
                )?))
            }
        };
    }
    Ok(transports)
}

/// The application core over `db`, with no listener and no NATS: the service's, and alone
/// the operator commands' (`alerts`), which must not take the ports of a notifier running
/// beside them.
pub fn core(
    config: &Config,
    db: DatabaseConnection,
    clock: SharedClock,
    transports: Transports,
    metrics: Metrics,
) -> anyhow::Result<Notifier> {
    Ok(Notifier::new(Parts {
        db,
        book: AddressBook::new(config.keyring()?),
        clock,
        templates: Templates::load()?,
        transports,
        links: Links::new(&config.link_key()?, &config.public_url),
        metrics,
        settings: NotifierSettings {
            policy: config.sending.policy(),
            claim_ttl: config.sending.claim_ttl,
            product: config.product_name.clone(),
            production: config.is_production(),
            inbox_window: config.inbox_retention,
            crash_at: config.crash_at,
        },
    }))
}

impl App {
    /// Builds the service on the real clock.
    pub async fn build(config: Config) -> anyhow::Result<App> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Builds the service with `clock` as business time (tests move it): checks the
    /// configuration (production refuses development settings), connects and migrates the
    /// database, connects NATS (streams when missing, the durable consumer, the lease bucket),
    /// and binds the gRPC, admin and public listeners (port 0 allowed).
    pub async fn build_with_clock(config: Config, clock: SharedClock) -> anyhow::Result<App> {
        config.check_production()?;
        let tokens = config.tokens()?;
        let transports = transports(&config)?;
        let db = connect_db(&config).await?;
        let js = connect_nats(&config).await?;
        let (registry, metrics) = Metrics::new();
        let settings = config.consumer.settings();
        let spec = settings.spec(
            vec![EVENTS_FILTER.to_owned()],
            "penny-notifier: domain events to alerts",
        );
        let consumer = penny_bus::ensure_pull_consumer(&js, PENNY_EVENTS, &spec).await?;
        let mut options = settings.run_options();
        options.metrics = Some(metrics.consumer.clone());
        let replicas = usize::from(config.stream_replicas);
        let leases = LeaseBucket::open(
            &js,
            &config.scheduler.lease_bucket,
            config.scheduler.scheduler_lease_ttl,
            replicas,
        )
        .await?;
        if let Some(point) = config.crash_at {
            tracing::warn!(crash_at = %point, "TEST-ONLY fault injection is enabled");
        }
        let notifier = core(&config, db.clone(), clock, transports, metrics)?;
        let readiness = readiness::checks(
            &js,
            config.stream_creation(),
            spec.durable_name.clone(),
            options.health.clone(),
            &notifier,
        );
        let (grpc_listen, admin_listen) = (config.grpc_listen, config.admin_listen);
        let interval = config.readiness_interval;
        let servers = Servers::bind(grpc_listen, admin_listen, readiness, registry, interval);
        let servers = servers.await?;
        let public = HttpListener::bind(config.public_listen, "public server").await?;
        tracing::info!(
            grpc_addr = %servers.grpc_addr(),
            admin_addr = %servers.admin_addr(),
            public_addr = %public.local_addr(),
            "built"
        );
        Ok(App {
            config,
            servers,
            public,
            db,
            notifier,
            js,
            consumer,
            options,
            leases,
            tokens,
        })
    }

    /// The bound gRPC address.
    pub fn grpc_addr(&self) -> SocketAddr {
        self.servers.grpc_addr()
    }

    /// The bound admin address (`/healthz`, `/readyz`, `/metrics`).
    pub fn admin_addr(&self) -> SocketAddr {
        self.servers.admin_addr()
    }

    /// The bound public address (`/unsubscribe/<token>`).
    pub fn public_addr(&self) -> SocketAddr {
        self.public.local_addr()
    }

    /// The application core (for tests and operator commands).
    pub fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    /// Runs the gRPC API, the event consumer, the dispatcher, the scheduler (under its lease),
    /// the public server, inbox pruning, readiness and the admin server until `shutdown` is
    /// cancelled (or one of them fails), then drains them within the grace period.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let (handle, dispatcher) = dispatch::dispatcher(
            self.config.sending.send_queue,
            self.config.sending.send_concurrency,
            self.config.sending.send_backlog,
        );
        let handler = EventHandler::new(
            self.notifier.clone(),
            handle.clone(),
            self.config.consumer.max_deliveries,
        );
        let api = NotifierApi::new(self.notifier.clone()).into_service(self.tokens);
        let scheduling = SchedulerSettings {
            poll: self.config.scheduler.scheduler_poll,
            batch: self.config.scheduler.scheduler_batch,
            holder: format!("penny-notifier-{}", uuid::Uuid::new_v4()),
        };
        let stop = shutdown.clone();
        let mut tasks = Supervisor::new(shutdown.clone(), self.config.shutdown_grace);
        let api = |grpc: GrpcServer| {
            grpc.add_service(api)
                .reflect(penny_proto::FILE_DESCRIPTOR_SET)
        };
        let interval = self.config.readiness_interval;
        self.servers.spawn(&mut tasks, api, interval, stop.clone());
        tasks.spawn(
            "consumer",
            penny_bus::run_consumer(
                self.consumer,
                handler,
                DeadLetters::new(self.js),
                self.options,
                stop.clone(),
            ),
        );
        tasks.spawn(
            "dispatcher",
            dispatcher.run(self.notifier.clone(), stop.clone()),
        );
        tasks.spawn(
            "scheduler",
            scheduler::run(
                self.notifier.clone(),
                handle,
                self.leases,
                scheduling,
                stop.clone(),
            ),
        );
        tasks.spawn(
            "public",
            self.public
                .serve(crate::public::router(self.notifier), stop.clone()),
        );
        tasks.spawn(
            "inbox pruning",
            penny_store::inbox::prune_periodically(
                self.db,
                INBOX_CONSUMER.to_owned(),
                self.config.inbox_retention,
                INBOX_PRUNE_EVERY,
                stop.clone(),
            ),
        );
        let result = tasks.run().await;
        tracing::info!("notifier stopped");
        result
    }
}
