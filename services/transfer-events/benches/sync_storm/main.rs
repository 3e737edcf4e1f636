//! `cargo bench -p penny-transfer-events --bench sync_storm`: a sync storm. Per round, on a
//! fresh stack (real NATS, the in-process sandbox, the real ingress, a fresh database): the
//! sandbox holds `PENNY_BENCH_EVENTS` (100,000) micro-deposit events; `PENNY_BENCH_POKES`
//! (10,000) signed `BANK_TRANSFERS_EVENTS_UPDATE` pokes travel sandbox → ingress → JetStream to
//! `PENNY_BENCH_REPLICAS` (3) transfer-events replicas, timed until every event is stored and
//! every poke handled ([`round`]).
//!
//! The ceiling is measured in the same round, before the replicas start ([`ceiling`]): one
//! client paging the same feed of the same sandbox with the same page size, doing nothing with
//! the events. A sync is single-flight by design, so that sequential page-serving rate is the
//! most any number of replicas can reach; the report gives penny's rate as a ratio to it.
//!
//! Results ([`report`]): medians and ranges over `PENNY_BENCH_ROUNDS` (3) per database (SQLite,
//! and PostgreSQL when `PENNY_TEST_PG_URL` names a cluster; `PENNY_BENCH_DB=sqlite|postgres`
//! picks one), every round's details and the machine, in
//! `bench/results/transfer-events-sync-storm.json` at the workspace root, and a summary on
//! stderr.

mod ceiling;
mod report;
mod round;
mod settings;

/// The integration tests' harness (a replica on a stack, its typed client), shared as is.
#[allow(dead_code, unused_imports, clippy::unwrap_used)]
#[path = "../../tests/it/support/mod.rs"]
mod support;

use settings::Settings;

fn main() -> anyhow::Result<()> {
    penny_runtime::install_crypto_provider();
    // Warnings and errors only (`PENNY_BENCH_LOG` to change): logging every sync would cost
    // CPU the measurement shares. Installed first, so the harness keeps it.
    let _telemetry = penny_telemetry::init(
        "penny-transfer-events-bench",
        &penny_config::TelemetryArgs {
            log_format: penny_config::LogFormat::Pretty,
            log_filter: std::env::var("PENNY_BENCH_LOG").unwrap_or_else(|_| "warn".to_owned()),
            ..penny_config::TelemetryArgs::default()
        },
    )?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run())
}

fn say(line: impl AsRef<str>) {
    eprintln!("{}", line.as_ref());
}

async fn run() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    say(format!(
        "penny-transfer-events sync storm: {} events, {} pokes, {} replica(s), {} round(s), \
         databases {:?}, {} cores",
        settings.events,
        settings.pokes,
        settings.replicas,
        settings.rounds,
        settings.databases,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    ));
    let mut results = serde_json::Map::new();
    for kind in settings.databases.clone() {
        let mut rounds = Vec::new();
        for n in 0..settings.rounds {
            say(format!("{kind:?} round {}:", n + 1));
            rounds.push(round::run(&settings, kind).await?);
        }
        results.insert(
            format!("{kind:?}").to_lowercase(),
            report::database(kind, &settings, &rounds),
        );
    }
    report::write(&report::document(&settings, results))
}
