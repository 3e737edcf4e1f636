//! [`Pipeline`]: NATS, the sandbox, ingress and verification wired together on free ports.

use std::net::SocketAddr;

use anyhow::Context as _;
use penny_testkit::{NatsServer, SandboxServer, TempSqlite};
use penny_verification::config::INSECURE_DEV_API_TOKEN;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::transport::Channel;

use crate::grpc::GrpcClient;

/// What to start.
#[derive(Debug, Clone, Default)]
pub struct PipelineOptions {
    /// Sandbox settings (its `listen` is replaced by a free port).
    pub sandbox: penny_sandbox::Config,
    /// Verification's database; a temp SQLite file when `None`.
    pub database_url: Option<String>,
}

/// The running pipeline. Dropping it stops every part.
pub struct Pipeline {
    /// The JetStream server.
    pub nats: NatsServer,
    /// The Plaid simulator.
    pub sandbox: SandboxServer,
    /// Ingress's HTTP address.
    pub ingress_addr: SocketAddr,
    /// Verification's gRPC address.
    pub verification_addr: SocketAddr,
    shutdown: CancellationToken,
    tasks: Vec<JoinHandle<anyhow::Result<()>>>,
    _sqlite: Option<TempSqlite>,
}

impl Pipeline {
    /// Starts NATS, the sandbox, ingress, then verification (whose Link tokens point Plaid's
    /// webhooks at ingress).
    pub async fn start(options: PipelineOptions) -> anyhow::Result<Pipeline> {
        penny_runtime::install_crypto_provider();
        let nats = NatsServer::start().await.context("starting nats-server")?;
        let sandbox_cfg = penny_sandbox::Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..options.sandbox
        };
        let sandbox = SandboxServer::start_with(sandbox_cfg)
            .await
            .context("starting the sandbox")?;
        let shutdown = CancellationToken::new();
        let mut tasks = Vec::new();

        let ingress_cfg = penny_ingress::Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            nats: penny_config::NatsArgs {
                nats_url: nats.url().to_owned(),
            },
            plaid: sandbox.plaid_args(),
            ..Default::default()
        };
        let ingress = penny_ingress::App::build(ingress_cfg)
            .await
            .context("starting ingress")?;
        let ingress_addr = ingress.local_addr();
        tasks.push(tokio::spawn(ingress.run_until_stopped(shutdown.clone())));

        let (database_url, sqlite) = match options.database_url {
            Some(url) => (url, None),
            None => {
                let file = TempSqlite::new()?;
                (file.url().to_owned(), Some(file))
            }
        };
        let verification_cfg = penny_verification::Config {
            grpc_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.into(),
            nats: penny_config::NatsArgs {
                nats_url: nats.url().to_owned(),
            },
            plaid: sandbox.plaid_args(),
            webhook_url: format!("http://{ingress_addr}/webhooks/plaid"),
            ..Default::default()
        };
        let verification = penny_verification::App::build(verification_cfg)
            .await
            .context("starting verification")?;
        let verification_addr = verification.grpc_addr();
        tasks.push(tokio::spawn(
            verification.run_until_stopped(shutdown.clone()),
        ));

        Ok(Pipeline {
            nats,
            sandbox,
            ingress_addr,
            verification_addr,
            shutdown,
            tasks,
            _sqlite: sqlite,
        })
    }

    /// Ingress's webhook URL.
    pub fn webhook_url(&self) -> String {
        format!("http://{}/webhooks/plaid", self.ingress_addr)
    }

    /// The bearer token with every scope (the sandbox environment's development token).
    pub fn api_token(&self) -> &'static str {
        INSECURE_DEV_API_TOKEN
    }

    /// A connected gRPC client for verification.
    pub async fn grpc(&self) -> anyhow::Result<GrpcClient> {
        let channel = Channel::from_shared(format!("http://{}", self.verification_addr))?
            .connect()
            .await
            .context("connecting to verification")?;
        Ok(GrpcClient::new(channel))
    }

    /// POSTs a control call to the sandbox and returns its JSON answer.
    pub async fn sandbox_control(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> anyhow::Result<serde_json::Value> {
        let url = format!("{}{path}", self.sandbox.base_url());
        let response = reqwest::Client::new().post(&url).json(&body).send().await?;
        let status = response.status();
        let value: serde_json::Value = response.json().await?;
        anyhow::ensure!(status.is_success(), "{path} answered {status}: {value}");
        Ok(value)
    }

    /// Stops ingress and verification gracefully and reports the first error either returned.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        for task in self.tasks.drain(..) {
            task.await.context("a service task panicked")??;
        }
        Ok(())
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
