//! The command line: `serve` (the default), `migrate`, `rotate-keys` and `reconcile-now`. Dead letters of every
//! consumer are `pennyctl dlq`'s.

use penny_runtime::cli::{self, say};

use crate::app::{self, App};
use crate::config::Config;
use crate::store::{self, Secrets};

penny_runtime::service_cli! {
    name = "penny-verification";
    about = "penny's verification service: Plaid Link and token exchange, AUTH/ITEM webhooks, \
             verified account numbers over gRPC.";
    config = Config;
    /// Run the service (gRPC, webhook consumer, outbox relay). The default.
    Serve,
    commands {
        /// Re-encrypt every access token and account number under the active key (the first of
        /// PENNY_VERIFICATION_ENCRYPTION_KEYS), so older keys can be removed.
        RotateKeys,
        /// Make every pending account due for a reconciliation check now, then exit: after an
        /// outage longer than Plaid's 24 h of webhook retries, the running replicas' sweep asks
        /// Plaid about each of them at its next pass (within the shared budget) instead of at
        /// their scheduled time.
        ReconcileNow,
    }
}

/// Runs the command; `serve` until SIGINT/SIGTERM.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => cli::serve(App::build(config), App::run_until_stopped).await,
        Command::Migrate => cli::migrate(app::connect_db(&config)).await,
        Command::RotateKeys => {
            let secrets = Secrets::new(config.keyring()?);
            let db = app::connect_db(&config).await?;
            let report = store::rotate::rotate_keys(&db, &secrets).await?;
            say(format_args!(
                "re-sealed under key {}: {} access tokens, {} accounts' numbers ({} changed concurrently, run again)",
                secrets.active_key_id(),
                report.access_tokens,
                report.numbers,
                report.skipped
            ))
        }
        Command::ReconcileNow => {
            let db = app::connect_db(&config).await?;
            let due = store::reconcile::make_pending_due(&db, store::now()).await?;
            say(format_args!(
                "{due} pending accounts are due for a check now: the sweep asks Plaid about them \
                 within {:?} (watch penny_verification_reconcile_due_accounts fall)",
                config.reconcile.reconcile_interval
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[test]
    fn serve_is_the_default_and_subcommands_parse() {
        let cli = Cli::try_parse_from(["penny-verification"]).unwrap();
        assert_eq!(cli.command, None);
        let cli = Cli::try_parse_from(["penny-verification", "rotate-keys"]).unwrap();
        assert_eq!(cli.command, Some(Command::RotateKeys));
        let cli = Cli::try_parse_from(["penny-verification", "migrate"]).unwrap();
        assert_eq!(cli.command, Some(Command::Migrate));
        let cli = Cli::try_parse_from(["penny-verification", "reconcile-now"]).unwrap();
        assert_eq!(cli.command, Some(Command::ReconcileNow));
        let gone = Cli::try_parse_from(["penny-verification", "dlq", "list"]);
        assert!(gone.is_err(), "dead letters are pennyctl's");
    }
}
