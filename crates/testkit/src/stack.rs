//! [`Stack`]: what every penny service runs on, in-process on free ports (feature `stack`).

use std::net::SocketAddr;

use anyhow::Context as _;
use async_nats::jetstream;
use penny_plaid::{PlaidClient, PlaidClientConfig};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::{DbKind, NatsServer, SandboxControl, SandboxServer, TestDb};

/// A `nats-server` with JetStream, the Plaid sandbox, ingress (so the sandbox's signed webhooks
/// travel the production path into `PLAID_WEBHOOKS`) and an empty database. Each suite starts
/// its services on it: several replicas of one service may share a stack, and two stacks
/// share nothing. Dropping it stops ingress and the sandbox and removes NATS and the database.
///
/// It installs the crypto provider but no tracing subscriber: tests call [`crate::init`]
/// first, binaries (`penny-demo`) install their own.
pub struct Stack {
    /// The JetStream server.
    pub nats: NatsServer,
    /// The Plaid simulator.
    pub sandbox: SandboxServer,
    /// The database the services on this stack share (empty: services migrate it).
    pub db: TestDb,
    /// A Plaid client of the sandbox, to play Plaid's and the user's side
    /// (`sandbox_item_set_verification_status`, `sandbox_item_fire_webhook`, …).
    pub plaid: PlaidClient,
    /// The sandbox's control API.
    pub control: SandboxControl,
    ingress_addr: SocketAddr,
    shutdown: CancellationToken,
    ingress: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Stack {
    /// Starts NATS, the sandbox (default settings), ingress and a database of `kind`.
    pub async fn start(kind: DbKind) -> anyhow::Result<Stack> {
        Self::start_with(kind, penny_sandbox::Config::default()).await
    }

    /// The same with sandbox settings of the test's choosing (its listen address is replaced
    /// by a free port).
    pub async fn start_with(kind: DbKind, sandbox: penny_sandbox::Config) -> anyhow::Result<Stack> {
        penny_runtime::install_crypto_provider();
        let (nats, db) = tokio::try_join!(
            async { NatsServer::start().await.context("starting nats-server") },
            async { TestDb::new(kind).await.context("creating the database") },
        )?;
        let sandbox = SandboxServer::start_with(penny_sandbox::Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..sandbox
        })
        .await
        .context("starting the sandbox")?;
        let ingress = penny_ingress::App::build(penny_ingress::Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            nats: penny_config::NatsArgs {
                nats_url: nats.url().to_owned(),
            },
            plaid: sandbox.plaid_args(),
            ..penny_ingress::Config::default()
        })
        .await
        .context("starting ingress")?;
        let ingress_addr = ingress.local_addr();
        let shutdown = CancellationToken::new();
        let ingress = tokio::spawn(ingress.run_until_stopped(shutdown.clone()));
        let plaid = PlaidClient::new(PlaidClientConfig::from_args(&sandbox.plaid_args()))
            .context("building the Plaid client")?;
        let control = sandbox.control();
        Ok(Stack {
            nats,
            sandbox,
            db,
            plaid,
            control,
            ingress_addr,
            shutdown,
            ingress: Some(ingress),
        })
    }

    /// Ingress's HTTP address.
    pub fn ingress_addr(&self) -> SocketAddr {
        self.ingress_addr
    }

    /// Ingress's webhook URL: what Link tokens of services on this stack should carry.
    pub fn webhook_url(&self) -> String {
        format!(
            "http://{}{}",
            self.ingress_addr,
            penny_ingress::WEBHOOK_PATH
        )
    }

    /// JetStream on this stack's NATS (a new connection).
    pub async fn jetstream(&self) -> anyhow::Result<jetstream::Context> {
        Ok(jetstream::new(self.nats.connect().await?))
    }

    /// Waits until the durable consumer `consumer` on `stream` has handled every message
    /// published so far ([`crate::wait_consumer_drained`]).
    pub async fn wait_consumer_drained(&self, stream: &str, consumer: &str) -> anyhow::Result<()> {
        crate::wait_consumer_drained(&self.jetstream().await?, stream, consumer).await
    }

    /// Stops ingress gracefully and returns how it ended; the rest stops on drop.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        match self.ingress.take() {
            Some(task) => task.await.context("the ingress task panicked")?,
            None => Ok(()),
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
