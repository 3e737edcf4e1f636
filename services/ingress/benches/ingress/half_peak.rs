//! The latency target: penny open loop at half its peak rate, `rounds` times, each followed by
//! (b) open loop at half of *its* peak, the latency of this machine, nats-server and load
//! generator at the same relative load with no verification at all.

use serde_json::{Value, json};

use crate::arrivals::Arrivals;
use crate::load::RunStats;
use crate::phase::{Bench, Load};
use crate::{median, open_secs, row, say};

/// What the half-peak runs measured with one arrival pattern.
pub struct HalfPeak {
    /// Median of penny's p99 over the rounds.
    pub p99_ms: f64,
    /// Median of (b)'s p99 at half its own peak.
    pub minimal_p99_ms: f64,
    /// Everything, for the JSON report.
    pub report: Value,
}

/// Runs penny at `penny_rate` and (b) at `minimal_rate` alternately, `rounds` times each, with
/// `arrivals`.
pub async fn run(
    bench: &mut Bench,
    penny_rate: f64,
    minimal_rate: f64,
    rounds: usize,
    arrivals: Arrivals,
) -> anyhow::Result<HalfPeak> {
    let tag = arrivals.name();
    let (mut pennys, mut minimals) = (Vec::new(), Vec::new());
    for r in 0..rounds {
        pennys.push(phase(bench, true, penny_rate, arrivals, r).await?);
        minimals.push(phase(bench, false, minimal_rate, arrivals, r).await?);
    }
    let p99_ms = median(pennys.iter().map(|h| h.p99_ms).collect());
    let minimal_p99_ms = median(minimals.iter().map(|h| h.p99_ms).collect());
    say(format!(
        "half-peak p99, {tag} (median of {rounds}): penny {p99_ms:.2} ms at {penny_rate:.0}/s; \
         (b) {minimal_p99_ms:.2} ms at half its own peak, {minimal_rate:.0}/s"
    ));
    let report = json!({
        "arrivals": arrivals,
        "penny": { "rate": penny_rate, "p99_ms_median": p99_ms, "runs": pennys },
        "minimal_at_half_its_peak": {
            "rate": minimal_rate,
            "p99_ms_median": minimal_p99_ms,
            "runs": minimals,
        },
    });
    Ok(HalfPeak {
        p99_ms,
        minimal_p99_ms,
        report,
    })
}

async fn phase(
    bench: &mut Bench,
    penny: bool,
    rate: f64,
    arrivals: Arrivals,
    round: usize,
) -> anyhow::Result<RunStats> {
    let who = if penny { "penny" } else { "(b)" };
    let tag = format!(
        "half-{}-{}-{round}",
        if penny { "p" } else { "b" },
        arrivals.name()
    );
    let n = (rate * open_secs()) as usize;
    let (stats, _) = bench
        .phase(penny, &tag, Load::Open(rate, arrivals), n)
        .await?;
    row(&format!("{who} {rate:.0}/s {}", arrivals.name()), &stats);
    Ok(stats)
}
