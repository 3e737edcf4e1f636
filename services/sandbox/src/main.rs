//! `penny-sandbox`: runs the Plaid API simulator until SIGINT / SIGTERM.

use clap::Parser;
use penny_config::{LogFormat, TelemetryArgs};
use penny_sandbox::{App, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    penny_runtime::install_crypto_provider();
    let cfg = Config::parse();
    // A developer tool: human-readable logs.
    let telemetry = TelemetryArgs {
        log_format: LogFormat::Pretty,
        log_filter: cfg.log_filter.clone(),
        otlp_endpoint: None,
    };
    let _guard = penny_telemetry::init("penny-sandbox", &telemetry)?;

    let app = App::build(cfg).await?;
    tracing::info!(base_url = %app.base_url(), "penny-sandbox ready");
    let shutdown = penny_runtime::shutdown_on_signal();
    app.run_until_stopped(shutdown).await
}
