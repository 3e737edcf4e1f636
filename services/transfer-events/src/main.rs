//! `penny-transfer-events`: parses the command line, starts telemetry, runs the command.

use clap::Parser;
use penny_transfer_events::cli::{self, Cli};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    penny_runtime::install_crypto_provider();
    let cli = Cli::parse();
    let _telemetry = penny_telemetry::init("penny-transfer-events", &cli.config.telemetry)?;
    let result = cli::run(cli).await;
    if let Err(e) = &result {
        tracing::error!(error = %format!("{e:#}"), "penny-transfer-events failed");
    }
    result
}
