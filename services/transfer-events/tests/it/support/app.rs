//! [`TestApp`]: a running transfer-events replica on a testkit [`Stack`], with typed gRPC
//! clients.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use penny_config::Secret;
use penny_proto::v1 as pb;
use penny_proto::v1::transfer_events_service_client::TransferEventsServiceClient;
use penny_testkit::{Bearer, grpc_channel};
use penny_transfer_events::{App, Config};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use super::{ALL_TOKEN, Stack, api_tokens};

/// The typed client.
pub type Client = TransferEventsServiceClient<InterceptedService<Channel, Bearer>>;

/// A running replica.
pub struct TestApp {
    pub grpc_addr: SocketAddr,
    pub admin_addr: SocketAddr,
    /// The stack's database (a connection of the test's own).
    pub db: sea_orm::DatabaseConnection,
    shutdown: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// A config for a replica on `stack`: port 0, the test tokens, fast checks, retries and lease
/// hand-over, and **no sweep** (tests that want one set `sync.sweep_interval`).
pub fn app_config(stack: &Stack) -> Config {
    let mut config = Config {
        grpc_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        admin_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: Secret::from(stack.db.url()),
        plaid: stack.sandbox.plaid_args(),
        api_tokens: Some(Secret::new(api_tokens())),
        outbox_poll: Duration::from_millis(50),
        shutdown_grace: Duration::from_secs(5),
        readiness_interval: Duration::from_millis(200),
        ..Config::default()
    };
    config.nats.nats_url = stack.nats.url().to_owned();
    config.consumer.retry_base = Duration::from_millis(100);
    config.consumer.retry_cap = Duration::from_secs(1);
    config.consumer.ack_wait = Duration::from_secs(2);
    config.accounts_consumer.retry_base = Duration::from_millis(100);
    config.accounts_consumer.retry_cap = Duration::from_secs(1);
    config.sync.sweep_interval = Duration::ZERO;
    config.sync.check_interval = Duration::from_millis(100);
    config.sync.lease_ttl = Duration::from_secs(2);
    config.sync.retry_base = Duration::from_millis(200);
    config.sync.retry_cap = Duration::from_secs(1);
    config
}

/// Starts a replica on `stack`, with `adjust` applied to the config.
pub async fn spawn_on(
    stack: &Arc<Stack>,
    adjust: impl FnOnce(&mut Config),
) -> anyhow::Result<TestApp> {
    let mut config = app_config(stack);
    adjust(&mut config);
    let app = App::build(config).await?;
    let grpc_addr = app.grpc_addr();
    let admin_addr = app.admin_addr();
    let db = penny_transfer_events::store::connect(stack.db.url()).await?;
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(app.run_until_stopped(shutdown.clone()));
    Ok(TestApp {
        grpc_addr,
        admin_addr,
        db,
        shutdown,
        task: Some(task),
    })
}

impl TestApp {
    /// A client sending `Bearer <token>` (`None`: no authorization header).
    pub async fn client_with(&self, token: Option<&str>) -> anyhow::Result<Client> {
        Ok(TransferEventsServiceClient::with_interceptor(
            grpc_channel(self.grpc_addr).await?,
            Bearer::optional(token)?,
        ))
    }

    /// A client with both scopes.
    pub async fn client(&self) -> anyhow::Result<Client> {
        self.client_with(Some(ALL_TOKEN)).await
    }

    /// `GetSyncState`.
    pub async fn sync_state(&self) -> anyhow::Result<pb::SyncState> {
        Ok(self
            .client()
            .await?
            .get_sync_state(pb::GetSyncStateRequest {})
            .await?
            .into_inner())
    }

    /// `GetDepositStatus`.
    pub async fn deposit_status(&self, account_id: &str) -> anyhow::Result<pb::DepositStatus> {
        Ok(self
            .client()
            .await?
            .get_deposit_status(pb::GetDepositStatusRequest {
                account_id: account_id.to_owned(),
            })
            .await?
            .into_inner())
    }

    /// `ListEvents`: the first page of `account_id`'s events.
    pub async fn events_of(&self, account_id: &str) -> anyhow::Result<Vec<pb::AchEvent>> {
        Ok(self
            .client()
            .await?
            .list_events(pb::ListEventsRequest {
                account_id: account_id.to_owned(),
                ..Default::default()
            })
            .await?
            .into_inner()
            .events)
    }

    /// `SyncNow`.
    pub async fn sync_now(&self) -> anyhow::Result<pb::SyncNowResponse> {
        Ok(self
            .client()
            .await?
            .sync_now(pb::SyncNowRequest {})
            .await?
            .into_inner())
    }

    /// `/metrics` as text.
    pub async fn metrics(&self) -> anyhow::Result<String> {
        Ok(reqwest::get(format!("http://{}/metrics", self.admin_addr))
            .await?
            .text()
            .await?)
    }

    /// Stops the replica and waits for it to finish.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            task.await??;
        }
        Ok(())
    }
}
