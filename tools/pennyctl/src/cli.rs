//! The command line: `streams apply | show` and `dlq <consumer> list | redrive | redrive-all`.

use std::io::Write as _;

use anyhow::Context as _;
use async_nats::jetstream;
use clap::{Parser, Subcommand};
use penny_bus::DlqCommand;
use penny_config::NatsArgs;

use crate::topology_args::TopologyArgs;

/// `pennyctl`.
#[derive(Parser, Debug)]
#[command(
    name = "pennyctl",
    version,
    about = "penny's operator CLI: stream topology and dead letters."
)]
pub struct Cli {
    /// NATS connection.
    #[command(flatten)]
    pub nats: NatsArgs,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// The JetStream streams every penny service uses.
    Streams {
        /// The action.
        #[command(subcommand)]
        action: StreamsCommand,
    },
    /// One consumer's dead letters (`verification`, ...).
    Dlq {
        /// The durable consumer whose letters to act on.
        consumer: String,
        /// The action.
        #[command(subcommand)]
        action: DlqCommand,
    },
}

/// Stream actions.
#[derive(Subcommand, Debug)]
pub enum StreamsCommand {
    /// Create every stream, or bring it to these settings: the one owner of stream settings
    /// (services only create a missing stream, never change one).
    Apply {
        /// The settings.
        #[command(flatten)]
        topology: TopologyArgs,
    },
    /// Every stream's settings and state, and each consumer's lag, unacked and redelivered
    /// messages.
    Show {
        /// JSON instead of tables.
        #[arg(long)]
        json: bool,
    },
}

/// Runs the command.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let client = penny_bus::connect(&cli.nats.nats_url, "pennyctl")
        .await
        .context("connecting to NATS")?;
    let js = jetstream::new(client);
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Streams {
            action: StreamsCommand::Apply { topology },
        } => crate::streams::apply(&js, &topology.topology()?, &mut out).await,
        Command::Streams {
            action: StreamsCommand::Show { json },
        } => crate::streams::show(&js, json, &mut out).await,
        Command::Dlq { consumer, action } => {
            crate::dlq::run(&js, &consumer, &action, &mut out).await
        }
    }?;
    out.flush()?;
    Ok(())
}
