//! What a run does, from the environment: `PENNY_BENCH_LIMIT` (the per-client budget per
//! minute, 12,000 as Plaid's production `/auth/get`), `PENNY_BENCH_SECONDS` (the run, 75, so at
//! least one whole 60-second window lies inside it) and `PENNY_BENCH_WORKERS` (workers per
//! replica, 64).

use std::time::Duration;

/// Settings of one run.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Replicas, each with its own NATS connection and limiter.
    pub replicas: usize,
    /// Workers per replica, all trying to spend the budget.
    pub workers: usize,
    /// The per-client budget, per 60 s.
    pub limit_per_minute: u32,
    /// How long the workers run.
    pub run: Duration,
}

fn var<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .map_err(|_| anyhow::anyhow!("{name}={v}: not a number")),
        Err(_) => Ok(default),
    }
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Self> {
        let limit_per_minute: u32 = var("PENNY_BENCH_LIMIT", 12_000)?;
        anyhow::ensure!(limit_per_minute > 0, "PENNY_BENCH_LIMIT must be positive");
        let seconds: u64 = var("PENNY_BENCH_SECONDS", 75)?;
        anyhow::ensure!(seconds > 0, "PENNY_BENCH_SECONDS must be positive");
        let workers: usize = var("PENNY_BENCH_WORKERS", 64)?;
        anyhow::ensure!(workers > 0, "PENNY_BENCH_WORKERS must be positive");
        Ok(Self {
            replicas: 3,
            workers,
            limit_per_minute,
            run: Duration::from_secs(seconds),
        })
    }
}
