//! From the grants' times: grants per one-second bucket (the first second, which holds the
//! burst, apart from the rest), the most grants in any 60-second interval (sliding, half-open,
//! whichever way Plaid aligns its windows) and the average rate.

use std::time::Duration;

use serde::Serialize;

const SECOND_US: u64 = 1_000_000;
const WINDOW_US: u64 = 60 * SECOND_US;

/// Median, minimum and maximum of grants per second.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct PerSecond {
    pub median: u64,
    pub min: u64,
    pub max: u64,
}

/// The figures of one run.
#[derive(Clone, Debug, Serialize)]
pub struct Analysis {
    pub total_grants: usize,
    /// Whole seconds in the run (a partial last second is left out of `per_second`).
    pub seconds: u64,
    /// Grants in each whole second, from the start.
    pub per_second: Vec<u64>,
    /// Grants in the first second: the burst plus that second's steady share.
    pub first_second: u64,
    /// Grants per second over the whole seconds after the first.
    pub after_first_second: PerSecond,
    /// The most grants in any 60-second interval (`None`: the run is shorter than 60 s).
    pub max_in_any_60s: Option<usize>,
    /// Where that busiest interval starts, in seconds from the start of the run.
    pub max_window_starts_at_s: Option<f64>,
    /// Grants per minute, averaged over the whole run.
    pub average_per_minute: f64,
}

impl Analysis {
    pub fn of(mut grants_micros: Vec<u64>, run: Duration) -> Self {
        grants_micros.sort_unstable();
        let run_us = u64::try_from(run.as_micros()).unwrap_or(u64::MAX);
        let seconds = run_us / SECOND_US;
        let mut per_second = vec![0u64; usize::try_from(seconds).unwrap_or(0)];
        for t in &grants_micros {
            if let Some(n) = usize::try_from(t / SECOND_US)
                .ok()
                .and_then(|i| per_second.get_mut(i))
            {
                *n += 1;
            }
        }
        let (max_in_window, window_start) = busiest(&grants_micros, WINDOW_US);
        let covers_a_window = run_us >= WINDOW_US;
        Self {
            total_grants: grants_micros.len(),
            seconds,
            first_second: per_second.first().copied().unwrap_or(0),
            after_first_second: spread(per_second.get(1..).unwrap_or_default()),
            per_second,
            max_in_any_60s: covers_a_window.then_some(max_in_window),
            max_window_starts_at_s: covers_a_window.then_some(window_start as f64 / 1e6),
            average_per_minute: grants_micros.len() as f64 * 60.0 / run.as_secs_f64().max(1e-9),
        }
    }
}

fn spread(counts: &[u64]) -> PerSecond {
    let mut sorted = counts.to_vec();
    sorted.sort_unstable();
    match (sorted.first(), sorted.last()) {
        (Some(&min), Some(&max)) => PerSecond {
            median: sorted[(sorted.len() - 1) / 2],
            min,
            max,
        },
        _ => PerSecond::default(),
    }
}

/// The most of `sorted` (µs) in any half-open interval of `window` µs, and where the first
/// such interval starts (at one of the times, which is where a busiest interval can start).
fn busiest(sorted: &[u64], window: u64) -> (usize, u64) {
    let (mut most, mut at, mut first) = (0, 0, 0);
    for (last, t) in sorted.iter().enumerate() {
        while t - sorted[first] >= window {
            first += 1;
        }
        if last + 1 - first > most {
            most = last + 1 - first;
            at = sorted[first];
        }
    }
    (most, at)
}
