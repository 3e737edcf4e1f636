//! End-to-end latency per member: from the sandbox's first attempt to deliver its
//! `AUTOMATICALLY_VERIFIED` webhook (the sandbox's delivery log, wall clock) to the push
//! endpoint accepting its `account_verified` alert (this process's clock). Both clocks are
//! tied together at the trigger.

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Utc};
use penny_e2e::burst::Cohort;
use penny_e2e::local::LocalStack;
use serde::Serialize;

/// When each member's alert arrived and how long it took.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Latencies {
    /// `(seconds after the trigger the alert arrived, latency in seconds)`, by arrival.
    pub points: Vec<(f64, f64)>,
}

impl Latencies {
    /// Matches the delivery log with the pushes received.
    pub async fn collect(
        stack: &LocalStack,
        cohort: &Cohort,
        since: Instant,
        since_utc: DateTime<Utc>,
    ) -> anyhow::Result<Self> {
        let mut sent: HashMap<String, DateTime<Utc>> = HashMap::new();
        for attempt in stack
            .sandbox()
            .webhook_attempts("AUTOMATICALLY_VERIFIED")
            .await?
        {
            let body: serde_json::Value = serde_json::from_str(&attempt.body)?;
            if let Some(account) = body["account_id"].as_str() {
                let first = sent.entry(account.to_owned()).or_insert(attempt.wall_time);
                *first = (*first).min(attempt.wall_time);
            }
        }
        let account_of: HashMap<&str, &str> = cohort
            .members
            .iter()
            .map(|m| (m.user_id.as_str(), m.account_id.as_str()))
            .collect();
        let mut points = Vec::new();
        for push in stack.push.accepted() {
            let body = push.json();
            let Some(account) = body["user_id"].as_str().and_then(|u| account_of.get(u)) else {
                continue;
            };
            let Some(sent_at) = sent.get(*account) else {
                continue;
            };
            let arrived = push.at.saturating_duration_since(since).as_secs_f64();
            let sent = (*sent_at - since_utc).as_seconds_f64();
            points.push((arrived, (arrived - sent).max(0.0)));
        }
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        Ok(Self { points })
    }

    /// The `q` quantile (0..=1) of the latencies, in seconds.
    pub fn quantile(&self, q: f64) -> f64 {
        let mut all: Vec<f64> = self.points.iter().map(|p| p.1).collect();
        quantile(&mut all, q)
    }

    /// Per whole second of arrival: `(second, p50, p99)`.
    pub fn per_second(&self) -> Vec<(f64, f64, f64)> {
        let mut buckets: Vec<Vec<f64>> = Vec::new();
        for (arrived, latency) in &self.points {
            let i = *arrived as usize;
            if buckets.len() <= i {
                buckets.resize(i + 1, Vec::new());
            }
            buckets[i].push(*latency);
        }
        buckets
            .into_iter()
            .enumerate()
            .filter(|(_, b)| !b.is_empty())
            .map(|(i, mut b)| (i as f64, quantile(&mut b, 0.5), quantile(&mut b, 0.99)))
            .collect()
    }
}

/// The `q` quantile of `values` (nearest rank); 0 when empty.
pub fn quantile(values: &mut [f64], q: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let rank = ((values.len() as f64 * q).ceil() as usize).clamp(1, values.len());
    values[rank - 1]
}
