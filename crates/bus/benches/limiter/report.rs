//! The results: a summary on stderr, with the line that matters (every 60-second interval
//! within the budget, met or not), and `bench/results/limiter.json` at the workspace root with
//! the settings, the machine and every second's count.

use serde_json::json;

use crate::analysis::Analysis;
use crate::say;
use crate::settings::Settings;

/// Cores this machine offers.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get())
}

/// Prints the summary and writes the JSON report.
pub fn print_and_write(
    settings: &Settings,
    analysis: &Analysis,
    contended: u64,
    rate_per_second: f64,
) -> anyhow::Result<()> {
    let limit = settings.limit_per_minute as usize;
    let met = analysis.max_in_any_60s.map(|most| most <= limit);
    let steady = analysis.after_first_second;
    say(format!(
        "grants: {} in {} s; per second after the first: median {}, min {}, max {} \
         (limiter's steady rate {rate_per_second:.1}/s)",
        analysis.total_grants, analysis.seconds, steady.median, steady.min, steady.max,
    ));
    say(format!(
        "first second (the burst): {} of a {limit}/min budget",
        analysis.first_second
    ));
    say(format!(
        "average: {:.0}/min; CAS contention errors: {contended}",
        analysis.average_per_minute
    ));
    match (analysis.max_in_any_60s, analysis.max_window_starts_at_s) {
        (Some(most), Some(at)) => say(format!(
            "busiest 60 s interval: {most} grants (from {at:.3} s); \
             every 60 s window ≤ limit ({limit}): {}",
            if most <= limit { "MET" } else { "NOT met" }
        )),
        _ => say("the run is shorter than 60 s: no whole window to check"),
    }

    let document = json!({
        "bench": "penny-bus limiter",
        "machine": {
            "cores": cores(),
            "os": std::env::consts::OS,
            "date": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        },
        "settings": {
            "replicas": settings.replicas,
            "workers_per_replica": settings.workers,
            "endpoint": crate::ENDPOINT,
            "per_client_limit_per_minute": settings.limit_per_minute,
            "per_item_limit": "off",
            "run_seconds": settings.run.as_secs(),
            "grant_time": "when acquire_or_queue returned Granted to the worker",
        },
        "limiter_client_rate_per_second": rate_per_second,
        "cas_contention_errors": contended,
        "every_60s_window_within_limit": met,
        "results": analysis,
    });
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/results");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("limiter.json");
    std::fs::write(&path, serde_json::to_string_pretty(&document)? + "\n")?;
    say(format!("wrote {}", path.canonicalize()?.display()));
    Ok(())
}
