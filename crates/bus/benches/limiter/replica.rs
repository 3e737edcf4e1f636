//! One replica: workers sharing its limiter, each like the verification consumer with an
//! endless backlog of distinct Items. `Granted` is recorded (the moment the replica would call
//! Plaid); `Wait(d)` means the message was handed back with delay `d`, so the worker sleeps `d`
//! and tries the same Item again. A lost compare-and-swap race past the limiter's retries
//! (`Contended`) is counted and retried at once; any other error fails the run.

use penny_bus::kv::{Grant, RateLimitError, RateLimiter};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;

use crate::ENDPOINT;

/// What workers saw.
#[derive(Debug, Default)]
pub struct Outcome {
    /// When each grant came back, in microseconds since the run started.
    pub grants_micros: Vec<u64>,
    /// `RateLimitError::Contended` answers.
    pub contended: u64,
}

impl Outcome {
    pub fn merge(&mut self, other: Outcome) {
        self.grants_micros.extend(other.grants_micros);
        self.contended += other.contended;
    }
}

/// Runs `workers` workers of replica `index` from now until `end`.
pub fn spawn(
    index: usize,
    limiter: RateLimiter,
    workers: usize,
    start: Instant,
    end: Instant,
) -> JoinHandle<anyhow::Result<Outcome>> {
    tokio::spawn(async move {
        let mut set = JoinSet::new();
        for worker in 0..workers {
            let limiter = limiter.clone();
            set.spawn(
                async move { work(&limiter, &format!("r{index}-w{worker}"), start, end).await },
            );
        }
        let mut outcome = Outcome::default();
        while let Some(done) = set.join_next().await {
            outcome.merge(done??);
        }
        Ok(outcome)
    })
}

/// One worker's loop: Items `<prefix>-0`, `<prefix>-1`, … one after another.
async fn work(
    limiter: &RateLimiter,
    prefix: &str,
    start: Instant,
    end: Instant,
) -> anyhow::Result<Outcome> {
    let mut outcome = Outcome::default();
    let mut item = 0u64;
    loop {
        let item_id = format!("{prefix}-{item}");
        let answer = limiter.acquire_or_queue(ENDPOINT, &item_id).await;
        let now = Instant::now();
        if now >= end {
            return Ok(outcome);
        }
        match answer {
            Ok(Grant::Granted) => {
                let micros = u64::try_from(now.duration_since(start).as_micros())?;
                outcome.grants_micros.push(micros);
                item += 1;
            }
            Ok(Grant::Wait(wait)) => tokio::time::sleep_until((now + wait).min(end)).await,
            Err(RateLimitError::Contended { .. }) => outcome.contended += 1,
            Err(e) => return Err(e.into()),
        }
    }
}
