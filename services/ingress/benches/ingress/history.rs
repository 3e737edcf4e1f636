//! The run log: every complete run appends one line to `bench/results/ingress-history.jsonl`
//! (when, which commit, the machine's verify cost, the two target figures, the half-peak p99s
//! with Poisson arrivals and of (b) at half its own peak, met or not), so
//! whether the targets hold from run to run is on record, not only the latest run.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

/// File name of the run log, next to `ingress.json`.
pub const FILE: &str = "ingress-history.jsonl";

/// The summary line of `report` (the full `ingress.json` document).
pub fn summary(report: &Value) -> Value {
    let field = |pointer: &str| report.pointer(pointer).cloned().unwrap_or(Value::Null);
    json!({
        "at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "commit": git(&["rev-parse", "--short=12", "HEAD"]).map(|s| s.trim().to_owned()),
        "uncommitted_changes": uncommitted_changes(),
        "cores": field("/machine/cores"),
        "c_cpu_us_per_verify": field("/baselines/c_cpu_us_per_verify"),
        "bound_per_sec": field("/baselines/bound_per_sec"),
        "penny_peak_per_sec": field("/penny_peak_per_sec"),
        "penny_over_bound": field("/ratios/penny_over_bound"),
        "half_peak_rate": field("/open_loop_half_peak/target_rate"),
        "half_peak_p99_ms_median": field("/open_loop_half_peak/p99_ms_median"),
        "half_peak_p99_ms_runs":
            p99s(report, "/open_loop_half_peak/millisecond_ticks/penny/runs"),
        "half_peak_minimal_at_half_its_peak_p99_ms_median":
            field("/open_loop_half_peak/minimal_at_half_its_peak_p99_ms_median"),
        "half_peak_poisson_p99_ms_median": field("/open_loop_half_peak/poisson_p99_ms_median"),
        "half_peak_poisson_p99_ms_runs": p99s(report, "/open_loop_half_peak/poisson/penny/runs"),
        "half_peak_poisson_minimal_at_half_its_peak_p99_ms_median":
            field("/open_loop_half_peak/poisson_minimal_at_half_its_peak_p99_ms_median"),
        "met": field("/targets/met"),
    })
}

/// The `p99_ms` of each run in the array at `pointer`.
fn p99s(report: &Value, pointer: &str) -> Value {
    report
        .pointer(pointer)
        .and_then(Value::as_array)
        .map_or(Value::Null, |runs| {
            runs.iter().map(|r| r["p99_ms"].clone()).collect()
        })
}

/// Appends `summary` as one line to the run log in `dir`.
pub fn append(dir: &Path, summary: &Value) -> anyhow::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(FILE))?;
    writeln!(file, "{}", serde_json::to_string(summary)?)?;
    Ok(())
}

/// Whether tracked files other than the results (which `just bench` itself rewrites before this
/// bench runs) differ from `HEAD`; `None` outside a checkout. Porcelain paths are relative to
/// the repository root.
fn uncommitted_changes() -> Option<bool> {
    let status = git(&["status", "--porcelain", "--untracked-files=no"])?;
    Some(status.lines().any(|line| {
        !line
            .get(3..)
            .unwrap_or_default()
            .starts_with("bench/results/")
    }))
}

/// Output of `git <args>` in this crate's directory, untrimmed (porcelain lines start with a
/// status column that may be a space); `None` outside a checkout.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}
