//! One timed drain and what it reports: wall time from the first publish to the last commit,
//! the rate, CPU per webhook of the consumer process (user/system split), of the PostgreSQL
//! server, of nats-server and of the harness (which hosts the sandbox), and the latency from
//! each webhook's publish to its commit.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::cpu::Cpu;
use crate::quiet::{Disturbance, Meter};
use crate::say;
use crate::stats::Latency;

/// The processes whose CPU a drain measures.
#[derive(Clone, Copy, Debug)]
pub struct Watched {
    pub consumer: u32,
    pub nats: Option<u32>,
    pub postmaster: Option<u32>,
}

#[derive(Clone, Copy)]
struct Snapshot {
    consumer: Cpu,
    postgres: Cpu,
    nats: Cpu,
    harness: Cpu,
}

impl Snapshot {
    fn take(w: &Watched) -> Self {
        Self {
            consumer: Cpu::of(w.consumer),
            postgres: w.postmaster.map(Cpu::of_postgres).unwrap_or_default(),
            nats: w.nats.map(Cpu::of).unwrap_or_default(),
            harness: Cpu::of(std::process::id()),
        }
    }

    fn all(&self) -> f64 {
        self.consumer.total_s()
            + self.postgres.total_s()
            + self.nats.total_s()
            + self.harness.total_s()
    }
}

/// CPU of one process (or process tree) over a drain, per webhook.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct ProcessCpu {
    pub ms_per_webhook: f64,
    pub user_ms_per_webhook: f64,
    pub system_ms_per_webhook: f64,
    /// system / (user + system).
    pub kernel_share: f64,
    pub cpu_seconds: f64,
}

impl ProcessCpu {
    fn of(cpu: Cpu, n: usize) -> Self {
        let per = 1000.0 / n.max(1) as f64;
        Self {
            ms_per_webhook: cpu.total_s() * per,
            user_ms_per_webhook: cpu.user_s * per,
            system_ms_per_webhook: cpu.system_s * per,
            kernel_share: if cpu.total_s() > 0.0 {
                cpu.system_s / cpu.total_s()
            } else {
                0.0
            },
            cpu_seconds: cpu.total_s(),
        }
    }
}

/// What one drain measured.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Drain {
    pub n: usize,
    /// From the first publish until every PubAck arrived.
    pub publish_seconds: f64,
    /// From the first publish until the last account's commit.
    pub drain_seconds: f64,
    pub webhooks_per_sec: f64,
    /// The window the CPU was measured over: from before the first publish until the
    /// consumer was drained and everything stored (for penny: and its events published).
    pub measured_seconds: f64,
    pub consumer_cpu: ProcessCpu,
    pub postgres_cpu: Option<ProcessCpu>,
    pub nats_cpu: ProcessCpu,
    /// The bench process: publisher, polling, and the in-process sandbox answering `/auth/get`.
    pub harness_cpu: ProcessCpu,
    pub publish_to_commit: Latency,
    pub disturbance: Disturbance,
    /// Calls the sandbox answered during the drain, per webhook, by endpoint.
    pub plaid_calls_per_webhook: BTreeMap<String, f64>,
    /// PostgreSQL's `pg_stat_database` counters of the consumer's database, per webhook.
    pub postgres_activity_per_webhook: Option<BTreeMap<String, f64>>,
}

/// A drain in progress.
pub struct Run {
    watched: Watched,
    started: Instant,
    published: Option<Duration>,
    before: Snapshot,
    meter: Meter,
}

impl Run {
    /// Starts the clock and the CPU counters (call [`quiet::wait_for_quiet`] first).
    pub fn start(watched: Watched) -> Self {
        let before = Snapshot::take(&watched);
        Self {
            watched,
            started: Instant::now(),
            published: None,
            meter: Meter::start(before.all()),
            before,
        }
    }

    /// Marks the end of publishing.
    pub fn published(&mut self) {
        self.published = Some(self.started.elapsed());
    }

