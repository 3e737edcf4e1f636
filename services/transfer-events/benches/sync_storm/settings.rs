//! The bench's settings, from `PENNY_BENCH_*` (read once, here; defaults are the storm).

use penny_testkit::DbKind;

/// What to run.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Events in the sandbox's feed (`PENNY_BENCH_EVENTS`, even: two per deposit).
    pub events: u64,
    /// Pokes sent (`PENNY_BENCH_POKES`).
    pub pokes: u32,
    /// Replicas of the service (`PENNY_BENCH_REPLICAS`).
    pub replicas: usize,
    /// Rounds per database (`PENNY_BENCH_ROUNDS`).
    pub rounds: usize,
    /// The databases (`PENNY_BENCH_DB`; default SQLite, and PostgreSQL when
    /// `PENNY_TEST_PG_URL` is set).
    pub databases: Vec<DbKind>,
}

fn number<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .map_err(|_| anyhow::anyhow!("{name}={v:?} is not a number")),
        Err(_) => Ok(default),
    }
}

impl Settings {
    /// From the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        let events: u64 = number("PENNY_BENCH_EVENTS", 100_000)?;
        anyhow::ensure!(
            events >= 2 && events.is_multiple_of(2),
            "PENNY_BENCH_EVENTS must be even"
        );
        let pg = std::env::var("PENNY_TEST_PG_URL").is_ok();
        let databases = match std::env::var("PENNY_BENCH_DB").as_deref() {
            Ok("sqlite") => vec![DbKind::Sqlite],
            Ok("postgres") => vec![DbKind::Postgres],
            Ok(other) => anyhow::bail!("PENNY_BENCH_DB={other:?}: sqlite or postgres"),
            Err(_) if pg => vec![DbKind::Sqlite, DbKind::Postgres],
            Err(_) => vec![DbKind::Sqlite],
        };
        Ok(Self {
            events,
            pokes: number("PENNY_BENCH_POKES", 10_000)?,
            replicas: number("PENNY_BENCH_REPLICAS", 3)?,
            rounds: number("PENNY_BENCH_ROUNDS", 3)?,
            databases,
        })
    }
}
