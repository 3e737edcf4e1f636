//! Running the real `penny-transfer-events` binary (crash tests): killed at a crash point by
//! its own `--crash-at`, or on drop.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::Duration;

use anyhow::Context as _;
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
    /// `PENNY_TRANSFER_EVENTS_CRASH_AT`.
    pub crash_at: Option<&'static str>,
    /// `PENNY_TRANSFER_EVENTS_SWEEP_INTERVAL` (default `0`: off).
    pub sweep_interval: Option<&'static str>,
}

impl Binary {
    /// Starts the binary on `stack` (the test settings of `app_config`) with JSON logs to `log`.
    pub fn spawn(stack: &Stack, log: &Path, options: &RunOptions) -> anyhow::Result<Binary> {
        let plaid = stack.sandbox.plaid_args();
        let mut command = Command::new(env!("CARGO_BIN_EXE_penny-transfer-events"));
        command
            .env_clear()
            .env("PENNY_TRANSFER_EVENTS_DATABASE_URL", stack.db.url())
            .env("PENNY_NATS_URL", stack.nats.url())
            .env("PENNY_PLAID_BASE_URL", &plaid.plaid_base_url)
            .env("PENNY_PLAID_CLIENT_ID", &plaid.plaid_client_id)
            .env("PENNY_PLAID_SECRET", plaid.plaid_secret.expose())
            .env("PENNY_TRANSFER_EVENTS_API_TOKENS", api_tokens())
            .env("PENNY_TRANSFER_EVENTS_GRPC_LISTEN", "127.0.0.1:0")
            .env("PENNY_TRANSFER_EVENTS_ADMIN_LISTEN", "127.0.0.1:0")
            .env(
                "PENNY_TRANSFER_EVENTS_SWEEP_INTERVAL",
                options.sweep_interval.unwrap_or("0s"),
            )
            .env("PENNY_TRANSFER_EVENTS_CHECK_INTERVAL", "100ms")
            .env("PENNY_TRANSFER_EVENTS_LEASE_TTL", "2s")
            .env("PENNY_TRANSFER_EVENTS_CONSUMER_ACK_WAIT", "2s")
            .env("PENNY_TRANSFER_EVENTS_CONSUMER_RETRY_BASE", "100ms")
            .env("PENNY_TRANSFER_EVENTS_CONSUMER_RETRY_CAP", "1s")
            .env("PENNY_TRANSFER_EVENTS_OUTBOX_POLL", "50ms")
            .env("PENNY_LOG_FORMAT", "json")
            .env("PENNY_LOG_FILTER", "info");
        if let Some(point) = options.crash_at {
            command.env("PENNY_TRANSFER_EVENTS_CRASH_AT", point);
        }
        Ok(Binary {
            process: ChildProcess::spawn(command, log)?,
            log: log.to_owned(),
        })
    }

    /// Waits for the process to exit by itself.
    pub async fn wait_exit(&mut self, timeout: Duration) -> anyhow::Result<ExitStatus> {
        let exited = self.process.wait_exit(timeout).await;
        exited.with_context(|| {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            format!("the binary did not exit; its log:\n{log}")
        })
    }
}
