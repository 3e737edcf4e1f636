//! The benchmark's knobs, from the environment (defaults: the full run).

use std::str::FromStr;

/// What to run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Members of the limits-on and limits-off bursts (`PENNY_BURST_N`, 50,000).
    pub n: usize,
    /// Members of the limits-off burst (`PENNY_BURST_OFF_N`, the same as `PENNY_BURST_N`).
    pub off_n: usize,
    /// Members of each scaling run (`PENNY_BURST_SCALING_N`, 10,000).
    pub scaling_n: usize,
    /// Verification replica counts of the scaling runs (`PENNY_BURST_REPLICAS`, `1,2,4`).
    pub replicas: Vec<usize>,
    /// Replicas of the limits-on burst (`PENNY_BURST_LIMITS_REPLICAS`, 2): the shared budget
    /// holds whatever the number.
    pub limits_replicas: usize,
    /// Latency the sandbox adds to `/auth/get` in the scaling runs (`PENNY_BURST_LATENCY_MS`, 20).
    pub latency_ms: u64,
    /// Webhooks each verification replica handles at once in the scaling runs
    /// (`PENNY_BURST_SCALING_CONCURRENCY`, 4).
    pub scaling_concurrency: usize,
    /// Webhook deliveries the sandbox holds in flight in the limits-on and limits-off bursts
    /// (`PENNY_BURST_PLAID_CONCURRENCY`; unset or 0: all at once, a connection storm). A set
    /// value names the runs `limits-on-plaid-<c>` and `limits-off-plaid-<c>`.
    pub plaid_concurrency: Option<usize>,
    /// Which settings (`PENNY_BURST_SETTINGS`, `on,off,scaling`; `none` only redraws the
    /// charts from `bench/results/burst.json`).
    pub settings: Vec<String>,
}

impl Settings {
    /// Reads the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            n: var("PENNY_BURST_N", 50_000)?,
            off_n: var("PENNY_BURST_OFF_N", var("PENNY_BURST_N", 50_000)?)?,
            scaling_n: var("PENNY_BURST_SCALING_N", 10_000)?,
            replicas: list("PENNY_BURST_REPLICAS", "1,2,4")?,
            limits_replicas: var("PENNY_BURST_LIMITS_REPLICAS", 2)?,
            latency_ms: var("PENNY_BURST_LATENCY_MS", 20)?,
            scaling_concurrency: var("PENNY_BURST_SCALING_CONCURRENCY", 4)?,
            plaid_concurrency: Some(var("PENNY_BURST_PLAID_CONCURRENCY", 0)?).filter(|&c| c > 0),
            settings: list("PENNY_BURST_SETTINGS", "on,off,scaling")?,
        })
    }

    /// True when `setting` was asked for.
    pub fn wants(&self, setting: &str) -> bool {
        self.settings.iter().any(|s| s == setting)
    }
}

fn var<T: FromStr>(name: &str, default: T) -> anyhow::Result<T> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("{name}={v} is not a valid value")),
        Err(_) => Ok(default),
    }
}

fn list<T: FromStr>(name: &str, default: &str) -> anyhow::Result<Vec<T>> {
    let raw = std::env::var(name).unwrap_or_else(|_| default.to_owned());
    raw.split(',')
        .map(|v| {
            v.trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("{name}: {v} is not a valid value"))
        })
        .collect()
}
