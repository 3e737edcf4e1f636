//! The command line: `serve` (the default), `migrate`, `rotate-keys`, and `alerts unknown |
//! resolve <id> <sent|failed|resend>` for alerts whose outcome is unknown. Dead letters of every consumer are
//! `pennyctl dlq`'s.

use std::sync::Arc;

use clap::{Subcommand, ValueEnum};
use penny_runtime::cli::{self, say};

use crate::app::{self, App};
use crate::channels::Transports;
use crate::clock::SystemClock;
use crate::config::Config;
use crate::domain::Resolution;
use crate::metrics::Metrics;
use crate::store::contacts::AddressBook;
use crate::store::rotate;

penny_runtime::service_cli! {
    name = "penny-notifier";
    about = "penny's notifier: domain events to alerts over email, SMS and signed push, once, \
             at the right time.";
    config = Config;
    /// Run the service. The default.
    Serve,
    commands {
        /// Re-seal every contact address not sealed under the first key of
        /// PENNY_NOTIFIER_ENCRYPTION_KEYS, then exit (idempotent; safe while the service runs).
        RotateKeys,
        /// Alerts whose outcome is unknown.
        Alerts {
            /// The action.
            #[command(subcommand)]
            action: AlertsCommand,
        },
    }
}

/// What to do with unknown alerts.
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum AlertsCommand {
    /// List them, oldest first.
    Unknown,
    /// Settle one: the person got it (`sent`), give up (`failed`), or send again (`resend`,
    /// accepting the risk of a second message).
    Resolve {
        /// The alert id.
        id: String,
        /// The verdict.
        verdict: Verdict,
    },
}

/// An operator's verdict.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The person got it.
    Sent,
    /// Give up.
    Failed,
    /// Send it again.
    Resend,
}

/// Runs the command; `serve` until SIGINT/SIGTERM.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => cli::serve(App::build(config), App::run_until_stopped).await,
        Command::Migrate => cli::migrate(app::connect_db(&config)).await,
        Command::RotateKeys => {
            let book = AddressBook::new(config.keyring()?);
            let db = app::connect_db(&config).await?;
            let report = rotate::rotate_keys(&db, &book, rotate::BATCH).await?;
            say(format_args!(
                "re-sealed under key {}: {} contacts ({} changed concurrently, run again)",
                book.active_key_id(),
                report.contacts,
                report.skipped
            ))
        }
        Command::Alerts { action } => alerts(config, action).await,
    }
}

async fn alerts(config: Config, action: AlertsCommand) -> anyhow::Result<()> {
    config.check_production()?;
    let db = app::connect_db(&config).await?;
    let (_, metrics) = Metrics::new();
    let notifier = app::core(
        &config,
        db,
        Arc::new(SystemClock),
        Transports::default(),
        metrics,
    )?;
    match action {
        AlertsCommand::Unknown => {
            for row in notifier.unknown_alerts(1000).await? {
                say(format_args!(
                    "{}  {}  {}  {}  attempts={}  {}",
                    row.id,
                    row.channel,
                    row.kind,
                    row.updated_at.to_rfc3339(),
                    row.attempts,
                    row.last_error.unwrap_or_default()
                ))?;
            }
            Ok(())
        }
        AlertsCommand::Resolve { id, verdict } => {
            let resolution = match verdict {
                Verdict::Sent => Resolution::Sent,
                Verdict::Failed => Resolution::Failed,
                Verdict::Resend => Resolution::Resend,
            };
            let state = notifier.resolve(&id, resolution).await?;
            say(format_args!("alert {id} is now {}", state.as_str()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[test]
    fn serve_is_the_default_and_subcommands_parse() {
        assert_eq!(
            Cli::try_parse_from(["penny-notifier"]).unwrap().command,
            None
        );
        assert!(
            Cli::try_parse_from(["penny-notifier", "dlq", "list"]).is_err(),
            "dead letters are pennyctl's"
        );
        assert_eq!(
            Cli::try_parse_from(["penny-notifier", "rotate-keys"])
                .unwrap()
                .command,
            Some(Command::RotateKeys)
        );
        let cli =
            Cli::try_parse_from(["penny-notifier", "alerts", "resolve", "a-1", "resend"]).unwrap();
        assert_eq!(
            cli.command,
            Some(Command::Alerts {
                action: AlertsCommand::Resolve {
                    id: "a-1".into(),
                    verdict: Verdict::Resend
                }
            })
        );
    }
}
