//! The command line: `streams`, `dlq`, `webhooks`, `transfers`, `account`, `keys`, `funnel`.
//! Tables by default, `--json` for scripts (one document on stdout), progress bars on stderr,
//! and the exit codes of [`crate::exit`].

use anyhow::Context as _;
use async_nats::jetstream;
use clap::{Parser, Subcommand};
use penny_config::NatsArgs;

use crate::dlq::DlqAction;
use crate::funnel::FunnelArgs;
use crate::keys::KeysAction;
use crate::output::{Output, note};
use crate::replay::WebhooksAction;
use crate::timeline::TimelineArgs;
use crate::topology_args::TopologyArgs;
use crate::transfers::TransfersAction;

/// What `--help` says about exit codes.
const EXIT_CODES: &str = "Exit codes: 0 done, 1 failed, 2 usage, 3 not found, \
4 refused (invalid argument, precondition, permission, unsupported), 5 unavailable (NATS, a \
service or a database unreachable: retry), 6 partial (some items failed or some sources were \
unavailable; the output says which).";

/// `pennyctl`.
#[derive(Parser, Debug)]
#[command(
    name = "pennyctl",
    version,
    about = "penny's operator CLI: streams, dead letters, webhook replay, transfer resync, \
             account timelines, key rotation and the Link funnel.",
    after_help = EXIT_CODES
)]
pub struct Cli {
    /// NATS connection (streams, dead letters, replay, trace ids).
    #[command(flatten)]
    pub nats: NatsArgs,

    /// One JSON document on stdout instead of tables (no progress bars).
    #[arg(long, global = true)]
    pub json: bool,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// The JetStream streams every penny service uses.
    Streams {
        #[command(subcommand)]
        action: StreamsCommand,
    },
    /// Dead letters of every consumer: list, show, redrive, purge.
    Dlq {
        #[command(subcommand)]
        action: DlqAction,
    },
    /// Webhooks in PLAID_WEBHOOKS.
    Webhooks {
        #[command(subcommand)]
        action: WebhooksAction,
    },
    /// ACH events (transfer-events).
    Transfers {
        #[command(subcommand)]
        action: TransfersAction,
    },
    /// One account across the services.
    Account {
        #[command(subcommand)]
        action: AccountCommand,
    },
    /// Encryption keys of the services that hold secrets.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// The Link micro-deposit funnel (verification's GetLinkFunnel).
    Funnel(FunnelArgs),
}

/// Stream actions.
#[derive(Subcommand, Debug)]
pub enum StreamsCommand {
    /// Create every stream, or bring it to these settings: the one owner of stream settings
    /// (services only create a missing stream, never change one).
    Apply {
        #[command(flatten)]
        topology: TopologyArgs,
    },
    /// Every stream's settings and state, and each consumer's lag, unacked and redelivered
    /// messages.
    Show,
}

/// Account actions.
#[derive(Subcommand, Debug)]
pub enum AccountCommand {
    /// Every webhook, status change, ACH event and alert of the account in time order, starting
    /// with its Link session, with the trace id of each step where known.
    Timeline(TimelineArgs),
}

async fn nats(args: &NatsArgs) -> anyhow::Result<jetstream::Context> {
    let client = penny_bus::connect(&args.nats_url, "pennyctl")
        .await
        .context("connecting to NATS")?;
    Ok(jetstream::new(client))
}

/// Runs the command, writing its result to `out`.
pub async fn run(cli: Cli, out: &mut dyn std::io::Write) -> anyhow::Result<()> {
    let mut out = Output {
        json: cli.json,
        out,
    };
    match cli.command {
        Command::Streams { action } => {
            let js = nats(&cli.nats).await?;
            match action {
                StreamsCommand::Apply { topology } => {
                    crate::streams::apply(&js, &topology.topology()?, out.out).await
                }
                StreamsCommand::Show => crate::streams::show(&js, out.json, out.out).await,
            }
        }
        Command::Dlq { action } => crate::dlq::run(&nats(&cli.nats).await?, action, &mut out).await,
        Command::Webhooks { action } => {
            crate::replay::run(&nats(&cli.nats).await?, action, &mut out).await
        }
        Command::Transfers { action } => crate::transfers::run(action, &mut out).await,
        Command::Account {
            action: AccountCommand::Timeline(args),
        } => {
            // NATS only adds trace ids: a timeline without them beats none.
            let js = match nats(&cli.nats).await {
                Ok(js) => Some(js),
                Err(error) => {
                    note(format_args!("no trace ids: {error:#}"));
                    None
                }
            };
            crate::timeline::run(args, js.as_ref(), &mut out).await
        }
        Command::Keys { action } => crate::keys::run(action, &mut out).await,
        Command::Funnel(args) => crate::funnel::run(args, &mut out).await,
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::*;

    #[test]
    fn every_command_parses_and_has_help() {
        Cli::command().debug_assert();
        for args in [
            &[
                "pennyctl",
                "dlq",
                "list",
                "--consumer",
                "verification",
                "--since",
                "2h",
            ][..],
            &["pennyctl", "dlq", "redrive", "3", "4"],
            &["pennyctl", "dlq", "redrive", "--all"],
            &[
                "pennyctl", "--json", "dlq", "purge", "--since", "1h", "--yes",
            ],
            &[
                "pennyctl", "webhooks", "replay", "--from", "2h", "--type", "AUTH",
            ],
            &["pennyctl", "transfers", "resync", "--after-id", "0"],
            &["pennyctl", "account", "timeline", "acc-1"],
            &["pennyctl", "funnel", "--flow", "same-day", "--json"],
        ] {
            Cli::try_parse_from(args).unwrap();
        }
        // A redrive names letters or a selection.
        assert!(Cli::try_parse_from(["pennyctl", "dlq", "redrive"]).is_err());
        assert!(Cli::try_parse_from(["pennyctl", "dlq", "redrive", "3", "--all"]).is_err());
        assert!(
            Cli::try_parse_from([
                "pennyctl", "webhooks", "replay", "--code", "X", "--from", "1h"
            ])
            .is_err()
        );
    }
}
