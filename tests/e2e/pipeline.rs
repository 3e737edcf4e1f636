//! [`Pipeline`]: verification on the testkit [`Stack`] (NATS, the sandbox, ingress and a
//! database), all on free ports.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context as _;
use penny_proto::v1 as pb;
use penny_proto::v1::verification_service_client::VerificationServiceClient;
use penny_testkit::{Bearer, DbKind, Stack, grpc_channel, poll_until};
use penny_verification::config::INSECURE_DEV_API_TOKEN;
use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, DropGuard};

use crate::grpc::GrpcClient;

/// What to start.
#[derive(Debug, Clone, Default)]
pub struct PipelineOptions {
    /// Sandbox settings (its `listen` is replaced by a free port).
    pub sandbox: penny_sandbox::Config,
    /// Verification's database engine (a temp SQLite file by default).
    pub db: DbKind,
}

/// The running pipeline. Dropping it stops every part.
pub struct Pipeline {
    /// NATS, the sandbox (and its control API), ingress and the database.
    pub stack: Stack,
    /// Verification's gRPC address.
    pub verification_addr: SocketAddr,
    /// Cancels verification when the pipeline is dropped or stopped.
    shutdown: DropGuard,
    verification: JoinHandle<anyhow::Result<()>>,
}

impl Pipeline {
    /// Starts the stack, then verification on it (its Link tokens point Plaid's webhooks at
    /// ingress).
    pub async fn start(options: PipelineOptions) -> anyhow::Result<Pipeline> {
        let stack = Stack::start_with(options.db, options.sandbox).await?;
        let config = penny_verification::Config {
            grpc_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: stack.db.url().into(),
            nats: penny_config::NatsArgs {
                nats_url: stack.nats.url().to_owned(),
            },
            plaid: stack.sandbox.plaid_args(),
            webhook_url: stack.webhook_url(),
            ..Default::default()
        };
        let verification = penny_verification::App::build(config)
            .await
            .context("starting verification")?;
        let verification_addr = verification.grpc_addr();
        let shutdown = CancellationToken::new();
        let verification = tokio::spawn(verification.run_until_stopped(shutdown.clone()));
        Ok(Pipeline {
            stack,
            verification_addr,
            shutdown: shutdown.drop_guard(),
            verification,
        })
    }

    /// Ingress's webhook URL.
    pub fn webhook_url(&self) -> String {
        self.stack.webhook_url()
    }

    /// The bearer token with every scope (the sandbox environment's development token).
    pub fn api_token(&self) -> &'static str {
        INSECURE_DEV_API_TOKEN
    }

    /// A connected gRPC client for verification, sending [`api_token`](Self::api_token).
    pub async fn grpc(&self) -> anyhow::Result<GrpcClient> {
        let channel = grpc_channel(self.verification_addr)
            .await
            .context("connecting to verification")?;
        Ok(VerificationServiceClient::with_interceptor(
            channel,
            Bearer::new(self.api_token())?,
        ))
    }

    /// Waits until the account shows `status` and returns it.
    pub async fn wait_for_status(
        &self,
        account_id: &str,
        status: pb::AccountStatus,
        timeout: Duration,
    ) -> anyhow::Result<pb::Account> {
        let client = self.grpc().await?;
        poll_until(timeout, || {
            let mut client = client.clone();
            async move {
                let account = client
                    .get_account(pb::GetAccountRequest {
                        account_id: account_id.to_owned(),
                    })
                    .await
                    .ok()?
                    .into_inner();
                (account.status == status as i32).then_some(account)
            }
        })
        .await
        .with_context(|| format!("account {account_id} never became {status:?}"))
    }

    /// Stops verification, then ingress, gracefully and reports the first error either
    /// returned.
    pub async fn stop(self) -> anyhow::Result<()> {
        let Pipeline {
            stack,
            shutdown,
            verification,
            ..
        } = self;
        drop(shutdown);
        verification
            .await
            .context("the verification task panicked")??;
        stack.stop().await
    }
}
