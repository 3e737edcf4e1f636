//! When an open loop's requests are due, and how each connection learns of its next one.
//!
//! Two patterns at the same mean rate:
//!
//! * a steady rate, request `i` due at `i / rate`, released by tokio's timer. The timer fires in
//!   1 ms ticks, so everything due within a millisecond goes out together (about a dozen
//!   requests at 12k/s): a steady beat of small bursts. The latency target is measured this way.
//! * a Poisson process: independent arrivals with exponential gaps, the textbook model of many
//!   unrelated senders. It has no beat but random clusters: some milliseconds bring twice the
//!   mean, several in a row now and then, which is harder on a busy server's tail. Tokio's timer
//!   cannot time these gaps (tens of µs), so a pacer thread sleeps until each due time and hands
//!   the request to its connection's task (a late wake-up delays the send, which the latency
//!   does not count against the server when the connection was idle).

use std::time::{Duration, Instant};

use rand::{Rng as _, SeedableRng as _};
use tokio::sync::mpsc;

/// Seed of the Poisson schedule: every run draws the same gaps.
const SEED: u64 = 0x0070_656e_6e79; // "penny"

/// How an open loop spaces its requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrivals {
    /// Independent arrivals at the mean rate (exponential gaps), released by a pacer thread.
    Poisson,
    /// A steady rate: request `i` due at `i / rate`, released by tokio's timer in 1 ms ticks.
    MillisecondTicks,
}

impl Arrivals {
    /// Reads `PENNY_BENCH_OPEN_ARRIVALS` (`ticks`, the default, or `poisson`).
    pub fn from_env() -> Self {
        match std::env::var("PENNY_BENCH_OPEN_ARRIVALS").as_deref() {
            Ok("poisson") => Self::Poisson,
            _ => Self::MillisecondTicks,
        }
    }

    /// Short name, as in the JSON report.
    pub fn name(self) -> &'static str {
        match self {
            Self::Poisson => "poisson",
            Self::MillisecondTicks => "millisecond_ticks",
        }
    }

    /// Due times of `n` requests at a mean of `rate` per second, as offsets from the start.
    pub fn schedule(self, n: usize, rate: f64) -> Vec<Duration> {
        match self {
            Self::MillisecondTicks => (0..n)
                .map(|i| Duration::from_secs_f64(i as f64 / rate))
                .collect(),
            Self::Poisson => {
                let mut rng = rand::rngs::StdRng::seed_from_u64(SEED);
                let mut t = 0.0f64;
                (0..n)
                    .map(|_| {
                        let due = Duration::from_secs_f64(t);
                        // Inverse transform: -ln(U) / rate with U in (0, 1].
                        let u: f64 = 1.0 - rng.random::<f64>();
                        t += -u.ln() / rate;
                        due
                    })
                    .collect()
            }
        }
    }
}

/// Where connection `w` of `connections` gets the index of its next request: its share of the
/// schedule by timer, or whatever the pacer hands it.
pub enum Feed {
    Timer { next: usize, step: usize },
    Paced(mpsc::UnboundedReceiver<usize>),
}

impl Feed {
    /// The next request index and its due instant, after waiting for it to be due (timer) or
    /// released (pacer); `None` when the schedule is done.
    pub async fn next(&mut self, due: &[Duration], started: Instant) -> Option<(usize, Instant)> {
        let i = match self {
            Self::Timer { next, step } => {
                let i = *next;
                let at = started + *due.get(i)?;
                *next += *step;
                tokio::time::sleep_until(at.into()).await;
                i
            }
            Self::Paced(rx) => rx.recv().await?,
        };
        Some((i, started + due[i]))
    }
}

/// One [`Feed`] per connection. For Poisson arrivals this starts the pacer thread, which hands
/// request `i` to connection `i % connections` at its due time and ends with the schedule.
pub fn feeds(
    arrivals: Arrivals,
    due: &[Duration],
    started: Instant,
    connections: usize,
) -> std::io::Result<Vec<Feed>> {
    if arrivals == Arrivals::MillisecondTicks {
        return Ok((0..connections)
            .map(|w| Feed::Timer {
                next: w,
                step: connections,
            })
            .collect());
    }
    let (senders, receivers): (Vec<_>, Vec<_>) =
        (0..connections).map(|_| mpsc::unbounded_channel()).unzip();
    let due = due.to_vec();
    std::thread::Builder::new()
        .name("bench-pacer".into())
        .spawn(move || {
            for (i, offset) in due.iter().enumerate() {
                let at = started + *offset;
                let now = Instant::now();
                if at > now {
                    std::thread::sleep(at - now);
                }
                if senders[i % senders.len()].send(i).is_err() {
                    return;
                }
            }
        })?;
    Ok(receivers.into_iter().map(Feed::Paced).collect())
}
