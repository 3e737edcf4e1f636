//! `penny-sandbox`: runs the Plaid API simulator until SIGINT / SIGTERM.

use clap::Parser;
use penny_sandbox::{App, Config};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let cfg = Config::parse();
    // TODO: switch to penny_telemetry::init once the telemetry crate is usable.
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&cfg.log_filter)?)
        .init();

    let app = App::build(cfg).await?;
    tracing::info!(base_url = %app.base_url(), "penny-sandbox ready");
    let shutdown = CancellationToken::new();
    tokio::spawn(cancel_on_signal(shutdown.clone()));
    app.run_until_stopped(shutdown).await
}

async fn cancel_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down");
    shutdown.cancel();
}
