//! `pennyctl keys rotate`: re-seals every secret under the newest key, across the services
//! that hold secrets, with each service's own rotation (verification's `store::rotate`, the
//! same code as `penny-verification rotate-keys`). It reads each service's database URL and
//! keyring from the service's own variables (`PENNY_VERIFICATION_DATABASE_URL`,
//! `PENNY_VERIFICATION_ENCRYPTION_KEYS`), so it runs with the service's secret as a one-off
//! job. Rows changed concurrently are skipped and counted: run it again.
//!
//! The notifier seals contact data too but has no rotation yet; it is reported as skipped.

use anyhow::Context as _;
use clap::{Args, Subcommand};
use penny_config::Secret;
use penny_store::Keyring;
use penny_verification::store::{self, Secrets};
use serde_json::json;

use crate::output::Output;
use crate::progress;

/// Key actions.
#[derive(Subcommand, Debug)]
pub enum KeysAction {
    /// Re-seal every access token and account number (and, once they rotate, the other
    /// services' secrets) under the first key of each service's keyring.
    Rotate(RotateArgs),
}

/// Each service's database and keyring.
#[derive(Args, Debug)]
pub struct RotateArgs {
    /// Verification's database (its own variable).
    #[arg(long, env = "PENNY_VERIFICATION_DATABASE_URL", hide_env_values = true)]
    pub verification_database_url: Secret<String>,
    /// Verification's keyring, `k2:<base64>,k1:<base64>`: the first seals, all open.
    #[arg(
        long,
        env = "PENNY_VERIFICATION_ENCRYPTION_KEYS",
        hide_env_values = true
    )]
    pub verification_encryption_keys: Secret<String>,
}

/// Runs `action`.
pub async fn run(action: KeysAction, out: &mut Output<'_>) -> anyhow::Result<()> {
    let KeysAction::Rotate(args) = action;
    let keyring = Keyring::parse(args.verification_encryption_keys.expose()).map_err(|e| {
        crate::exit::Failure::error(
            crate::exit::Exit::Refused,
            format!("PENNY_VERIFICATION_ENCRYPTION_KEYS: {e}"),
        )
    })?;
    let secrets = Secrets::new(keyring);
    let bar = progress::bar(Some(1), "re-sealing verification's secrets", out.json);
    let db = store::connect(args.verification_database_url.expose()).await?;
    let report = store::rotate::rotate_keys(&db, &secrets)
        .await
        .context("rotating verification's keys")?;
    bar.inc(1);
    bar.finish_and_clear();
    let value = json!({
        "services": [
            {
                "service": "verification",
                "active_key": secrets.active_key_id(),
                "access_tokens": report.access_tokens,
                "numbers": report.numbers,
                "skipped": report.skipped,
            },
            {
                "service": "notifier",
                "skipped_service": "penny-notifier has no key rotation yet",
            }
        ]
    });
    out.emit(&value, |w| {
        writeln!(
            w,
            "verification: re-sealed under key {}: {} access tokens, {} accounts' numbers ({} changed concurrently: run again)",
            secrets.active_key_id(),
            report.access_tokens,
            report.numbers,
            report.skipped
        )?;
        writeln!(w, "notifier: skipped (penny-notifier has no key rotation yet)")
    })
}
