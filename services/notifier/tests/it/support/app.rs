//! [`TestApp`]: a running notifier on an [`Env`], with typed gRPC clients.

use std::net::SocketAddr;
use std::time::Duration;

use penny_config::Secret;
use penny_notifier::notifier::Notifier;
use penny_notifier::{App, Config};
use penny_proto::v1 as pb;
use penny_proto::v1::notifier_service_client::NotifierServiceClient;
use penny_testkit::{Bearer, grpc_channel};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use super::events::{self, publish_once};
use super::{ALL_TOKEN, ARRIVAL, Env, PUSH_SECRET, SMS_SID, SMS_TOKEN, api_tokens};

/// The typed client.
pub type Client = NotifierServiceClient<InterceptedService<Channel, Bearer>>;

/// A running notifier.
pub struct TestApp {
    pub grpc_addr: SocketAddr,
    pub admin_addr: SocketAddr,
    pub public_addr: SocketAddr,
    pub notifier: Notifier,
    shutdown: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Env {
    /// A config for a notifier on this env: port 0, test tokens, the receivers, fast retries,
    /// short claims and leases.
    pub fn config(&self) -> Config {
        let mut config = Config {
            grpc_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            admin_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            public_listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: Secret::from(self.db.url()),
            api_tokens: Some(Secret::new(api_tokens())),
            shutdown_grace: Duration::from_secs(5),
            readiness_interval: Duration::from_millis(200),
            ..Config::default()
        };
        config.nats.nats_url = self.nats.url().to_owned();
        config.email.smtp_port = self.smtp.port();
        config.email.smtp_timeout = Duration::from_secs(5);
        config.sms.sms_base_url = self.sms.base_url();
        config.sms.sms_account_sid = SMS_SID.to_owned();
        config.sms.sms_auth_token = Some(Secret::from(SMS_TOKEN));
        config.push.push_signing_secret = Some(Secret::from(PUSH_SECRET));
        config.consumer.retry_base = Duration::from_millis(100);
        config.consumer.retry_cap = Duration::from_millis(500);
        config.consumer.ack_wait = Duration::from_secs(2);
        config.sending.send_retry_base = Duration::from_millis(200);
        config.sending.send_retry_cap = Duration::from_secs(1);
        config.sending.send_max_attempts = 30;
        // Long enough that a send on a loaded 2-core machine never outlives its claim (a claim
        // older than this is `unknown` and resent): crash tests use the binary with 3 s.
        config.sending.claim_ttl = Duration::from_secs(15);
        config.sending.reconcile_after = Duration::from_millis(200);
        config.scheduler.scheduler_poll = Duration::from_millis(100);
        config.scheduler.scheduler_lease_ttl = Duration::from_secs(2);
        config
    }

    /// Starts a notifier (a replica) on this env, with `adjust` applied to its config.
    pub async fn spawn(&self, adjust: impl FnOnce(&mut Config)) -> anyhow::Result<TestApp> {
        let mut config = self.config();
        adjust(&mut config);
        let app = App::build_with_clock(config, self.clock.shared()).await?;
        let shutdown = CancellationToken::new();
        let app_ref = (
            app.grpc_addr(),
            app.admin_addr(),
            app.public_addr(),
            app.notifier().clone(),
        );
        let task = tokio::spawn(app.run_until_stopped(shutdown.clone()));
        Ok(TestApp {
            grpc_addr: app_ref.0,
            admin_addr: app_ref.1,
            public_addr: app_ref.2,
            notifier: app_ref.3,
            shutdown,
            task: Some(task),
        })
    }
}

impl TestApp {
    /// A client sending `Bearer <token>` (`None`: no header).
    pub async fn client_with(&self, token: Option<&str>) -> anyhow::Result<Client> {
        Ok(NotifierServiceClient::with_interceptor(
            grpc_channel(self.grpc_addr).await?,
            Bearer::optional(token)?,
        ))
    }

    /// A client with every scope.
    pub async fn client(&self) -> anyhow::Result<Client> {
        self.client_with(Some(ALL_TOKEN)).await
    }

