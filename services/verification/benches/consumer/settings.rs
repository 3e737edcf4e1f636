//! What a run does, from the environment: `PENNY_BENCH_N` (webhooks per drain, 5,000),
//! `PENNY_BENCH_WARMUP` (webhooks through each consumer before its timed drain, 1,000),
//! `PENNY_BENCH_DB` (`sqlite`, `postgres` or `both`), `PENNY_BENCH_ROUNDS` (fresh rounds per
//! database, 3), `PENNY_BENCH_GRPC_SECS` (length of each `GetAccount` run, 3),
//! `PENNY_BENCH_PENNY_BIN` (another penny-verification build, for A/B comparisons),
//! `PENNY_BENCH_PG_STATS` (1: PostgreSQL's transactions and rows per webhook; 0 skips them and
//! their waits), `PENNY_BENCH_ANALYZE` (1: `ANALYZE` the PostgreSQL databases after the
//! warm-up; 0 leaves their statistics to autovacuum), `PENNY_BENCH_LOG_FILTER` (penny's log
//! filter, `warn`).
//! `PENNY_VERIFICATION_CONSUMER_CONCURRENCY` is read too: the baseline handles as many webhooks
//! at once as penny's consumer does.

use std::time::Duration;

use crate::db::Kind;

/// Settings of one benchmark run.
#[derive(Clone, Debug)]
pub struct Settings {
    pub n: usize,
    /// Webhooks of the untimed warm-up before each drain.
    pub warmup: usize,
    pub databases: Vec<Kind>,
    pub rounds: usize,
    pub grpc_run: Duration,
    pub drain_timeout: Duration,
    pub concurrency: usize,
    pub penny_bin: String,
    /// Read PostgreSQL's activity counters around each drain.
    pub pg_stats: bool,
    /// `ANALYZE` the PostgreSQL databases after the warm-up.
    pub analyze: bool,
}

fn var<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Self> {
        let n: usize = var("PENNY_BENCH_N", 5000);
        anyhow::ensure!(n > 0, "PENNY_BENCH_N must be positive");
        let databases = match std::env::var("PENNY_BENCH_DB").as_deref() {
            Ok("sqlite") => vec![Kind::Sqlite],
            Ok("postgres") => vec![Kind::Postgres],
            Ok("both") | Err(_) => vec![Kind::Sqlite, Kind::Postgres],
            Ok(other) => anyhow::bail!("PENNY_BENCH_DB={other}: expected sqlite, postgres or both"),
        };
        Ok(Self {
            n,
            warmup: var("PENNY_BENCH_WARMUP", 1000usize),
            databases,
            rounds: var("PENNY_BENCH_ROUNDS", 3usize).max(1),
            grpc_run: Duration::from_secs_f64(var("PENNY_BENCH_GRPC_SECS", 3.0f64).max(0.1)),
            // Generous: a slow build still finishes (20 ms a webhook), a stuck one fails.
            drain_timeout: Duration::from_secs(120).max(Duration::from_millis(20) * n as u32),
            concurrency: var("PENNY_VERIFICATION_CONSUMER_CONCURRENCY", 8usize).max(1),
            penny_bin: std::env::var("PENNY_BENCH_PENNY_BIN")
                .unwrap_or_else(|_| env!("CARGO_BIN_EXE_penny-verification").to_owned()),
            pg_stats: var("PENNY_BENCH_PG_STATS", 1u8) != 0,
            analyze: var("PENNY_BENCH_ANALYZE", 1u8) != 0,
        })
    }
}
