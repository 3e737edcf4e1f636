//! The command line: `serve` (the default), `migrate`, `rotate-keys`, and
//! `dlq list | redrive <seq> | redrive-all` for this service's dead letters.

use std::io::Write as _;

use clap::{Parser, Subcommand};
use tokio_util::sync::CancellationToken;

use crate::app::{self, App};
use crate::config::Config;
use crate::store::{self, Secrets};

/// `penny-verification`.
#[derive(Parser, Debug)]
#[command(
    name = "penny-verification",
    version,
    about = "penny's verification service: Plaid Link and token exchange, AUTH/ITEM webhooks, \
             verified account numbers over gRPC."
)]
pub struct Cli {
    /// Settings (flags or PENNY_* environment variables).
    #[command(flatten)]
    pub config: Config,

    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run the service (gRPC, webhook consumer, outbox relay). The default.
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Re-encrypt every access token and account number under the active key (the first of
    /// PENNY_VERIFICATION_ENCRYPTION_KEYS), so older keys can be removed.
    RotateKeys,
    /// Inspect and redrive this service's dead-lettered webhooks.
    Dlq {
        /// The action.
        #[command(subcommand)]
        action: DlqCommand,
    },
}

/// Dead-letter actions.
#[derive(Subcommand, Debug, Clone, PartialEq, Eq)]
pub enum DlqCommand {
    /// List parked webhooks of this service's consumer.
    List {
        /// Show at most this many.
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Republish one dead letter (by its DEAD_LETTERS sequence) to its original subject.
    Redrive {
        /// Sequence in DEAD_LETTERS, as `dlq list` shows it.
        seq: u64,
    },
    /// Republish every dead letter of this service's consumer.
    RedriveAll,
}

/// Runs the command; `serve` until SIGINT/SIGTERM.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            app::connect_db(&config).await?;
            say(format_args!("migrations applied"))
        }
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
        Command::Dlq { action } => dlq(&config, action).await,
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let app = App::build(config).await?;
    let shutdown = CancellationToken::new();
    tokio::spawn(penny_telemetry::cancel_on_signal(shutdown.clone()));
    app.run_until_stopped(shutdown).await
}

async fn dlq(config: &Config, action: DlqCommand) -> anyhow::Result<()> {
    let js = app::connect_nats(config).await?;
    let dead = penny_bus::DeadLetters::new(js);
    let ours = |consumer: &Option<String>| {
        consumer.as_deref() == Some(config.consumer.consumer_name.as_str())
    };
    match action {
        DlqCommand::List { limit } => {
            let letters = dead.list(100_000).await?;
            let mut shown = 0;
            for letter in letters.iter().filter(|l| ours(&l.consumer)).take(limit) {
                shown += 1;
                say(format_args!(
                    "{seq}\t{at}\t{subject}\tdeliveries={deliveries}\t{reason}",
                    seq = letter.seq,
                    at = letter.at.map(|t| t.to_rfc3339()).unwrap_or_default(),
                    subject = letter.original_subject,
                    deliveries = letter.deliveries,
                    reason = letter.reason,
                ))?;
            }
            say(format_args!("{shown} dead letter(s)"))
        }
        DlqCommand::Redrive { seq } => {
            let letter = dead.get(seq).await?;
            anyhow::ensure!(
                ours(&letter.consumer),
                "dead letter {seq} belongs to consumer {:?}, not {}",
                letter.consumer,
                config.consumer.consumer_name
            );
            dead.redrive(seq).await?;
            say(format_args!(
                "redriven {seq} to {}",
                letter.original_subject
            ))
        }
        DlqCommand::RedriveAll => {
            let letters = dead.list(100_000).await?;
            let mut count = 0;
            for letter in letters.iter().filter(|l| ours(&l.consumer)) {
                dead.redrive(letter.seq).await?;
                count += 1;
            }
            say(format_args!("redriven {count} dead letter(s)"))
        }
    }
}

/// Writes one line to stdout (operator output, not a log line).
fn say(line: std::fmt::Arguments<'_>) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_is_the_default_and_subcommands_parse() {
        let cli = Cli::try_parse_from(["penny-verification"]).unwrap();
        assert_eq!(cli.command, None);
        let cli = Cli::try_parse_from(["penny-verification", "dlq", "redrive", "42"]).unwrap();
        assert_eq!(
            cli.command,
            Some(Command::Dlq {
                action: DlqCommand::Redrive { seq: 42 }
            })
        );
        let cli = Cli::try_parse_from(["penny-verification", "rotate-keys"]).unwrap();
        assert_eq!(cli.command, Some(Command::RotateKeys));
        let cli = Cli::try_parse_from(["penny-verification", "dlq", "redrive-all"]).unwrap();
        assert_eq!(
            cli.command,
            Some(Command::Dlq {
                action: DlqCommand::RedriveAll
            })
        );
    }
}
