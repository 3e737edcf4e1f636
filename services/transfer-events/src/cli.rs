//! The command line: `serve` (the default), `migrate` and `reset-fence`. Dead letters of every
//! consumer are `pennyctl dlq`'s.

use penny_runtime::cli::{self, say};

use crate::app::{self, App};
use crate::config::Config;
use crate::store;

penny_runtime::service_cli! {
    name = "penny-transfer-events";
    about = "penny's transfer-events service: micro-deposit ACH events from Plaid's event sync, \
             recorded once and in order, each account's deposit state, deposit domain events.";
    config = Config;
    /// Run the service (gRPC, consumers, sync, sweep, outbox relay). The default.
    Serve,
    commands {
        /// Set the database fence back to 0 after the lease bucket was deleted (its tokens
        /// restart at 1, which the fence would refuse). Stop every replica first.
        ResetFence,
    }
}

/// Runs the command; `serve` until SIGINT/SIGTERM.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => cli::serve(App::build(config), App::run_until_stopped).await,
        Command::Migrate => cli::migrate(app::connect_db(&config)).await,
        Command::ResetFence => {
            let db = app::connect_db(&config).await?;
            let was = store::feed::reset_fence(&db, config.mode).await?;
            say(format_args!("fence of {} reset (was {was})", config.mode))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    #[test]
    fn serve_is_the_default_and_subcommands_parse() {
        let cli = Cli::try_parse_from(["penny-transfer-events"]).unwrap();
        assert_eq!(cli.command, None);
        let cli = Cli::try_parse_from(["penny-transfer-events", "reset-fence"]).unwrap();
        assert_eq!(cli.command, Some(Command::ResetFence));
        assert!(
            Cli::try_parse_from(["penny-transfer-events", "dlq", "list"]).is_err(),
            "dead letters are pennyctl's"
        );
    }
}
