//! [`TestApp`]: a running verification app on a testkit [`Stack`], with typed gRPC clients and
//! flow helpers.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use penny_config::Secret;
use penny_plaid::{AccessToken, VerificationStatus};
use penny_proto::v1 as pb;
use penny_proto::v1::verification_service_client::VerificationServiceClient;
use penny_testkit::{Bearer, LinkCompletion, grpc_channel, poll_until};
use penny_verification::store::{Secrets, items};
use penny_verification::{App, Config};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use super::{ALL_TOKEN, DbKind, Stack, api_tokens};

/// A running verification app.
pub struct TestApp {
    pub stack: Arc<Stack>,
    pub grpc_addr: SocketAddr,
    pub secrets: Secrets,
    pub db: sea_orm::DatabaseConnection,
    shutdown: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Starts a stack with a database of `kind`, shared by the apps (replicas) started on it.
pub async fn start_stack(kind: DbKind) -> anyhow::Result<Arc<Stack>> {
    penny_testkit::init();
    Ok(Arc::new(Stack::start(kind).await?))
}

/// Starts a stack with a database of `kind` and one app on it.
pub async fn spawn_app(kind: DbKind) -> anyhow::Result<TestApp> {
    let stack = start_stack(kind).await?;
    spawn_on(&stack, |_| {}).await
}

/// A config for a verification app on `stack` (port 0, test tokens, fast retries).
pub fn app_config(stack: &Stack) -> Config {
    let mut config = Config {
        grpc_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        admin_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: Secret::from(stack.db.url()),
        plaid: stack.sandbox.plaid_args(),
        api_tokens: Some(Secret::new(api_tokens())),
        webhook_url: stack.webhook_url(),
        outbox_poll: Duration::from_millis(50),
        shutdown_grace: Duration::from_secs(5),
        ..Config::default()
    };
    config.nats.nats_url = stack.nats.url().to_owned();
    config.consumer.retry_base = Duration::from_millis(200);
    config.consumer.retry_cap = Duration::from_secs(2);
    config.consumer.max_deliveries = 30;
    config
}

/// Starts an app (a replica) on `stack`, with `adjust` applied to the config.
pub async fn spawn_on(
    stack: &Arc<Stack>,
    adjust: impl FnOnce(&mut Config),
) -> anyhow::Result<TestApp> {
    let mut config = app_config(stack);
    adjust(&mut config);
    let app = App::build(config).await?;
    let grpc_addr = app.grpc_addr();
    let secrets = app.verifier().secrets().clone();
    let db = penny_verification::store::connect(stack.db.url()).await?;
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(app.run_until_stopped(shutdown.clone()));
    Ok(TestApp {
        stack: Arc::clone(stack),
        grpc_addr,
        secrets,
        db,
        shutdown,
        task: Some(task),
    })
}

/// The typed client.
pub type Client = VerificationServiceClient<InterceptedService<Channel, Bearer>>;

/// A linked account.
#[derive(Clone, Debug)]
pub struct Linked {
    pub item_id: String,
    pub account_id: String,
    pub access_token: AccessToken,
    pub mask: String,
}

impl TestApp {
    /// A handle on an app running elsewhere (a spawned binary) at `grpc_addr`, whose database
    /// is the stack's and whose keyring is `keys`.
    pub async fn external(
        stack: &Arc<Stack>,
        grpc_addr: SocketAddr,
        keys: &str,
    ) -> anyhow::Result<TestApp> {
        Ok(TestApp {
            stack: Arc::clone(stack),
            grpc_addr,
            secrets: Secrets::new(penny_store::Keyring::parse(keys)?),
            db: penny_verification::store::connect(stack.db.url()).await?,
            shutdown: CancellationToken::new(),
            task: None,
        })
    }

    /// A client sending `Bearer <token>` (`None`: no authorization header).
    pub async fn client_with(&self, token: Option<&str>) -> anyhow::Result<Client> {
        Ok(VerificationServiceClient::with_interceptor(
            grpc_channel(self.grpc_addr).await?,
            Bearer::optional(token)?,
        ))
    }

    /// A client with every scope.
    pub async fn client(&self) -> anyhow::Result<Client> {
        self.client_with(Some(ALL_TOKEN)).await
    }

    /// Creates a link token, completes Link in the sandbox and exchanges the public token:
    /// one pending automated-micro-deposit account.
    pub async fn link_account(&self, user_id: &str) -> anyhow::Result<Linked> {
        self.link_account_with(user_id, pb::LinkFlow::Unspecified)
            .await
    }

    /// Links an automated account and has the sandbox verify it; returns once penny shows it
    /// verified.
    pub async fn verified_account(&self, user_id: &str) -> anyhow::Result<Linked> {
        let linked = self.link_account(user_id).await?;
        self.set_verification_status(&linked, VerificationStatus::AutomaticallyVerified)
            .await?;
        self.wait_for_status(
            &linked.account_id,
            pb::AccountStatus::Verified,
            Duration::from_secs(20),
        )
        .await?;
        Ok(linked)
    }

