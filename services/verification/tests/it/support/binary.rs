//! Running the real `penny-verification` binary (crash tests, log scans).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use anyhow::Context as _;

use super::{Stack, api_tokens};

/// A spawned binary; killed on drop.
pub struct Binary {
    child: Child,
    /// Its stdout+stderr (JSON logs).
    pub log: PathBuf,
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Options for one run.
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// `PENNY_VERIFICATION_CRASH_AT`.
    pub crash_at: Option<&'static str>,
    /// gRPC port (0: any).
    pub grpc_port: u16,
    /// `PENNY_VERIFICATION_ENCRYPTION_KEYS` (`None`: the insecure dev key).
    pub encryption_keys: Option<String>,
    /// `PENNY_LOG_FILTER`.
    pub log_filter: Option<&'static str>,
}

/// The binary's environment for `stack`, shared by every run.
fn base_command(stack: &Stack) -> Command {
    let plaid = stack.sandbox.plaid_args();
    let mut command = Command::new(env!("CARGO_BIN_EXE_penny-verification"));
    command
        .env_clear()
        .env("PENNY_VERIFICATION_DATABASE_URL", stack.db.url())
        .env("PENNY_NATS_URL", stack.nats.url())
        .env("PENNY_PLAID_BASE_URL", &plaid.plaid_base_url)
        .env("PENNY_PLAID_CLIENT_ID", &plaid.plaid_client_id)
        .env("PENNY_PLAID_SECRET", plaid.plaid_secret.expose())
        .env("PENNY_VERIFICATION_API_TOKENS", api_tokens())
        .env("PENNY_VERIFICATION_WEBHOOK_URL", stack.webhook_url())
        .env("PENNY_LOG_FORMAT", "json");
    command
}

/// Runs an operator subcommand (`migrate`, `dlq list`, ...) to completion.
pub async fn run_command(stack: &Stack, args: &[&str]) -> anyhow::Result<std::process::Output> {
    let mut command = base_command(stack);
    command.args(args).env("PENNY_LOG_FILTER", "warn");
    Ok(tokio::task::spawn_blocking(move || command.output()).await??)
}

impl Binary {
    /// Starts the binary on `stack` with JSON logs to `log` (appended).
    pub fn spawn(stack: &Stack, log: &Path, options: &RunOptions) -> anyhow::Result<Binary> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .with_context(|| format!("opening {}", log.display()))?;
        let mut command = base_command(stack);
        command
            .env(
                "PENNY_VERIFICATION_GRPC_LISTEN",
                format!("127.0.0.1:{}", options.grpc_port),
            )
            .env("PENNY_VERIFICATION_ADMIN_LISTEN", "127.0.0.1:0")
            // The default ack_wait (5 s): after a kill -9 the crash tests see the webhook come
            // back within it.
            .env("PENNY_VERIFICATION_CONSUMER_RETRY_BASE", "200ms")
            .env("PENNY_VERIFICATION_CONSUMER_RETRY_CAP", "1s")
            .env("PENNY_VERIFICATION_OUTBOX_POLL", "50ms")
            .env("PENNY_LOG_FILTER", options.log_filter.unwrap_or("info"))
            .stdin(Stdio::null())
            .stdout(file.try_clone()?)
            .stderr(file);
        if let Some(point) = options.crash_at {
            command.env("PENNY_VERIFICATION_CRASH_AT", point);
        }
        if let Some(keys) = &options.encryption_keys {
            command.env("PENNY_VERIFICATION_ENCRYPTION_KEYS", keys);
        }
        let child = command.spawn().context("spawning penny-verification")?;
        Ok(Binary {
            child,
            log: log.to_owned(),
        })
    }

    /// Waits for the process to exit by itself.
    pub async fn wait_exit(&mut self, timeout: Duration) -> anyhow::Result<ExitStatus> {
        penny_testkit::poll_until(timeout, || {
            let status = self.child.try_wait().ok().flatten();
            async move { status }
        })
        .await
        .context("the binary did not exit")
    }

    /// Sends SIGTERM and waits for a graceful exit.
    pub async fn terminate(&mut self, timeout: Duration) -> anyhow::Result<ExitStatus> {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()?;
        anyhow::ensure!(status.success(), "kill -TERM failed");
        self.wait_exit(timeout).await
    }
}
