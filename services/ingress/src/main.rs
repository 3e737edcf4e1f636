//! `penny-ingress`: the Plaid webhook receiver. Configuration comes from flags or `PENNY_*`
//! environment variables (`penny-ingress --help`); SIGTERM/SIGINT shut it down gracefully.

use clap::Parser as _;
use penny_ingress::{App, Config};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    penny_runtime::install_crypto_provider();
    let cfg = Config::parse();
    let _telemetry = penny_telemetry::init("penny-ingress", &cfg.telemetry)?;
    let app = App::build(cfg).await.inspect_err(|e| {
        tracing::error!(error = format!("{e:#}"), "penny-ingress failed to start");
    })?;
    let shutdown = penny_runtime::shutdown_on_signal();
    app.run_until_stopped(shutdown).await
}
