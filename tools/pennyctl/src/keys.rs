//! `pennyctl keys rotate`: re-seals every secret under the newest key, across the services
//! that hold secrets, with each service's own rotation: verification's `store::rotate` (access
//! tokens and account numbers, the same code as `penny-verification rotate-keys`) and the
//! notifier's `store::rotate` (contact data, the same code as `penny-notifier rotate-keys`). It
//! reads each service's database URL and keyring from the service's own variables
//! (`PENNY_VERIFICATION_DATABASE_URL`, `PENNY_VERIFICATION_ENCRYPTION_KEYS`,
//! `PENNY_NOTIFIER_DATABASE_URL`, `PENNY_NOTIFIER_ENCRYPTION_KEYS`), so it runs with the
//! services' secrets as a one-off job. Both keyrings are checked before anything changes. Rows
//! changed concurrently are skipped and counted: run it again.

use anyhow::Context as _;
use clap::{Args, Subcommand};
use penny_config::Secret;
use penny_notifier::store::contacts::AddressBook;
use penny_store::Keyring;
use penny_verification::store::{self, Secrets};
use serde_json::json;

use crate::exit::{Exit, Failure};
use crate::output::Output;
use crate::progress;

/// Key actions.
#[derive(Subcommand, Debug)]
pub enum KeysAction {
    /// Re-seal every access token and account number (verification) and every contact address
    /// (notifier) under the first key of each service's keyring.
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
    /// The notifier's database (its own variable).
    #[arg(long, env = "PENNY_NOTIFIER_DATABASE_URL", hide_env_values = true)]
    pub notifier_database_url: Secret<String>,
    /// The notifier's keyring, `k2:<base64>,k1:<base64>`: the first seals, all open.
    #[arg(long, env = "PENNY_NOTIFIER_ENCRYPTION_KEYS", hide_env_values = true)]
    pub notifier_encryption_keys: Secret<String>,
}

/// A keyring from `variable`'s value; a malformed one is refused (exit 4), never echoed.
fn keyring(variable: &str, spec: &Secret<String>) -> anyhow::Result<Keyring> {
    Keyring::parse(spec.expose())
        .map_err(|e| Failure::error(Exit::Refused, format!("{variable}: {e}")))
}

/// Runs `action`.
pub async fn run(action: KeysAction, out: &mut Output<'_>) -> anyhow::Result<()> {
    let KeysAction::Rotate(args) = action;
    let secrets = Secrets::new(keyring(
        "PENNY_VERIFICATION_ENCRYPTION_KEYS",
        &args.verification_encryption_keys,
    )?);
    let book = AddressBook::new(keyring(
        "PENNY_NOTIFIER_ENCRYPTION_KEYS",
        &args.notifier_encryption_keys,
    )?);
    let bar = progress::bar(Some(2), "re-sealing the services' secrets", out.json);
    let db = store::connect(args.verification_database_url.expose()).await?;
    let verification = store::rotate::rotate_keys(&db, &secrets)
        .await
        .context("rotating verification's keys")?;
    bar.inc(1);
    let db = penny_notifier::store::connect(args.notifier_database_url.expose()).await?;
    let notifier = penny_notifier::store::rotate::rotate_keys(
        &db,
        &book,
        penny_notifier::store::rotate::BATCH,
    )
    .await
    .context("rotating the notifier's keys")?;
    bar.inc(1);
    bar.finish_and_clear();
    let value = json!({
        "services": [
            {
                "service": "verification",
                "active_key": secrets.active_key_id(),
                "access_tokens": verification.access_tokens,
                "numbers": verification.numbers,
                "skipped": verification.skipped,
            },
            {
                "service": "notifier",
                "active_key": book.active_key_id(),
                "contacts": notifier.contacts,
                "skipped": notifier.skipped,
            }
        ]
    });
    out.emit(&value, |w| {
        writeln!(
            w,
            "verification: re-sealed under key {}: {} access tokens, {} accounts' numbers ({} changed concurrently: run again)",
            secrets.active_key_id(),
            verification.access_tokens,
            verification.numbers,
            verification.skipped
        )?;
        writeln!(
            w,
            "notifier: re-sealed under key {}: {} contacts ({} changed concurrently: run again)",
            book.active_key_id(),
            notifier.contacts,
            notifier.skipped
        )
    })
}
