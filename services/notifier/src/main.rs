//! `penny-notifier`: parses the command line, starts telemetry, runs the command.

use clap::Parser;
use penny_notifier::cli::{self, Cli};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    penny_runtime::install_crypto_provider();
    let cli = Cli::parse();
    let _telemetry = penny_telemetry::init("penny-notifier", &cli.config.telemetry)?;
    let result = cli::run(cli).await;
    if let Err(e) = &result {
        tracing::error!(error = %format!("{e:#}"), "penny-notifier failed");
    }
    result
}
