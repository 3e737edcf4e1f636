//! One timed drain through penny or the baseline, after an untimed warm-up: wait for a quiet
//! machine, publish the burst, wait until it is drained (for penny: and its events published),
//! stop the counters, then read the commit times, the sandbox's call counters and PostgreSQL's
//! activity counters (transactions and rows per webhook; `PENNY_BENCH_PG_STATS=0` skips them
//! and the ~30 s of waiting they need per round).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use async_nats::jetstream;

use crate::fixture::Account;
use crate::measure::{Drain, Run, Watched};
use crate::procs::ChildGuard;
use crate::sandbox::SandboxApi;
use crate::settings::Settings;
use crate::timings::Timings;
use crate::{burst, db, drain};

/// How long after its last transaction an idle PostgreSQL 15 backend may hold back its
/// `pg_stat_database` counters (`PGSTAT_IDLE_INTERVAL`, 10 s, plus a margin).
const PG_STATS_SETTLE: Duration = Duration::from_secs(11);

/// Longest wait for penny's outbox relay once the accounts are stored.
const EVENTS_TIMEOUT: Duration = Duration::from_secs(60);

/// Which consumer drains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consumer {
    Penny,
    Baseline,
}

impl Consumer {
    pub fn name(self) -> &'static str {
        match self {
            Self::Penny => "penny",
            Self::Baseline => "baseline",
        }
    }

    async fn stored(self, probe: &sea_orm::DatabaseConnection) -> anyhow::Result<i64> {
        match self {
            Self::Penny => db::penny_done(probe).await,
            Self::Baseline => db::baseline_done(probe).await,
        }
    }

    async fn commits(self, url: &str) -> anyhow::Result<HashMap<String, i64>> {
        match self {
            Self::Penny => db::penny_commits(url).await,
            Self::Baseline => db::baseline_commits(url).await,
        }
    }
}

/// What a drain runs against.
pub struct Target<'a> {
    pub settings: &'a Settings,
    pub js: &'a jetstream::Context,
    pub api: &'a SandboxApi,
    /// The accounts of the untimed warm-up.
    pub warm: &'a [Account],
    /// The accounts of the timed drain.
    pub timed: &'a [Account],
    /// The consumer's database.
    pub db_url: &'a str,
    pub watched: Watched,
}

/// The untimed warm-up through `who` (running as `child`): the warm accounts' webhooks, so the
/// timed drain finds warm connections and caches and tables that are not empty; on PostgreSQL
/// the database is then analysed, as autovacuum keeps a running database (statistics taken
/// while the tables were still empty would make the planner scan them whole on every query).
pub async fn warm_up(
    t: &Target<'_>,
    who: Consumer,
    child: &mut ChildGuard,
    timings: &mut Timings,
) -> anyhow::Result<()> {
    if t.warm.is_empty() {
        return Ok(());
    }
    let events_before = drain::stream_messages(t.js, penny_bus::PENNY_EVENTS).await;
    let probe = db::open(t.db_url).await?;
    burst::publish(t.js, t.warm).await?;
    let events = (events_before, t.warm.len());
    settle(t, who, child, &probe, t.warm.len(), events).await?;
    let _ = probe.close().await;
    if t.watched.postmaster.is_some() && t.settings.analyze {
        db::analyze(t.db_url).await?;
    }
    timings.lap(&format!("warm-up ({})", who.name()));
    Ok(())
}

/// Waits until `who` has stored `total` accounts in all and (penny) `events_before + events`
/// events are in `PENNY_EVENTS`.
async fn settle(
    t: &Target<'_>,
    who: Consumer,
    child: &mut ChildGuard,
    probe: &sea_orm::DatabaseConnection,
    total: usize,
    (events_before, events): (u64, usize),
) -> anyhow::Result<()> {
    let waited = drain::wait(t.js, total, t.settings.drain_timeout, move || {
        who.stored(probe)
    })
    .await;
    if let Err(e) = waited {
        child.ensure_running()?;
        return Err(e.context(format!("{} log tail:\n{}", who.name(), child.tail())));
    }
    if who == Consumer::Penny {
        let at_least = events_before + events as u64;
        drain::wait_stream_reaches(t.js, penny_bus::PENNY_EVENTS, at_least, EVENTS_TIMEOUT).await?;
    }
    Ok(())
}

/// Runs the timed drain through `who` (running as `child`), after the warm-up.
pub async fn drain(
    t: &Target<'_>,
    who: Consumer,
    child: &mut ChildGuard,
    timings: &mut Timings,
) -> anyhow::Result<Drain> {
    let n = t.timed.len();
    let events_before = drain::stream_messages(t.js, penny_bus::PENNY_EVENTS).await;
    let pg_stats = t.watched.postmaster.is_some() && t.settings.pg_stats;
    if pg_stats {
        // Let the idle backends report what the warm-up did (see `PG_STATS_SETTLE`).
        tokio::time::sleep(PG_STATS_SETTLE).await;
    }
    let pg_before = match pg_stats {
        true => Some(db::pg_activity(t.db_url).await?),
        false => None,
    };
    t.api.reset_stats().await?;
    let probe = db::open(t.db_url).await?;
    quiet_wait(timings, &format!("quiet wait ({})", who.name())).await;

    let mut run = Run::start(t.watched);
    let published = burst::publish(t.js, t.timed).await?;
    run.published();
    let total = t.warm.len() + n;
    settle(t, who, child, &probe, total, (events_before, n)).await?;
    let stopped = run.stop();

    let _ = probe.close().await;
    let committed = who.commits(t.db_url).await?;
    let mut report = stopped.report(&published, &committed)?;
    let calls = t.api.calls().await?;
    report.plaid_calls_per_webhook = per_webhook(calls.into_iter().map(|(k, v)| (k, v as f64)), n);
    if let Some(before) = pg_before {
        match who {
            Consumer::Penny => tokio::time::sleep(PG_STATS_SETTLE).await,
            // Backends report at exit: stop the baseline instead of waiting.
            Consumer::Baseline => {
                child.terminate().await;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
        let after = db::pg_activity(t.db_url).await?;
        let delta = after
            .into_iter()
            .map(|(k, v)| (k.clone(), (v - before.get(&k).copied().unwrap_or(0)) as f64))
            .filter(|(_, delta)| *delta != 0.0);
        report.postgres_activity_per_webhook = Some(per_webhook(delta, n));
    }
    report.print(who.name());
    timings.lap(&format!("{} drain", who.name()));
    Ok(report)
}

/// Each count divided by `n`.
fn per_webhook(counts: impl IntoIterator<Item = (String, f64)>, n: usize) -> BTreeMap<String, f64> {
    counts
        .into_iter()
        .map(|(k, v)| (k, v / n.max(1) as f64))
        .collect()
}

/// Waits for a quiet machine (at most 90 s) and records the wait as a phase.
pub async fn quiet_wait(timings: &mut Timings, phase: &str) {
    crate::quiet::wait_for_quiet(Duration::from_secs(90)).await;
    timings.lap(phase);
}
