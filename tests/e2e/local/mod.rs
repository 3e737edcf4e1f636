//! [`LocalStack`]: the whole of penny on one machine as real processes, the way `just up`
//! runs it: nats-server (JetStream, its store under the data directory), the Plaid sandbox on a
//! fast clock, the streams applied by `pennyctl streams apply` (their one owner), ingress,
//! verification, transfer-events and the notifier (SQLite files under the data directory), a
//! real SMTP server and SMS/push receivers so every alert can be seen. Stopping it (or dropping
//! it) stops every part, services first; starting it again on the same directory resumes with
//! the same data (the sandbox, an in-memory simulator, starts afresh).

mod env;
mod feed;
mod ports;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;
use penny_testkit::{ChildProcess, PushReceiver, SandboxControl, SmsApi, SmtpServer, poll_until};

pub use feed::AlertFeed;
pub use ports::{Ports, addr};

use crate::process::{ServiceProcess, binary};

/// How long one part may take to report ready.
const READY: Duration = Duration::from_secs(60);
/// The SMS provider account the notifier sends through (the local receiver accepts it).
const SMS_SID: &str = "AClocal";
const SMS_TOKEN: &str = "local-sms-token";
/// The push signing secret (`whsec_` + base64 of 32 bytes): local only.
pub const PUSH_SECRET: &str = "whsec_cGVubnkgbG9jYWwgc3RhY2sgcHVzaCBzZWNyZXQhIQ==";
/// Every service's development token (accepted outside production only).
pub const DEV_TOKEN: &str = "penny-insecure-dev-token";

/// What to start.
#[derive(Debug, Clone)]
pub struct LocalOptions {
    /// SQLite files, the NATS store and the logs go here.
    pub data_dir: PathBuf,
    /// Where each part listens.
    pub ports: Ports,
    /// Simulated seconds per real second on the sandbox's clock.
    pub clock_speed: f64,
    /// Where every process exports its spans (OTLP/gRPC), if anywhere.
    pub otlp_endpoint: Option<String>,
    /// Each service's log filter.
    pub log_filter: String,
}

impl LocalOptions {
    /// The local defaults `just up` uses: `./data`, the services' default ports, 60 simulated
    /// seconds per second.
    pub fn defaults(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            ports: Ports::defaults(),
            clock_speed: 60.0,
            otlp_endpoint: None,
            log_filter: "info".into(),
        }
    }
}

/// The running stack.
pub struct LocalStack {
    /// Where it listens.
    pub ports: Ports,
    /// Its data directory.
    pub data_dir: PathBuf,
    /// The SMTP server the notifier sends email to (a Maildir).
    pub smtp: SmtpServer,
    /// The SMS provider API the notifier posts to.
    pub sms: SmsApi,
    /// The push endpoint users register (checks Standard Webhooks signatures).
    pub push: PushReceiver,
    /// The services, in start order (stopped in reverse).
    services: Vec<ServiceProcess>,
    nats: ChildProcess,
}

impl LocalStack {
    /// Starts every part and waits until each reports ready.
    pub async fn start(options: LocalOptions) -> anyhow::Result<Self> {
        let ports = options.ports;
        ports.ensure_free()?;
        let data = options.data_dir.clone();
        let logs = data.join("logs");
        std::fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
        let nats = start_nats(&data, ports.nats, &logs).await?;
        let smtp = SmtpServer::start()
            .await
            .context("starting the SMTP server")?;
        let sms = SmsApi::start(SMS_SID, SMS_TOKEN).await?;
        let push = PushReceiver::start(PUSH_SECRET).await?;
        let mut stack = Self {
            ports,
            data_dir: data,
            smtp,
            sms,
            push,
            services: Vec::new(),
            nats,
        };
        stack.apply_streams(&options).await?;
        let plan = env::plan(&options, &stack);
        for (package, bin, env, ready) in plan {
            let service = ServiceProcess::spawn(package, bin, &env, &logs)?;
            stack.services.push(service);
            wait_ready(&ready, stack.services.last()).await?;
        }
        Ok(stack)
    }

    /// `pennyctl streams apply`, retried while NATS is still starting (exit 5).
    async fn apply_streams(&self, options: &LocalOptions) -> anyhow::Result<()> {
        let pennyctl = binary("pennyctl", "pennyctl")?;
        let url = self.nats_url();
        let logs = options.data_dir.join("logs");
        poll_until(READY, || {
            let out = Command::new(&pennyctl)
                .args(["--nats-url", &url, "streams", "apply"])
                .output();
            let logs = logs.clone();
            async move {
                let out = out.ok()?;
                let _ = std::fs::write(logs.join("streams-apply.log"), &out.stdout);
                out.status.success().then_some(())
            }
        })
        .await
        .context("pennyctl streams apply did not succeed (see data/logs/streams-apply.log)")
    }

    /// `nats://127.0.0.1:<port>`.
    pub fn nats_url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.ports.nats)
    }

    /// The sandbox's base URL.
    pub fn sandbox_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.ports.sandbox)
    }

    /// The sandbox's control API.
    pub fn sandbox(&self) -> SandboxControl {
        SandboxControl::new(self.sandbox_url())
    }

    /// Ingress's webhook URL (what Plaid calls).
    pub fn webhook_url(&self) -> String {
        format!("http://127.0.0.1:{}/webhooks/plaid", self.ports.ingress)
    }

    /// The log file of a service binary (e.g. `penny-verification`).
    pub fn log_of(&self, bin: &str) -> PathBuf {
        self.data_dir.join("logs").join(format!("{bin}.log"))
    }

    /// The logs of every service (for a failing assertion's message).
    pub fn logs(&self) -> String {
        self.services
            .iter()
            .map(|s| format!("--- {}\n{}", s.name(), s.log_tail()))
            .collect()
    }

    /// Stops the services (newest first, SIGTERM so each drains), then NATS; reports the first
    /// service that did not stop cleanly.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let mut first_error = None;
        while let Some(service) = self.services.pop() {
            if let Err(e) = service.stop().await {
                first_error.get_or_insert(e);
            }
        }
        self.nats
            .terminate(Duration::from_secs(10))
            .await
            .context("stopping nats-server")?;
        first_error.map_or(Ok(()), Err)
    }
}

/// nats-server with JetStream on `port`, its store in `<data>/nats` (kept between runs).
async fn start_nats(data: &Path, port: u16, logs: &Path) -> anyhow::Result<ChildProcess> {
    let binary = penny_testkit::find_binary("nats-server", "PENNY_NATS_SERVER")?;
    let store = data.join("nats");
    std::fs::create_dir_all(&store)?;
    let mut command = Command::new(binary);
    command
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(&store);
    let mut nats = ChildProcess::spawn(command, &logs.join("nats-server.log"))?;
    poll_until(READY, || {
        let up = std::net::TcpStream::connect(addr(port)).is_ok();
        async move { up.then_some(()) }
    })
    .await
    .with_context(|| format!("nats-server did not listen on {port}"))?;
    nats.ensure_running()?;
    Ok(nats)
}

/// Polls `url` until it answers 2xx; fails early with the log if the process exited.
async fn wait_ready(url: &str, service: Option<&ServiceProcess>) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    poll_until(READY, || {
        let request = http.get(url).send();
        async move { request.await.ok()?.status().is_success().then_some(()) }
    })
    .await
    .with_context(|| {
        format!(
            "{url} never answered 2xx; log:\n{}",
            service.map(|s| s.log_tail()).unwrap_or_default()
        )
    })
}
