//! `penny-up` (`just up`): the whole of penny on local defaults, as real processes: nats-server,
//! the Plaid sandbox on a fast clock, the streams applied, ingress, verification,
//! transfer-events and the notifier (SQLite under `./data`), a local SMTP server and SMS/push
//! receivers. Prints every address, then every alert as it arrives, until Ctrl-C, which stops
//! everything cleanly; a second run resumes with the same data.

#![allow(clippy::print_stdout)] // printing the addresses and alerts is this binary's job

use std::path::PathBuf;
use std::time::Duration;

use penny_e2e::local::{AlertFeed, LocalOptions, LocalStack};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    penny_runtime::install_crypto_provider();
    let data =
        std::env::var_os("PENNY_DATA_DIR").map_or_else(|| PathBuf::from("data"), PathBuf::from);
    let mut options = LocalOptions::defaults(std::path::absolute(&data)?);
    // PENNY_UP_PORTS=free: every part on a free port (tests, or beside another stack).
    if std::env::var("PENNY_UP_PORTS").is_ok_and(|v| v == "free") {
        options.ports = penny_e2e::local::Ports::free()?;
    }
    options.otlp_endpoint = std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok();
    println!("starting penny under {} …", options.data_dir.display());
    let stack = LocalStack::start(options).await?;
    print_addresses(&stack);
    let stop = penny_runtime::shutdown_on_signal();
    let mut feed = AlertFeed::default();
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            () = stop.cancelled() => break,
            _ = tick.tick() => {
                for line in feed.new_lines(&stack) {
                    println!("alert  {line}");
                }
            }
        }
    }
    println!("stopping …");
    stack.stop().await?;
    println!("stopped; `just up` resumes with the same data (rm -rf data to start afresh)");
    Ok(())
}

fn print_addresses(stack: &LocalStack) {
    let p = stack.ports;
    let rows = [
        ("NATS (JetStream)", stack.nats_url()),
        ("Plaid sandbox", stack.sandbox_url()),
        ("ingress (Plaid webhooks)", stack.webhook_url()),
        (
            "verification gRPC",
            format!(
                "127.0.0.1:{}  (penny.v1.VerificationService)",
                p.verification_grpc
            ),
        ),
        (
            "transfer-events gRPC",
            format!(
                "127.0.0.1:{}  (penny.v1.TransferEventsService)",
                p.transfer_events_grpc
            ),
        ),
        (
            "notifier gRPC",
            format!("127.0.0.1:{}  (penny.v1.NotifierService)", p.notifier_grpc),
        ),
        (
            "metrics",
            format!(
                "http://127.0.0.1:{}/metrics  :{}/metrics  :{}/metrics  :{}/metrics",
                p.ingress, p.verification_admin, p.transfer_events_admin, p.notifier_admin
            ),
        ),
        (
            "SMTP server (mailbox)",
            format!(
                "127.0.0.1:{}  → {}",
                stack.smtp.port(),
                stack.smtp.maildir().display()
            ),
        ),
        ("SMS API", stack.sms.base_url()),
        ("push endpoint", stack.push.url()),
        ("logs", stack.data_dir.join("logs").display().to_string()),
        ("API token (dev)", penny_e2e::local::DEV_TOKEN.to_owned()),
    ];
    println!("\npenny is up:");
    for (name, value) in rows {
        println!("  {name:<26} {value}");
    }
    println!(
        "\ntry:  grpcurl -plaintext -H 'authorization: Bearer {}' 127.0.0.1:{} list",
        penny_e2e::local::DEV_TOKEN,
        p.verification_grpc
    );
    println!("Ctrl-C stops everything.\n");
}
