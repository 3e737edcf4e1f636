//! `cargo bench -p penny-notifier --bench alerts`: alerts per second through the notifier to
//! local receivers, for a burst of verified accounts ("Notifier", issue 14).
//!
//! Per round, everything fresh ([`round`]): NATS with JetStream, a database (SQLite, or
//! PostgreSQL with `PENNY_BENCH_DB=postgres` and `PENNY_TEST_PG_URL`), a real SMTP server
//! (aiosmtpd) and a push receiver that checks every Standard Webhooks signature. The release
//! `penny-notifier` binary runs as its own process ([`process`]) with email and push enabled.
//! N people (`PENNY_BENCH_N`, 10,000) get a contact over gRPC; then:
//!
//! 1. **ceiling** (`penny_notifier::channels::ceiling`): the receivers' own accept rate, measured in the same round: N
//!    emails and N pushes sent straight to them with the notifier's own transports at the
//!    notifier's send concurrency, no database and no NATS;
//! 2. **burst**: N `penny.event.account.verified` events published at once to `PENNY_EVENTS`,
//!    timed from the first publish to the last of the 2N alerts accepted, then checked: every
//!    alert exactly once (distinct Message-IDs and webhook-ids).
//!
//! Reported ([`report`]): the notifier's alerts per second, the ceiling, their ratio, the
//! notifier's peak RSS (`VmHWM`) and CPU per alert; medians and ranges over
//! `PENNY_BENCH_ROUNDS` (3) in `bench/results/notifier-alerts.json` and on stderr.

mod process;
mod report;
mod round;

use std::time::Duration;

use penny_testkit::DbKind;

/// What to run, from `PENNY_BENCH_*`.
#[derive(Clone, Debug)]
pub struct Settings {
    /// People, verified accounts, and alerts per channel.
    pub n: usize,
    /// Rounds (medians and ranges over them).
    pub rounds: usize,
    /// The notifier's database.
    pub db: DbKind,
    /// Alerts sent at once (the notifier's `PENNY_NOTIFIER_SEND_CONCURRENCY`, and the
    /// ceiling's).
    pub concurrency: usize,
    /// How long one burst may take.
    pub timeout: Duration,
}

impl Settings {
    fn from_env() -> anyhow::Result<Self> {
        let number = |name: &str, default: usize| -> anyhow::Result<usize> {
            match std::env::var(name) {
                Ok(v) => v.parse().map_err(|e| anyhow::anyhow!("{name}={v}: {e}")),
                Err(_) => Ok(default),
            }
        };
        let db = match std::env::var("PENNY_BENCH_DB").as_deref() {
            Ok("postgres") => DbKind::Postgres,
            Ok("sqlite") | Err(_) => DbKind::Sqlite,
            Ok(other) => anyhow::bail!("PENNY_BENCH_DB={other}: sqlite or postgres"),
        };
        Ok(Self {
            n: number("PENNY_BENCH_N", 10_000)?,
            rounds: number("PENNY_BENCH_ROUNDS", 3)?.max(1),
            db,
            concurrency: number("PENNY_BENCH_CONCURRENCY", 32)?.max(1),
            timeout: Duration::from_secs(u64::try_from(number("PENNY_BENCH_TIMEOUT_SECS", 600)?)?),
        })
    }
}

/// A progress line on stderr.
pub fn say(line: impl AsRef<str>) {
    eprintln!("{}", line.as_ref());
}

fn main() -> anyhow::Result<()> {
    penny_runtime::install_crypto_provider();
    let settings = Settings::from_env()?;
    tokio::runtime::Runtime::new()?.block_on(async {
        say(format!(
            "penny-notifier alerts bench: N = {}, {} round(s), {}, send concurrency {}",
            settings.n, settings.rounds, settings.db, settings.concurrency
        ));
        let mut rounds = Vec::new();
        for i in 1..=settings.rounds {
            say(format!("round {i}:"));
            rounds.push(round::run(&settings).await?);
        }
        report::write(&settings, &rounds)
    })
}
