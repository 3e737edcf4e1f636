//! The other services pennyctl reads, in-process on the same NATS and sandbox, each on a
//! SQLite database of its own: transfer-events (ACH events, resync) and the notifier (alerts,
//! mail to a real SMTP server).

use std::net::SocketAddr;
use std::time::Duration;

use penny_config::Secret;
use penny_testkit::{SmtpServer, TempSqlite};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::support::{Running, TOKEN};

/// A running service.
pub struct Service {
    /// Its gRPC URL.
    pub url: String,
    stop: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
    db: TempSqlite,
    _smtp: Option<SmtpServer>,
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl Service {
    /// Runs `run` (a service's `run_until_stopped`) until the service is stopped.
    fn spawn<F>(
        url: String,
        db: TempSqlite,
        smtp: Option<SmtpServer>,
        run: impl FnOnce(CancellationToken) -> F,
    ) -> Self
    where
        F: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let stop = CancellationToken::new();
        let task = tokio::spawn(run(stop.clone()));
        Self {
            url,
            stop,
            task: Some(task),
            db,
            _smtp: smtp,
        }
    }

    /// Its database's URL.
    pub fn db_url(&self) -> &str {
        self.db.url()
    }

    /// Stops it and reports how it ended.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.stop.cancel();
        match self.task.take() {
            Some(task) => task.await?,
            None => Ok(()),
        }
    }
}

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// transfer-events on `app`'s stack; with `pokes` the sandbox sends BANK_TRANSFERS pokes to
/// ingress, without them only a sync on demand records events.
pub async fn transfer_events(app: &Running, pokes: bool) -> anyhow::Result<Service> {
    let webhook = app.stack.webhook_url();
    app.stack
        .control
        .set_bank_transfers_webhook(pokes.then_some(webhook.as_str()))
        .await?;
    let db = TempSqlite::new()?;
    let mut config = penny_transfer_events::Config {
        grpc_listen: any_port(),
        admin_listen: any_port(),
        database_url: Secret::from(db.url()),
        plaid: app.stack.sandbox.plaid_args(),
        api_tokens: Some(Secret::new(format!("ctl:{TOKEN}:status+admin"))),
        outbox_poll: Duration::from_millis(50),
        shutdown_grace: Duration::from_secs(5),
        ..penny_transfer_events::Config::default()
    };
    config.nats.nats_url = app.stack.nats.url().to_owned();
    let built = penny_transfer_events::App::build(config).await?;
    let url = format!("http://{}", built.grpc_addr());
    Ok(Service::spawn(url, db, None, |stop| {
        built.run_until_stopped(stop)
    }))
}

/// The notifier on `app`'s NATS, mailing through a real SMTP server.
pub async fn notifier(app: &Running) -> anyhow::Result<Service> {
    notifier_with(app, |_| {}).await
}

/// [`notifier`] with `adjust` applied to its config.
pub async fn notifier_with(
    app: &Running,
    adjust: impl FnOnce(&mut penny_notifier::Config),
) -> anyhow::Result<Service> {
    let db = TempSqlite::new()?;
    let smtp = SmtpServer::start().await?;
    let mut config = penny_notifier::Config {
        grpc_listen: any_port(),
        admin_listen: any_port(),
        public_listen: any_port(),
        database_url: Secret::from(db.url()),
        api_tokens: Some(Secret::new(format!("ctl:{TOKEN}:status+contacts"))),
        shutdown_grace: Duration::from_secs(5),
        ..penny_notifier::Config::default()
    };
    config.nats.nats_url = app.stack.nats.url().to_owned();
    config.email.smtp_port = smtp.port();
    config.consumer.retry_base = Duration::from_millis(100);
    config.consumer.retry_cap = Duration::from_millis(500);
    config.sending.send_retry_base = Duration::from_millis(200);
    config.sending.send_retry_cap = Duration::from_secs(1);
    config.scheduler.scheduler_poll = Duration::from_millis(100);
    adjust(&mut config);
    let built = penny_notifier::App::build(config).await?;
    let url = format!("http://{}", built.grpc_addr());
    Ok(Service::spawn(url, db, Some(smtp), |stop| {
        built.run_until_stopped(stop)
    }))
}
