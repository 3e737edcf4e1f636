//! One timed phase of the benchmark: wait for a quiet machine, run closed or open loop against
//! penny or the minimal baseline, and repeat the run if other processes disturbed it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;

use crate::arrivals::Arrivals;
use crate::load::{self, RunStats};
use crate::{OPEN_LOOP_CONNECTIONS, PATH, QUIET_WAIT, purge, quiet, say, setup};

/// A throughput run repeats when other processes took more than this share of the machine.
const MAX_FOREIGN_CLOSED: f64 = 0.05;
/// Latency runs are stricter: a compiler's burst of a few hundred ms shows up in the p99.
const MAX_FOREIGN_OPEN: f64 = 0.02;
/// How often a disturbed run is tried at most.
const ATTEMPTS: usize = 6;

/// Everything the timed phases need.
pub struct Bench {
    pub http: reqwest::Client,
    pub js: jetstream::Context,
    pub sandbox_url: String,
    pub penny_addr: SocketAddr,
    pub penny_pid: u32,
    pub minimal_addr: SocketAddr,
    pub minimal_pid: u32,
    /// The benchmark's own processes (itself, both servers, nats-server).
    pub ours: Vec<u32>,
    pub run_for: Duration,
    /// CPU share other processes (and interrupts) took during each accepted timed phase.
    pub disturbances: Vec<quiet::Disturbance>,
    /// Runs discarded because other processes disturbed them.
    pub discarded: usize,
}

/// What to run in a timed phase.
#[derive(Clone, Copy)]
pub enum Load {
    /// Closed loop at this concurrency.
    Closed(usize),
    /// Open loop at this mean rate per second, spaced as given.
    Open(f64, Arrivals),
}

impl Bench {
    pub async fn signed(&self, tag: &str, n: usize) -> anyhow::Result<Vec<load::Prepared>> {
        setup::sign_all(&self.http, &self.sandbox_url, setup::bodies(tag, n)).await
    }

    /// Runs `load` against penny or (b), with freshly signed requests, after waiting for a quiet
    /// machine, repeating while other processes disturbed it. Returns the stats and the
    /// server's CPU µs per accepted request.
    pub async fn phase(
        &mut self,
        penny: bool,
        tag: &str,
        load: Load,
        pool: usize,
    ) -> anyhow::Result<(RunStats, f64)> {
        let (addr, pid) = if penny {
            (self.penny_addr, self.penny_pid)
        } else {
            (self.minimal_addr, self.minimal_pid)
        };
        let mut attempt = 1;
        loop {
            purge(&self.js).await?;
            let tag = format!("{tag}-{attempt}");
            // Both servers get the same signed requests (byte for byte the same traffic);
            // (b) ignores the `Plaid-Verification` header.
            let set = Arc::new(self.signed(&tag, pool).await?);
            quiet::wait_for_quiet(QUIET_WAIT).await;
            let meter = quiet::Meter::start(self.ours.clone());
            let cpu0 = quiet::cpu_seconds(pid);
            let stats = match load {
                Load::Closed(c) => load::closed_loop(addr, PATH, set, c, self.run_for).await?,
                Load::Open(rate, arrivals) => {
                    load::open_loop(addr, PATH, set, rate, OPEN_LOOP_CONNECTIONS, arrivals).await?
                }
            };
            let cpu = (quiet::cpu_seconds(pid) - cpu0) * 1e6 / stats.ok.max(1) as f64;
            let seen = meter.disturbance();
            let foreign = seen.foreign;
            let max_foreign = match load {
                Load::Closed(_) => MAX_FOREIGN_CLOSED,
                Load::Open(..) => MAX_FOREIGN_OPEN,
            };
            if foreign <= max_foreign || attempt == ATTEMPTS {
                self.disturbances.push(seen);
                return Ok((stats, cpu));
            }
            say(format!(
                "  (run disturbed: other processes took {:.0}% of the machine; repeating)",
                foreign * 100.0
            ));
            self.discarded += 1;
            attempt += 1;
        }
    }
}
