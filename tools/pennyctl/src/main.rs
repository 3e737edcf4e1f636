//! `pennyctl`: penny's operator CLI. `pennyctl --help` lists the commands and the exit codes;
//! every setting is a flag or a `PENNY_*` variable.

use std::io::Write as _;

use clap::Parser as _;

mod bytes;
mod cli;
mod dlq;
mod exit;
mod funnel;
mod keys;
mod output;
mod progress;
mod replay;
mod services;
mod streams;
mod table;
mod timeline;
mod topology_args;
mod transfers;
mod when;

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
    let mut stdout = std::io::stdout().lock();
    let result = cli::run(cli, &mut stdout).await;
    let _ = stdout.flush();
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("pennyctl: {error:#}");
            exit::classify(&error).code()
        }
    }
}
