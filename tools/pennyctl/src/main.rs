//! `pennyctl`: penny's operator CLI. `pennyctl --help` lists the commands; every setting is a
//! flag or a `PENNY_*` variable.

use clap::Parser as _;

mod bytes;
mod cli;
mod dlq;
mod streams;
mod table;
mod topology_args;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    penny_runtime::install_crypto_provider();
    let cli = cli::Cli::parse();
    let telemetry = penny_config::TelemetryArgs {
        log_format: penny_config::LogFormat::Pretty,
        log_filter: "warn".to_owned(),
        otlp_endpoint: None,
    };
    let _telemetry = penny_telemetry::init("pennyctl", &telemetry);
    match cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pennyctl: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
