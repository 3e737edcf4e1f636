//! `cargo bench -p penny-bus --bench limiter`: the shared Plaid rate limiter
//! ([`penny_bus::kv::RateLimiter`]) under a burst far larger than its budget, to show that it
//! spends Plaid's per-minute `/auth/get` budget evenly through the minute, not all at once.
//!
//! A real `nats-server` with JetStream; three "replicas" ([`replica`]), each its own NATS
//! connection and limiter on the same bucket (per-client 12,000/min as in production, per-Item
//! off), each running workers that behave like the verification consumer under an endless
//! backlog: `acquire_or_queue`, and on `Wait(d)` sleep `d` (the handed-back message coming back
//! at its turn) and try again. Every grant's time is recorded; [`analysis`] turns them into
//! grants per second and the busiest 60-second interval, and [`report`] prints a summary and
//! writes `bench/results/limiter.json` at the workspace root. Knobs: see [`settings`].

mod analysis;
mod replica;
mod report;
mod settings;

use std::time::Duration;

use penny_bus::kv::{Limits, RATE_LIMIT_BUCKET, RateLimiter};
use penny_testkit::NatsServer;
use tokio::time::Instant;

use settings::Settings;

/// The endpoint whose budget the workers spend.
const ENDPOINT: &str = "auth_get";

fn say(line: impl AsRef<str>) {
    eprintln!("{}", line.as_ref());
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    penny_runtime::install_crypto_provider();
    let settings = Settings::from_env()?;
    say(format!(
        "penny-bus limiter bench: {} replicas × {} workers, {}/min per client, {} s, {} cores",
        settings.replicas,
        settings.workers,
        settings.limit_per_minute,
        settings.run.as_secs(),
        report::cores(),
    ));
    let server = NatsServer::start().await?;
    let limits = Limits {
        per_item: 0,
        per_client: settings.limit_per_minute,
        window: Duration::from_secs(60),
    };
    let mut limiters = Vec::with_capacity(settings.replicas);
    for _ in 0..settings.replicas {
        let js = async_nats::jetstream::new(server.connect().await?);
        limiters.push(RateLimiter::open(&js, RATE_LIMIT_BUCKET, limits, 1).await?);
    }
    let rate_per_second = limiters
        .first()
        .map_or(0.0, RateLimiter::client_rate_per_second);

    let start = Instant::now();
    let end = start + settings.run;
    let runs = limiters
        .into_iter()
        .enumerate()
        .map(|(index, limiter)| replica::spawn(index, limiter, settings.workers, start, end))
        .collect::<Vec<_>>();
    let mut outcome = replica::Outcome::default();
    for run in runs {
        outcome.merge(run.await??);
    }
    let analysis = analysis::Analysis::of(outcome.grants_micros, settings.run);
    report::print_and_write(&settings, &analysis, outcome.contended, rate_per_second)
}