    /// The same with a chosen flow (`SameDay`: the user types the sandbox's Same-Day numbers).
    pub async fn link_account_with(
        &self,
        user_id: &str,
        flow: pb::LinkFlow,
    ) -> anyhow::Result<Linked> {
        let (public_token, accounts) = self.complete_link_with(user_id, flow).await?;
        let response = self
            .client()
            .await?
            .exchange_public_token(pb::ExchangePublicTokenRequest {
                user_id: user_id.to_owned(),
                public_token,
                accounts,
            })
            .await?
            .into_inner();
        let account = response
            .accounts
            .first()
            .context("the exchange returned no account")?
            .clone();
        Ok(Linked {
            access_token: self.access_token(&response.item_id).await?,
            item_id: response.item_id,
            account_id: account.account_id,
            mask: account.mask,
        })
    }

    /// Link up to `onSuccess`: a link token through gRPC, then the sandbox's Link completion.
    pub async fn complete_link(
        &self,
        user_id: &str,
    ) -> anyhow::Result<(String, Vec<pb::LinkAccount>)> {
        self.complete_link_with(user_id, pb::LinkFlow::Unspecified)
            .await
    }

    /// The same with a chosen flow.
    pub async fn complete_link_with(
        &self,
        user_id: &str,
        flow: pb::LinkFlow,
    ) -> anyhow::Result<(String, Vec<pb::LinkAccount>)> {
        let token = self
            .client()
            .await?
            .create_link_token(pb::CreateLinkTokenRequest {
                user_id: user_id.to_owned(),
                flow: flow as i32,
                ..Default::default()
            })
            .await?
            .into_inner();
        let completion = if flow == pb::LinkFlow::SameDay {
            LinkCompletion::same_day(&token.link_token)
        } else {
            LinkCompletion {
                link_token: token.link_token,
                ..LinkCompletion::default()
            }
        };
        let done = self.stack.control.complete_link_with(&completion).await?;
        let accounts = done
            .accounts
            .into_iter()
            .map(|a| pb::LinkAccount {
                account_id: a.id,
                name: a.name,
                mask: a.mask,
                subtype: a.subtype,
                verification_status: a.verification_status.unwrap_or_default(),
            })
            .collect();
        Ok((done.public_token, accounts))
    }

    /// An update-mode Link token for the account's Item, through gRPC.
    pub async fn update_link_token(
        &self,
        account_id: &str,
    ) -> Result<pb::CreateUpdateLinkTokenResponse, tonic::Status> {
        let mut client = self
            .client()
            .await
            .map_err(|e| tonic::Status::unavailable(e.to_string()))?;
        client
            .create_update_link_token(pb::CreateUpdateLinkTokenRequest {
                account_id: account_id.to_owned(),
            })
            .await
            .map(tonic::Response::into_inner)
    }

    /// Re-reads the account from Plaid (what the app calls after Link's update-mode onSuccess).
    pub async fn refresh(&self, account_id: &str) -> anyhow::Result<pb::Account> {
        Ok(self
            .client()
            .await?
            .refresh_account(pb::RefreshAccountRequest {
                account_id: account_id.to_owned(),
            })
            .await?
            .into_inner())
    }

    /// The Item's access token, decrypted from the database.
    pub async fn access_token(&self, item_id: &str) -> anyhow::Result<AccessToken> {
        let item = items::find(&self.db, item_id)
            .await?
            .context("item not stored")?;
        items::access_token(&self.secrets, &item)?.context("access token purged")
    }

    /// Makes the sandbox finish the automated flow (it fires the AUTH webhook to the ingress).
    pub async fn set_verification_status(
        &self,
        linked: &Linked,
        status: VerificationStatus,
    ) -> anyhow::Result<()> {
        self.stack
            .plaid
            .sandbox_item_set_verification_status(&linked.access_token, &linked.account_id, &status)
            .await?;
        Ok(())
    }

    /// Reads an account.
    pub async fn account(&self, account_id: &str) -> anyhow::Result<pb::Account> {
        Ok(self
            .client()
            .await?
            .get_account(pb::GetAccountRequest {
                account_id: account_id.to_owned(),
            })
            .await?
            .into_inner())
    }

    /// Waits until the account shows `status`.
    pub async fn wait_for_status(
        &self,
        account_id: &str,
        status: pb::AccountStatus,
        timeout: Duration,
    ) -> anyhow::Result<pb::Account> {
        let client = self.client().await?;
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

    /// Stops the app and waits for it to finish.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            task.await??;
        }
        Ok(())
    }
}
