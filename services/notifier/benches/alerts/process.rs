//! The release `penny-notifier` binary as its own process (so its memory and CPU are its own),
//! configured through its `PENNY_*` environment; killed on drop ([`ChildProcess`]).

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use penny_testkit::ChildProcess;

/// The bearer token the bench calls the gRPC API with (scopes contacts and status).
pub const API_TOKEN: &str = "bench-token-0123456789abcdef";
/// The push signing secret (`whsec_` + base64 of 32 bytes).
pub const PUSH_SECRET: &str = "whsec_YmVuY2ggcHVzaCBzaWduaW5nIGtleSwgMzIgYnl0ZXMh";

/// Where the notifier connects to.
pub struct Wiring<'a> {
    pub nats_url: &'a str,
    pub database_url: &'a str,
    pub smtp_port: u16,
    pub concurrency: usize,
}

/// A running notifier.
pub struct Notifier {
    process: ChildProcess,
    pub grpc: SocketAddr,
}

impl Notifier {
    /// Starts it with email and push, logging to `log`, and waits until `/readyz` answers 200.
    pub async fn start(w: &Wiring<'_>, log: &Path) -> anyhow::Result<Self> {
        let addr = || -> anyhow::Result<SocketAddr> {
            Ok(SocketAddr::from((
                [127, 0, 0, 1],
                penny_testkit::free_port()?,
            )))
        };
        let (grpc, admin, public) = (addr()?, addr()?, addr()?);
        let mut command = Command::new(env!("CARGO_BIN_EXE_penny-notifier"));
        command
            .env_clear()
            .env("PENNY_NATS_URL", w.nats_url)
            .env("PENNY_NOTIFIER_DATABASE_URL", w.database_url)
            .env(
                "PENNY_NOTIFIER_API_TOKENS",
                format!("bench:{API_TOKEN}:contacts+status"),
            )
            .env("PENNY_NOTIFIER_GRPC_LISTEN", grpc.to_string())
            .env("PENNY_NOTIFIER_ADMIN_LISTEN", admin.to_string())
            .env("PENNY_NOTIFIER_PUBLIC_LISTEN", public.to_string())
            .env("PENNY_NOTIFIER_CHANNELS", "email,push")
            .env("PENNY_NOTIFIER_SMTP_PORT", w.smtp_port.to_string())
            .env("PENNY_NOTIFIER_PUSH_SIGNING_SECRET", PUSH_SECRET)
            .env("PENNY_NOTIFIER_SEND_CONCURRENCY", w.concurrency.to_string())
            .env("PENNY_LOG_FILTER", "warn");
        let mut notifier = Self {
            process: ChildProcess::spawn(command, log)?,
            grpc,
        };
        let ready = format!("http://{admin}/readyz");
        let outcome = penny_testkit::poll_until(Duration::from_secs(60), || {
            let exited = notifier.process.ensure_running().is_err();
            let ready = ready.clone();
            async move {
                if exited {
                    return Some(false);
                }
                let status = reqwest::get(&ready).await.ok()?.status();
                status.is_success().then_some(true)
            }
        })
        .await;
        match outcome {
            Ok(true) => Ok(notifier),
            _ => Err(anyhow::anyhow!(
                "penny-notifier did not get ready; log tail:\n{}",
                notifier.process.log_tail()
            )),
        }
    }

    /// The process's peak resident set (`VmHWM`) in MiB.
    pub fn peak_rss_mib(&self) -> anyhow::Result<f64> {
        penny_testkit::peak_rss_mib(self.process.pid())
    }

    /// CPU time (user + system) the process has used so far.
    pub fn cpu(&self) -> anyhow::Result<Duration> {
        Ok(Duration::from_secs_f64(penny_testkit::cpu_seconds(
            self.process.pid(),
        )?))
    }

    /// Fails with the log's tail if the process exited.
    pub fn ensure_running(&mut self) -> anyhow::Result<()> {
        self.process.ensure_running()
    }
}
