//! `cargo bench -p penny-verification --bench consumer`: the verification webhook consumer
//! under a burst ("Verification under a burst"), on SQLite and on PostgreSQL, with the
//! `/auth/get` rate limits off.
//!
//! Per database and round, everything fresh (see [`scenario`]): N accounts (`PENNY_BENCH_N`,
//! 5,000) are linked through the release `penny-verification` binary's gRPC
//! `ExchangePublicToken` and verified in the in-process sandbox while it drops webhooks; then N
//! `AUTH / AUTOMATICALLY_VERIFIED` webhooks are published at once straight to `PLAID_WEBHOOKS`
//! ([`burst`]) and timed until every account is verified with its numbers stored ([`timed`],
//! [`drain`]).
//! Reported ([`measure`]): the drain rate, CPU per webhook of the penny process from
//! `/proc/<pid>/stat` (user/system) and of the PostgreSQL server's processes, and the
//! publish-to-commit latency (p50/p99); then `GetAccount` latency with 1 and 64 callers
//! ([`grpc_latency`]). In the same round, the [`baseline`] (the bare minimum a correct consumer
//! does, in its own process: this binary re-executed with `PENNY_BENCH_ROLE=baseline`) drains
//! the same webhooks on the same kind of database, so penny's CPU is shown as a ratio to it.
//!
//! Each drain waits for a quiet machine first and records how much of it other processes took.
//! Results: `bench/results/verification-consumer.json` at the workspace root (medians and
//! ranges over `PENNY_BENCH_ROUNDS`, every round's details, the machine and the commit) and a
//! summary on stderr, with the target (≤ 0.5 ms of verification CPU per webhook on
//! each database). Quick re-runs: `PENNY_BENCH_N=2000 PENNY_BENCH_DB=sqlite`; see [`settings`].

mod baseline;
mod burst;
mod cpu;
mod db;
mod drain;
mod fixture;
mod grpc_latency;
mod measure;
mod procs;
mod quiet;
mod report;
mod sandbox;
mod scenario;
mod settings;
mod stats;
mod timed;
mod timings;

use penny_testkit::PgCluster;

use settings::Settings;

fn main() -> anyhow::Result<()> {
    if std::env::var("PENNY_BENCH_ROLE").as_deref() == Ok("baseline") {
        return baseline::serve();
    }
    penny_runtime::install_crypto_provider();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(run())
}

fn say(line: impl AsRef<str>) {
    eprintln!("{}", line.as_ref());
}

async fn run() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    say(format!(
        "penny-verification consumer bench: N = {}, {} round(s), databases {:?}, {} cores",
        settings.n,
        settings.rounds,
        settings
            .databases
            .iter()
            .map(|k| k.name())
            .collect::<Vec<_>>(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    ));
    let mut results = serde_json::Map::new();
    for kind in settings.databases.clone() {
        let cluster = match kind {
            db::Kind::Postgres => Some(tokio::task::spawn_blocking(PgCluster::start).await??),
            db::Kind::Sqlite => None,
        };
        let mut rounds = Vec::new();
        for round in 0..settings.rounds {
            say(format!("{} round {}:", kind.name(), round + 1));
            rounds.push(scenario::run(&settings, kind, cluster.as_ref(), round).await?);
        }
        drop(cluster);
        results.insert(
            kind.name().to_owned(),
            report::database(kind.name(), &settings, &rounds),
        );
    }
    let document = report::document(&settings, results);
    report::write(&document)?;
    Ok(())
}
