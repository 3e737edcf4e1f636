//! [`LocalStack`]: the whole of penny on one machine as real processes, the way `just up`
//! runs it: nats-server (JetStream, its store under the data directory), the Plaid sandbox on a
//! fast clock, the streams applied by `pennyctl streams apply` (their one owner), ingress,
//! verification, transfer-events and the notifier (SQLite files under the data directory), a
//! real SMTP server and SMS/push receivers so every alert can be seen. Stopping it (or dropping
//! it) stops every part, services first; starting it again on the same directory resumes with
//! the same data (the sandbox, an in-memory simulator, starts afresh). For benchmarks and the
//! fault suite it also runs release binaries, PostgreSQL, several verification replicas, and
//! crashes and restarts any part ([`LocalStack::kill`], [`LocalStack::restart`],
//! [`LocalStack::kill_nats`]).

mod env;
mod feed;
mod options;
mod ports;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;
use penny_testkit::{ChildProcess, PushReceiver, SandboxControl, SmsApi, SmtpServer, poll_until};

pub use env::Launch;
pub use feed::AlertFeed;
pub use options::LocalOptions;
pub use ports::{Ports, addr};

pub use crate::process::Profile;
use crate::process::{ServiceProcess, binary, binary_of};

/// How long one part may take to report ready.
const READY: Duration = Duration::from_secs(60);
/// The SMS provider account the notifier sends through (the local receiver accepts it).
const SMS_SID: &str = "AClocal";
const SMS_TOKEN: &str = "local-sms-token";
/// The push signing secret (`whsec_` + base64 of 32 bytes): local only.
pub const PUSH_SECRET: &str = "whsec_cGVubnkgbG9jYWwgc3RhY2sgcHVzaCBzZWNyZXQhIQ==";
/// The Plaid client id every service (and a harness calling the sandbox itself) uses.
pub const PLAID_CLIENT_ID: &str = "penny-sandbox-client";
/// Its secret (the sandbox accepts any; local only).
pub const PLAID_SECRET: &str = "penny-sandbox-secret";
/// Every service's development token (accepted outside production only).
pub const DEV_TOKEN: &str = "penny-insecure-dev-token";

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
    /// The services, in start order (stopped in reverse), each with how it was started;
    /// `None` while killed.
    services: Vec<(Launch, Option<ServiceProcess>)>,
    profile: Profile,
    nats: Option<ChildProcess>,
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
        let databases = env::databases(&options).await?;
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
            profile: options.profile,
            nats: Some(nats),
        };
        stack.apply_streams(&options).await?;
        for launch in env::plan(&options, &stack, &databases)? {
            let service = stack.spawn(&launch).await?;
            stack.services.push((launch, Some(service)));
        }
        Ok(stack)
    }

    /// Starts one process of the plan and waits until it is ready.
    async fn spawn(&self, launch: &Launch) -> anyhow::Result<ServiceProcess> {
        let path = binary_of(self.profile, launch.package, launch.bin)?;
        let log = self
            .data_dir
            .join("logs")
            .join(format!("{}.log", launch.name));
        let mut service = ServiceProcess::spawn_path(&path, &launch.name, &launch.env, &log)?;
        wait_ready(&launch.ready, &mut service).await?;
        Ok(service)
    }

    /// The running processes by name (`penny-sandbox`, `penny-ingress`, `penny-verification`,
    /// `penny-verification-2`, …, `nats-server`) and their process ids.
    pub fn pids(&self) -> Vec<(String, u32)> {
        let mut pids: Vec<(String, u32)> = self
            .services
            .iter()
            .filter_map(|(launch, p)| Some((launch.name.clone(), p.as_ref()?.pid()?)))
            .collect();
        if let Some(nats) = &self.nats {
            pids.push(("nats-server".into(), nats.pid()));
        }
        if let Some(smtp) = self.smtp.pid() {
            pids.push(("aiosmtpd (SMTP receiver)".into(), smtp));
        }
        pids
    }

    /// Every running service's Prometheus endpoint (`/metrics` beside its `/readyz`).
    pub fn metrics_urls(&self) -> Vec<String> {
        self.services
            .iter()
            .filter(|(_, p)| p.is_some())
            .filter_map(|(launch, _)| launch.ready.strip_suffix("/readyz"))
            .map(|base| format!("{base}/metrics"))
            .collect()
    }

    /// The names of the running services whose binary is `bin` (every replica).
    pub fn replicas(&self, bin: &str) -> Vec<String> {
        self.services
            .iter()
            .filter(|(launch, p)| launch.bin == bin && p.is_some())
            .map(|(launch, _)| launch.name.clone())
            .collect()
    }

    /// SIGKILL of the service `name` (a crash: nothing drained or flushed); it stays down until
    /// [`restart`](Self::restart).
    pub async fn kill(&mut self, name: &str) -> anyhow::Result<()> {
        let (_, process) = self
            .services
            .iter_mut()
            .find(|(launch, _)| launch.name == name)
            .with_context(|| format!("no service {name}"))?;
        let process = process
            .take()
            .with_context(|| format!("{name} is not running"))?;
        process.kill().await
    }

    /// Starts the killed service `name` again exactly as before (same ports, database and
    /// settings; its log continues) and waits until it is ready.
    pub async fn restart(&mut self, name: &str) -> anyhow::Result<()> {
        let index = self
            .services
            .iter()
            .position(|(launch, _)| launch.name == name)
            .with_context(|| format!("no service {name}"))?;
        anyhow::ensure!(self.services[index].1.is_none(), "{name} is running");
        let launch = self.services[index].0.clone();
        let process = self.spawn(&launch).await?;
        self.services[index].1 = Some(process);
        Ok(())
    }

    /// Fails, naming it, when a service that should run has exited.
    pub fn ensure_running(&mut self) -> anyhow::Result<()> {
        for (launch, process) in &mut self.services {
            if let Some(p) = process
                && !p.is_running()
            {
                anyhow::bail!("{} exited:\n{}", launch.name, p.log_tail());
            }
        }
        Ok(())
    }

    /// SIGKILL of nats-server (an outage; its store stays): ingress answers 503 and the
    /// services reconnect once [`start_nats`](Self::start_nats) brings it back.
    pub async fn kill_nats(&mut self) -> anyhow::Result<()> {
        let mut nats = self.nats.take().context("nats-server is not running")?;
        nats.kill().await
    }

    /// Starts nats-server again on the same port with the same store.
    pub async fn start_nats(&mut self) -> anyhow::Result<()> {
        anyhow::ensure!(self.nats.is_none(), "nats-server is running");
        let logs = self.data_dir.join("logs");
        self.nats = Some(start_nats(&self.data_dir, self.ports.nats, &logs).await?);
        Ok(())
    }

    /// `pennyctl streams apply` (with the options' `pennyctl` settings, e.g.
    /// `PENNY_STREAMS_WEBHOOKS_MAX_BYTES`), retried while NATS is still starting (exit 5).
    async fn apply_streams(&self, options: &LocalOptions) -> anyhow::Result<()> {
        let pennyctl = binary("pennyctl", "pennyctl")?;
        let url = self.nats_url();
        let logs = options.data_dir.join("logs");
        let env: Vec<(&str, &str)> = options
            .env
            .iter()
            .filter(|(bin, _, _)| *bin == "pennyctl")
            .map(|(_, key, value)| (*key, value.as_str()))
            .collect();
        poll_until(READY, || {
            let out = Command::new(&pennyctl)
                .args(["--nats-url", &url, "streams", "apply"])
                .envs(env.iter().copied())
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
            .filter_map(|(_, s)| s.as_ref())
            .map(|s| format!("--- {}\n{}", s.name(), s.log_tail()))
            .collect()
    }

    /// Stops the services (newest first, SIGTERM so each drains), then NATS; reports the first
    /// service that did not stop cleanly.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let mut first_error = None;
        while let Some((_, service)) = self.services.pop() {
            if let Some(service) = service
                && let Err(e) = service.stop().await
            {
                first_error.get_or_insert(e);
            }
        }
        if let Some(mut nats) = self.nats.take() {
            nats.terminate(Duration::from_secs(10))
                .await
                .context("stopping nats-server")?;
        }
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

/// Polls `url` until it answers 2xx; fails at once, with the log, if the process exited (a port
/// taken between choosing it and binding it, a bad setting). Each probe has its own short
/// deadline: a port answered by something that never replies must not stall the wait.
async fn wait_ready(url: &str, service: &mut ServiceProcess) -> anyhow::Result<()> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()?;
    let mut exited = false;
    poll_until(READY, || {
        exited = !service.is_running();
        let gone = exited;
        let request = http.get(url).send();
        async move {
            if gone {
                return Some(());
            }
            request.await.ok()?.status().is_success().then_some(())
        }
    })
    .await
    .with_context(|| format!("{url} never answered 2xx; log:\n{}", service.log_tail()))?;
    anyhow::ensure!(
        !exited,
        "{} exited before it was ready; log:\n{}",
        service.name(),
        service.log_tail()
    );
    Ok(())
}
