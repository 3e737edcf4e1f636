//! The two consumers under test as child processes: the release `penny-verification` binary
//! with its environment configuration, and this bench binary again in the role of the baseline.
//! Both log to a file; both are stopped on drop.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context as _;

/// The bearer token the harness calls penny's gRPC API with (scopes link, status, numbers).
pub const API_TOKEN: &str = "bench-token-0123456789abcdef";

/// A child process with its log; SIGTERM then kill on drop.
pub struct ChildGuard {
    child: Child,
    pub log: PathBuf,
}

impl ChildGuard {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails with the log's tail when the process has exited.
    pub fn ensure_running(&mut self) -> anyhow::Result<()> {
        if let Some(status) = self.child.try_wait()? {
            anyhow::bail!(
                "{} exited ({status}); log tail:\n{}",
                self.log.display(),
                self.tail()
            );
        }
        Ok(())
    }

    /// The last 3,000 bytes of the log.
    pub fn tail(&self) -> String {
        let bytes = std::fs::read(&self.log).unwrap_or_default();
        let start = bytes.len().saturating_sub(3000);
        String::from_utf8_lossy(&bytes[start..]).into_owned()
    }

    /// SIGTERM, then up to 10 s for a graceful exit, then SIGKILL.
    pub async fn stop(mut self) {
        self.terminate().await;
    }

    /// [`ChildGuard::stop`] without giving up the guard.
    pub async fn terminate(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(self.child.id().to_string())
                .status();
            for _ in 0..100 {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Where and how penny-verification runs.
pub struct PennySettings<'a> {
    pub binary: &'a str,
    pub nats_url: &'a str,
    pub plaid_url: &'a str,
    pub plaid_client_id: &'a str,
    pub plaid_secret: &'a str,
    pub database_url: &'a str,
    pub encryption_keys: &'a str,
    pub grpc: SocketAddr,
    pub admin: SocketAddr,
}

/// Starts penny-verification with rate limits off. The rest of the environment is inherited,
/// so `PENNY_VERIFICATION_*` tuning variables reach it (`PENNY_BENCH_LOG_FILTER` sets its log
/// filter, default `warn`).
pub fn spawn_penny(s: &PennySettings<'_>, log: &Path) -> anyhow::Result<ChildGuard> {
    let file = std::fs::File::create(log)?;
    let filter = std::env::var("PENNY_BENCH_LOG_FILTER").unwrap_or_else(|_| "warn".to_owned());
    let child = Command::new(s.binary)
        .env("PENNY_NATS_URL", s.nats_url)
        .env("PENNY_PLAID_BASE_URL", s.plaid_url)
        .env("PENNY_PLAID_CLIENT_ID", s.plaid_client_id)
        .env("PENNY_PLAID_SECRET", s.plaid_secret)
        .env("PENNY_PLAID_ENVIRONMENT", "sandbox")
        .env("PENNY_VERIFICATION_DATABASE_URL", s.database_url)
        .env("PENNY_VERIFICATION_GRPC_LISTEN", s.grpc.to_string())
        .env("PENNY_VERIFICATION_ADMIN_LISTEN", s.admin.to_string())
        .env(
            "PENNY_VERIFICATION_API_TOKENS",
            format!("bench:{API_TOKEN}:link+status+numbers"),
        )
        .env("PENNY_VERIFICATION_ENCRYPTION_KEYS", s.encryption_keys)
        .env("PENNY_VERIFICATION_AUTH_GET_PER_CLIENT", "0")
        .env("PENNY_VERIFICATION_AUTH_GET_PER_ITEM", "0")
        .env("PENNY_LOG_FORMAT", "json")
        .env("PENNY_LOG_FILTER", filter)
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .spawn()
        .with_context(|| format!("spawning {}", s.binary))?;
    Ok(ChildGuard {
        child,
        log: log.to_owned(),
    })
}

/// Starts this bench binary as the baseline consumer (`PENNY_BENCH_ROLE=baseline`) with `env`.
pub fn spawn_baseline(env: &[(&str, String)], log: &Path) -> anyhow::Result<ChildGuard> {
    let file = std::fs::File::create(log)?;
    let mut command = Command::new(std::env::current_exe()?);
    command.env("PENNY_BENCH_ROLE", "baseline");
    for (k, v) in env {
        command.env(k, v);
    }
    let child = command
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file)
        .spawn()
        .context("spawning the baseline")?;
    Ok(ChildGuard {
        child,
        log: log.to_owned(),
    })
}

/// A summary of a log: how many lines, and the first few.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct LogLines {
    pub lines: usize,
    pub first: Vec<String>,
}

/// The line count and the first five lines (at most 400 bytes each) of the log at `path`.
pub fn log_lines(path: &Path) -> LogLines {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    LogLines {
        lines: text.lines().count(),
        first: text
            .lines()
            .take(5)
            .map(|l| l.chars().take(400).collect())
            .collect(),
    }
}

/// Polls `url` until it answers 200, while `child` runs (up to 60 s).
pub async fn wait_ready(child: &mut ChildGuard, url: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    for _ in 0..600 {
        child.ensure_running()?;
        if http
            .get(url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("{url} never became ready; log tail:\n{}", child.tail())
}
