//! A real stack for pennyctl's tests: the testkit [`Stack`] (nats-server, the sandbox, ingress,
//! a database) with the verification service on it, the real `pennyctl` binary, and a linked
//! account helper.

use std::net::SocketAddr;
use std::process::Output;
use std::sync::Arc;
use std::time::Duration;

use penny_config::Secret;
use penny_proto::v1 as pb;
use penny_proto::v1::verification_service_client::VerificationServiceClient;
use penny_testkit::Bearer;
use penny_testkit::{DbKind, LinkCompletion, Stack, grpc_channel, poll_until};
use penny_verification::funnel::script::seed_session;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// The bearer token of every scope the test apps accept.
pub const TOKEN: &str = "pennyctl-test-token-0123456789";
/// Verification's keyring in these tests: `k1` only.
pub const KEYS_K1: &str = "k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
/// The same with a new active key `k2`.
pub const KEYS_K2_K1: &str = "k2:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=,k1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
/// A URL where nothing listens (transfer-events and the notifier when not started).
pub const NOBODY: &str = "http://127.0.0.1:9";

/// A stack with verification running on it.
pub struct Running {
    pub stack: Arc<Stack>,
    pub grpc: SocketAddr,
    shutdown: CancellationToken,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Starts a stack with a database of `kind` and verification on it (`adjust` tunes the config).
pub async fn start(
    kind: DbKind,
    adjust: impl FnOnce(&mut penny_verification::Config),
) -> anyhow::Result<Running> {
    penny_testkit::init();
    let stack = Arc::new(Stack::start(kind).await?);
    let mut config = penny_verification::Config {
        grpc_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        admin_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: Secret::from(stack.db.url()),
        plaid: stack.sandbox.plaid_args(),
        api_tokens: Some(Secret::new(format!("ctl:{TOKEN}:link+status+numbers"))),
        encryption_keys: Some(Secret::new(KEYS_K1.to_owned())),
        webhook_url: stack.webhook_url(),
        outbox_poll: Duration::from_millis(50),
        shutdown_grace: Duration::from_secs(5),
        ..penny_verification::Config::default()
    };
    config.nats.nats_url = stack.nats.url().to_owned();
    config.consumer.retry_base = Duration::from_millis(100);
    config.consumer.retry_cap = Duration::from_millis(500);
    adjust(&mut config);
    let app = penny_verification::App::build(config).await?;
    let grpc = app.grpc_addr();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(app.run_until_stopped(shutdown.clone()));
    Ok(Running {
        stack,
        grpc,
        shutdown,
        task: Some(task),
    })
}

/// The typed verification client.
pub type Client = VerificationServiceClient<InterceptedService<Channel, Bearer>>;

/// A linked account and its Link session.
pub struct Linked {
    pub account_id: String,
    pub link_session_id: String,
    pub accounts: Vec<pb::LinkAccount>,
}

impl Running {
    /// A verification client with every scope.
    pub async fn client(&self) -> anyhow::Result<Client> {
        Ok(VerificationServiceClient::with_interceptor(
            grpc_channel(self.grpc).await?,
            Bearer::new(TOKEN)?,
        ))
    }

    /// Runs `pennyctl args` against this stack (transfer-events and the notifier unreachable).
    pub async fn pennyctl(&self, args: &[&str]) -> Output {
        self.pennyctl_with(args, &[]).await
    }

    /// The same with extra environment.
    pub async fn pennyctl_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_pennyctl"));
        command
            .args(args)
            .env_clear()
            .env("PENNY_NATS_URL", self.stack.nats.url())
            .env(
                "PENNY_CTL_VERIFICATION_URL",
                format!("http://{}", self.grpc),
            )
            .env("PENNY_CTL_TRANSFER_EVENTS_URL", NOBODY)
            .env("PENNY_CTL_NOTIFIER_URL", NOBODY)
            .env("PENNY_CTL_API_TOKEN", TOKEN);
        for (k, v) in env {
            command.env(k, v);
        }
        command.output().await.unwrap()
    }

    /// Link through the sandbox and exchange: one pending automated-micro-deposit account.
    pub async fn link_account(&self, user_id: &str) -> anyhow::Result<Linked> {
        let mut client = self.client().await?;
        let token = client
            .create_link_token(pb::CreateLinkTokenRequest {
                user_id: user_id.to_owned(),
                ..Default::default()
            })
            .await?
            .into_inner();
        let done = self
            .stack
            .control
            .complete_link_with(&LinkCompletion {
                link_token: token.link_token,
                ..LinkCompletion::default()
            })
            .await?;
        let accounts: Vec<pb::LinkAccount> = done
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
        let exchanged = client
            .exchange_public_token(pb::ExchangePublicTokenRequest {
                user_id: user_id.to_owned(),
                public_token: done.public_token,
                accounts: accounts.clone(),
            })
            .await?
            .into_inner();
        Ok(Linked {
            account_id: exchanged.accounts[0].account_id.clone(),
            link_session_id: done.link_session_id,
            accounts,
        })
    }

    /// Records the seed's Link session (ending in onSuccess with the account) for `linked`.
    pub async fn record_seed_session(&self, linked: &Linked, user_id: &str) -> anyhow::Result<()> {
        let events = seed_session(
            chrono::Utc::now() - chrono::TimeDelta::minutes(5),
            chrono::TimeDelta::seconds(10),
            linked.accounts.clone(),
        );
        self.client()
            .await?
            .record_link_events(pb::RecordLinkEventsRequest {
                link_session_id: linked.link_session_id.clone(),
                user_id: user_id.to_owned(),
                events,
                flow: 0,
            })
            .await?;
        Ok(())
    }

    /// Lets a simulated day pass: the sandbox verifies the account and sends AUTH /
    /// AUTOMATICALLY_VERIFIED; waits until verification shows it verified.
    pub async fn verified_by_plaid(&self, linked: &Linked) -> anyhow::Result<()> {
        self.stack
            .control
            .advance_clock(Duration::from_secs(25 * 3600))
            .await?;
        poll_until(Duration::from_secs(30), || async {
            self.status(&linked.account_id).await.ok() == Some(pb::AccountStatus::Verified)
        })
        .await
    }

    /// The account's status.
    pub async fn status(&self, account_id: &str) -> anyhow::Result<pb::AccountStatus> {
        let account = self
            .client()
            .await?
            .get_account(pb::GetAccountRequest {
                account_id: account_id.to_owned(),
            })
            .await?
            .into_inner();
        Ok(account.status())
    }

    /// Waits until verification's webhook consumers handled everything published.
    pub async fn drained(&self) -> anyhow::Result<()> {
        for consumer in ["verification", "verification-prompt"] {
            self.stack
                .wait_consumer_drained(penny_bus::PLAID_WEBHOOKS, consumer)
                .await?;
        }
        Ok(())
    }

    /// Stops verification and reports how it ended.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        match self.task.take() {
            Some(task) => task.await?,
            None => Ok(()),
        }
    }
}

/// Stdout as JSON.
pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// The exit code.
pub fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

/// Messages stored in `stream`.
pub async fn messages(stack: &Stack, stream: &str) -> u64 {
    let js = stack.jetstream().await.unwrap();
    let mut stream = js.get_stream(stream).await.unwrap();
    stream.info().await.unwrap().state.messages
}