    /// Creates or replaces a contact.
    pub async fn upsert(&self, request: pb::UpsertContactRequest) -> anyhow::Result<pb::Contact> {
        Ok(self
            .client()
            .await?
            .upsert_contact(request)
            .await?
            .into_inner())
    }

    /// Every alert of `user`, newest first.
    pub async fn notifications(&self, user: &str) -> anyhow::Result<Vec<pb::Notification>> {
        self.list(pb::ListNotificationsRequest {
            user_id: user.into(),
            ..Default::default()
        })
        .await
    }

    /// One page (up to 500) of the alerts `request` asks for, newest first.
    pub async fn list(
        &self,
        mut request: pb::ListNotificationsRequest,
    ) -> anyhow::Result<Vec<pb::Notification>> {
        request.page_size = 500;
        Ok(self
            .client()
            .await?
            .list_notifications(request)
            .await?
            .into_inner()
            .notifications)
    }

    /// The admin server's `/metrics` text.
    pub async fn metrics(&self) -> anyhow::Result<String> {
        Ok(reqwest::get(format!("http://{}/metrics", self.admin_addr))
            .await?
            .text()
            .await?)
    }

    /// Waits until the scheduler has swept `n` more times than now (to assert that something
    /// did *not* happen without sleeping blindly).
    pub async fn sweeps(&self, n: u64) -> anyhow::Result<()> {
        let start = self.notifier.metrics().sweeps();
        penny_testkit::poll_until(Duration::from_secs(20), || async {
            self.notifier.metrics().sweeps() >= start + n
        })
        .await
    }

    /// Scheduler passes so far.
    pub fn sweep_count(&self) -> u64 {
        self.notifier.metrics().sweeps()
    }

    /// Stops it and waits for it to drain.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            task.await??;
        }
        Ok(())
    }
}

/// Waits until the replicas together swept `n` more times than now (one of them holds the
/// scheduler lease).
pub async fn swept(apps: &[&TestApp], n: u64) -> anyhow::Result<()> {
    let total = || apps.iter().map(|a| a.sweep_count()).sum::<u64>();
    let start = total();
    penny_testkit::poll_until(Duration::from_secs(20), || async { total() >= start + n }).await
}

/// A contact for `user` on the env's receivers with `channels` enabled and `locale`.
pub fn contact(env: &Env, user: &str, phone: &str, locale: &str) -> pb::UpsertContactRequest {
    pb::UpsertContactRequest {
        user_id: user.into(),
        email: format!("{user}@example.com"),
        phone: phone.into(),
        push_url: env.push.url(),
        channels: vec![
            pb::Channel::Email as i32,
            pb::Channel::Sms as i32,
            pb::Channel::Push as i32,
        ],
        quiet_hours: None,
        time_zone: String::new(),
        locale: locale.into(),
        preferences: Vec::new(),
    }
}

/// Gives `user` a contact on `channels` and publishes their account's `linked` and `verified`
/// events (an "account ready" alert per channel).
pub async fn verified(
    env: &Env,
    app: &TestApp,
    user: &str,
    channels: &[pb::Channel],
) -> anyhow::Result<()> {
    let mut request = contact(env, user, "+14155550106", "en");
    request.channels = channels.iter().map(|c| *c as i32).collect();
    app.upsert(request).await?;
    let js = env.jetstream().await?;
    let now = env.clock_now();
    let flow = pb::VerificationFlow::Automated;
    let account = format!("acc-{user}");
    publish_once(&js, &events::account("linked", user, &account, flow, now)).await?;
    publish_once(&js, &events::account("verified", user, &account, flow, now)).await?;
    Ok(())
}

/// Waits for an alert of `user`'s in `state`.
pub async fn one_state(
    app: &TestApp,
    user: &str,
    state: pb::NotificationState,
) -> anyhow::Result<pb::Notification> {
    penny_testkit::poll_until(ARRIVAL, || async {
        let listed = app.notifications(user).await.ok()?;
        listed.into_iter().find(|n| n.state == state as i32)
    })
    .await
}
