//! Running the real `penny-notifier` binary (crash tests): the same settings as
//! [`super::Env::config`], through its `PENNY_*` environment.

use std::path::Path;
use std::process::Command;

use penny_testkit::ChildProcess;

use super::{Env, PUSH_SECRET, SMS_SID, SMS_TOKEN, api_tokens};

/// Starts the binary on `env` (business time is the real clock), with `PENNY_NOTIFIER_*`
/// overrides in `extra`, logging to `log`; killed on drop.
pub fn spawn(env: &Env, log: &Path, extra: &[(&str, &str)]) -> anyhow::Result<ChildProcess> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_penny-notifier"));
    command
        .env_clear()
        .env("PENNY_NATS_URL", env.nats.url())
        .env("PENNY_NOTIFIER_DATABASE_URL", env.db.url())
        .env("PENNY_NOTIFIER_API_TOKENS", api_tokens())
        .env("PENNY_NOTIFIER_GRPC_LISTEN", "127.0.0.1:0")
        .env("PENNY_NOTIFIER_ADMIN_LISTEN", "127.0.0.1:0")
        .env("PENNY_NOTIFIER_PUBLIC_LISTEN", "127.0.0.1:0")
        .env("PENNY_NOTIFIER_SMTP_PORT", env.smtp.port().to_string())
        .env("PENNY_NOTIFIER_SMS_BASE_URL", env.sms.base_url())
        .env("PENNY_NOTIFIER_SMS_ACCOUNT_SID", SMS_SID)
        .env("PENNY_NOTIFIER_SMS_AUTH_TOKEN", SMS_TOKEN)
        .env("PENNY_NOTIFIER_PUSH_SIGNING_SECRET", PUSH_SECRET)
        .env("PENNY_NOTIFIER_CONSUMER_RETRY_BASE", "100ms")
        .env("PENNY_NOTIFIER_CONSUMER_RETRY_CAP", "500ms")
        .env("PENNY_NOTIFIER_CONSUMER_ACK_WAIT", "2s")
        .env("PENNY_NOTIFIER_CLAIM_TTL", "3s")
        .env("PENNY_NOTIFIER_RECONCILE_AFTER", "200ms")
        .env("PENNY_NOTIFIER_SCHEDULER_POLL", "100ms")
        .env("PENNY_NOTIFIER_SCHEDULER_LEASE_TTL", "2s")
        .env("PENNY_LOG_FORMAT", "json")
        .env("PENNY_LOG_FILTER", "info");
    for (name, value) in extra {
        command.env(name, value);
    }
    ChildProcess::spawn(command, log)
}
