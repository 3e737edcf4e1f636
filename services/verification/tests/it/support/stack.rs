//! [`Stack`]: the shared dependencies of one or more apps.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use penny_config::Secret;
use penny_plaid::{PlaidClient, PlaidClientConfig};
use penny_testkit::{NatsServer, SandboxServer};
use penny_verification::Config;
use tokio_util::sync::CancellationToken;

use super::{DbKind, TestDb, api_tokens};

/// Shared dependencies: NATS, sandbox, ingress and one database. Several apps (replicas) may
/// run on one stack.
pub struct Stack {
    pub nats: NatsServer,
    pub sandbox: SandboxServer,
    pub ingress_addr: SocketAddr,
    ingress_shutdown: CancellationToken,
    pub db: TestDb,
    pub plaid: PlaidClient,
    pub http: reqwest::Client,
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.ingress_shutdown.cancel();
    }
}

impl Stack {
    /// Starts NATS, the sandbox, the ingress and a database of `kind`.
    pub async fn start(kind: DbKind) -> anyhow::Result<Arc<Stack>> {
        Self::start_with(kind, penny_sandbox::Config::default()).await
    }

    /// The same with a sandbox config.
    pub async fn start_with(
        kind: DbKind,
        sandbox_config: penny_sandbox::Config,
    ) -> anyhow::Result<Arc<Stack>> {
        penny_testkit::init();
        let nats = NatsServer::start().await?;
        let sandbox = SandboxServer::start_with(sandbox_config).await?;
        let ingress_config = penny_ingress::Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            nats: penny_config::NatsArgs {
                nats_url: nats.url().to_owned(),
            },
            plaid: sandbox.plaid_args(),
            ..penny_ingress::Config::default()
        };
        let ingress = penny_ingress::App::build(ingress_config).await?;
        let ingress_addr = ingress.local_addr();
        let ingress_shutdown = CancellationToken::new();
        tokio::spawn(ingress.run_until_stopped(ingress_shutdown.clone()));
        let db = TestDb::new(kind).await?;
        let plaid = PlaidClient::new(PlaidClientConfig::new(
            sandbox.base_url(),
            sandbox.client_id(),
            Secret::from(sandbox.secret()),
        ))?;
        Ok(Arc::new(Stack {
            nats,
            sandbox,
            ingress_addr,
            ingress_shutdown,
            db,
            plaid,
            http: reqwest::Client::new(),
        }))
    }

    /// The webhook URL Link tokens should carry: this stack's ingress.
    pub fn webhook_url(&self) -> String {
        format!(
            "http://{}{}",
            self.ingress_addr,
            penny_ingress::WEBHOOK_PATH
        )
    }

    /// A config for a verification app on this stack (port 0, test tokens, fast retries).
    pub fn config(&self) -> Config {
        let mut config = Config {
            grpc_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            admin_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: Secret::from(self.db.url()),
            plaid: self.sandbox.plaid_args(),
            api_tokens: Some(Secret::new(api_tokens())),
            webhook_url: self.webhook_url(),
            outbox_poll: Duration::from_millis(50),
            shutdown_grace: Duration::from_secs(5),
            ..Config::default()
        };
        config.nats.nats_url = self.nats.url().to_owned();
        config.consumer.retry_base = Duration::from_millis(200);
        config.consumer.retry_cap = Duration::from_secs(2);
        config.consumer.max_deliveries = 30;
        config
    }

    /// JetStream on this stack's NATS.
    pub async fn jetstream(&self) -> anyhow::Result<jetstream::Context> {
        Ok(jetstream::new(self.nats.connect().await?))
    }

    /// POSTs JSON to the sandbox control API.
    pub async fn sandbox_control(
        &self,
        path: &str,
        body: serde_json::Value,
    ) -> anyhow::Result<serde_json::Value> {
        let url = format!("{}{path}", self.sandbox.base_url());
        let response = self.http.post(&url).json(&body).send().await?;
        let status = response.status();
        let text = response.text().await?;
        anyhow::ensure!(status.is_success(), "{path}: HTTP {status}: {text}");
        Ok(serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
    }

    /// The outcomes (`delivered`, `dropped`, `failed`) of the sandbox's webhook delivery
    /// attempts with this `webhook_code`, oldest first.
    pub async fn webhook_outcomes(&self, code: &str) -> anyhow::Result<Vec<String>> {
        let log = self.sandbox_get("/__sandbox/webhooks").await?;
        Ok(log["attempts"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter(|a| a["webhook_code"] == code)
            .map(|a| a["outcome"].as_str().unwrap_or_default().to_owned())
            .collect())
    }

    /// GETs a sandbox control endpoint.
    pub async fn sandbox_get(&self, path: &str) -> anyhow::Result<serde_json::Value> {
        let url = format!("{}{path}", self.sandbox.base_url());
        Ok(self.http.get(&url).send().await?.json().await?)
    }
}
