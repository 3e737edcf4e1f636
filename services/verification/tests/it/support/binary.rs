//! Running the real `penny-verification` binary (crash tests, log scans).

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::Duration;

use penny_testkit::ChildProcess;

use super::{Stack, api_tokens};

/// A spawned binary (testkit's [`ChildProcess`]); killed on drop.
pub struct Binary {
    process: ChildProcess,
    /// Its stdout+stderr (JSON logs).
    pub log: PathBuf,
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
            .env("PENNY_LOG_FILTER", options.log_filter.unwrap_or("info"));
        if let Some(point) = options.crash_at {
            command.env("PENNY_VERIFICATION_CRASH_AT", point);
        }
        if let Some(keys) = &options.encryption_keys {
            command.env("PENNY_VERIFICATION_ENCRYPTION_KEYS", keys);
        }
        Ok(Binary {
            process: ChildProcess::spawn(command, log)?,
            log: log.to_owned(),
        })
    }

    /// Waits for the process to exit by itself.
    pub async fn wait_exit(&mut self, timeout: Duration) -> anyhow::Result<ExitStatus> {
        self.process.wait_exit(timeout).await
    }

    /// Sends SIGTERM and waits for a graceful exit.
    pub async fn terminate(&mut self, timeout: Duration) -> anyhow::Result<ExitStatus> {
        self.process.terminate(timeout).await
    }
}