    /// Stops the clock and the counters (before the harness reads the results).
    pub fn stop(self) -> Stopped {
        let after = Snapshot::take(&self.watched);
        Stopped {
            measured: self.started.elapsed(),
            disturbance: self.meter.finish(after.all()),
            after,
            run: self,
        }
    }
}

/// A drain whose counters have stopped.
pub struct Stopped {
    run: Run,
    after: Snapshot,
    measured: Duration,
    disturbance: Disturbance,
}

impl Stopped {
    /// The report; `published_at` and `committed_at` are µs since the epoch by account
    /// (`committed_at` may hold more accounts: those of the warm-up).
    pub fn report(
        self,
        published_at: &HashMap<String, i64>,
        committed_at: &HashMap<String, i64>,
    ) -> anyhow::Result<Drain> {
        let (before, after) = (self.run.before, self.after);
        let n = published_at.len();
        let mut latencies = Vec::with_capacity(n);
        for (account, sent) in published_at {
            let committed = committed_at
                .get(account)
                .ok_or_else(|| anyhow::anyhow!("account {account} has no commit"))?;
            latencies.push((committed - sent) as f64 / 1000.0);
        }
        let first = published_at.values().min().copied().unwrap_or(0);
        let last = published_at
            .keys()
            .filter_map(|account| committed_at.get(account))
            .max()
            .copied()
            .unwrap_or(first);
        let drain_seconds = (last - first) as f64 / 1e6;
        Ok(Drain {
            n,
            publish_seconds: self.run.published.unwrap_or_default().as_secs_f64(),
            drain_seconds,
            webhooks_per_sec: n as f64 / drain_seconds.max(1e-9),
            measured_seconds: self.measured.as_secs_f64(),
            consumer_cpu: ProcessCpu::of(after.consumer.since(before.consumer), n),
            postgres_cpu: self
                .run
                .watched
                .postmaster
                .map(|_| ProcessCpu::of(after.postgres.since(before.postgres), n)),
            nats_cpu: ProcessCpu::of(after.nats.since(before.nats), n),
            harness_cpu: ProcessCpu::of(after.harness.since(before.harness), n),
            publish_to_commit: Latency::of(latencies),
            disturbance: self.disturbance,
            plaid_calls_per_webhook: BTreeMap::new(),
            postgres_activity_per_webhook: None,
        })
    }
}

impl Drain {
    /// Prints the figures, as `who`'s.
    pub fn print(&self, who: &str) {
        let d = self;
        let pg = d.postgres_cpu.map_or(String::new(), |p| {
            format!("  postgres {:.3} ms", p.ms_per_webhook)
        });
        say(format!(
            "    {who:<8} drain {:.2} s  {:.0} webhooks/s  CPU {:.3} ms/webhook \
             (user {:.3}, sys {:.3}){pg}  publish→commit p50 {:.0} ms p99 {:.0} ms  \
             (others took {:.0}% of the machine)",
            d.drain_seconds,
            d.webhooks_per_sec,
            d.consumer_cpu.ms_per_webhook,
            d.consumer_cpu.user_ms_per_webhook,
            d.consumer_cpu.system_ms_per_webhook,
            d.publish_to_commit.p50_ms,
            d.publish_to_commit.p99_ms,
            d.disturbance.foreign * 100.0
        ));
        let per = |m: &BTreeMap<String, f64>| {
            m.iter()
                .map(|(k, v)| format!("{k} {v:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut extra = format!(
            "             per webhook: Plaid calls [{}]",
            per(&d.plaid_calls_per_webhook)
        );
        if let Some(pg) = &d.postgres_activity_per_webhook {
            // The database-wide counters, and the tables read by sequential scans.
            let shown = pg
                .iter()
                .filter(|(k, v)| !k.contains('.') || (k.ends_with(".seq_tup_read") && **v >= 1.0))
                .map(|(k, v)| (k.clone(), *v))
                .collect();
            extra.push_str(&format!("; postgres [{}]", per(&shown)));
        }
        say(extra);
    }
}
