//! The summary on stderr (each figure beside its goal) and `bench/results/burst.json`.

use std::collections::BTreeMap;

use serde_json::json;

use crate::scenario::Outcome;

/// Plaid's production `/auth/get` budget per client, per second (12,000 a minute).
pub const BUDGET_PER_SECOND: f64 = 200.0;
/// Goal: peak resident memory per service.
const RSS_GOAL_MIB: f64 = 64.0;

/// Prints one run's figures.
pub fn summarize(o: &Outcome) {
    let s = &o.scenario;
    crate::say(format!(
        "  {}: {} members, {} verification replica(s): drained in {:.1} s ({:.0}/s end to end; verification done at {:.1} s, {:.0}/s); lost {}, doubled {}; /auth/get {} calls, {} answered 429; latency p50 {:.2} s, p99 {:.2} s",
        s.name,
        s.n,
        s.replicas,
        o.drain_seconds,
        o.rate,
        o.verified_seconds,
        o.verified_rate,
        o.lost,
        o.doubled,
        o.auth_get_calls,
        o.auth_get_429,
        o.latency_p50,
        o.latency_p99,
    ));
    if s.limits {
        let bound = s.n as f64 / BUDGET_PER_SECOND;
        crate::say(format!(
            "    budget bound {bound:.0} s: verification drain ÷ bound = {:.3} (goal ≤ 1.05), end to end {:.3}; 429s {} (goal 0)",
            o.verified_seconds / bound,
            o.drain_seconds / bound,
            o.auth_get_429
        ));
    }
    if let Some(c) = &o.ceilings {
        crate::say(format!(
            "    slowest stage alone {:.0}/s: pipeline ÷ ceiling = {:.2}",
            c.slowest(),
            o.rate / c.slowest()
        ));
    }
    for (name, u) in &o.usage.processes {
        crate::say(format!(
            "    {name:<24} CPU {:>7.3} ms/webhook  peak RSS {:>6.1} MiB{}",
            1000.0 * u.cpu_seconds / s.n as f64,
            u.peak_rss_mib,
            if name.starts_with("penny-") && !name.starts_with("penny-sandbox") {
                if u.peak_rss_mib <= RSS_GOAL_MIB {
                    "  (≤ 64 MiB)"
                } else {
                    "  (over 64 MiB)"
                }
            } else {
                ""
            }
        ));
    }
    machine(o);
}

/// This machine's cores (0 when it cannot tell).
fn cores() -> usize {
    std::thread::available_parallelism().map_or(0, std::num::NonZero::get)
}

/// Where the box's CPU went: the whole machine busy, per phase (while verification drained,
/// then while the notifier finished), beside what the listed processes used; and how fast the
/// alerts went out in each phase.
fn machine(o: &Outcome) {
    let cores = cores().max(1) as f64;
    let p = &o.progress;
    let window = p.last().t.max(1e-9);
    let listed: f64 = o.usage.processes.values().map(|u| u.cpu_seconds).sum();
    let busy = o.usage.machine_busy_seconds;
    crate::say(format!(
        "    machine ({cores:.0} cores) over {window:.0} s: busy {:.2} cores, stolen {:.2}; the processes above {:.2}, the rest (PostgreSQL, anything else) {:.2}",
        busy / window,
        o.usage.machine_steal_seconds / window,
        listed / window,
        (busy - listed) / window,
    ));
    // The CPU work the run took cannot be done in less than work ÷ cores seconds.
    let cpu_bound = busy / cores;
    crate::say(format!(
        "    CPU bound: {busy:.0} CPU-seconds of work on {cores:.0} cores need ≥ {cpu_bound:.1} s; end to end ÷ CPU bound = {:.3}",
        o.drain_seconds / cpu_bound.max(1e-9),
    ));
    let (v, d) = (o.verified_seconds, o.drain_seconds);
    let alerts = |s: &penny_e2e::burst::Sample| s.emails.min(s.pushes);
    let phase = |from: f64, to: f64| {
        let span = (to - from).max(1e-9);
        let busy = (p.at(to, |s| s.busy) - p.at(from, |s| s.busy)) / span;
        let rate = (p.at(to, alerts) - p.at(from, alerts)) / span;
        (busy, rate)
    };
    let (busy_1, rate_1) = phase(0.0, v);
    let mut line = format!(
        "    while verification drained (0–{v:.0} s): machine busy {busy_1:.2} cores, members alerted {rate_1:.0}/s"
    );
    if d - v >= 2.0 {
        let (busy_2, rate_2) = phase(v, d);
        line.push_str(&format!(
            "; after ({v:.0}–{d:.0} s): busy {busy_2:.2} cores, alerted {rate_2:.0}/s"
        ));
    }
    crate::say(line);
}

/// The scaling summary: verification rate per replica count and the 1 → 2 speed-up.
pub fn scaling(outcomes: &[&Outcome]) -> Option<f64> {
    let rate = |r: usize| {
        outcomes
            .iter()
            .find(|o| o.scenario.replicas == r)
            .map(|o| o.verified_rate)
    };
    for o in outcomes {
        crate::say(format!(
            "  scaling: {} replica(s): {:.0} verified/s",
            o.scenario.replicas, o.verified_rate
        ));
    }
    let speedup = rate(2)? / rate(1)?;
    crate::say(format!("  scaling 1 → 2: ×{speedup:.2} (goal ≥ 1.7)"));
    if let (Some(one), Some(four)) = (rate(1), rate(4)) {
        crate::say(format!("  scaling 1 → 4: ×{:.2}", four / one));
    }
    Some(speedup)
}

/// Every run recorded in `bench/results/burst.json` (this run's and earlier ones').
pub fn recorded() -> anyhow::Result<Vec<Outcome>> {
    let path = penny_testkit::workspace_root().join("bench/results/burst.json");
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&path)?)?;
    let runs = doc["runs"].as_object().cloned().unwrap_or_default();
    runs.into_values()
        .map(|run| Ok(serde_json::from_value(run)?))
        .collect()
}

/// Writes every run to `bench/results/burst.json`, keeping the runs of settings this run
/// skipped (`PENNY_BURST_SETTINGS`) from the file as it was; each run carries its own date
/// and commit.
pub fn write(outcomes: &[Outcome], speedup: Option<f64>) -> anyhow::Result<()> {
    let root = penny_testkit::workspace_root();
    let commit = std::process::Command::new("git")
        .current_dir(&root)
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let path = root.join("bench/results/burst.json");
    let earlier: serde_json::Value = std::fs::read(&path)
        .ok()
        .and_then(|raw| serde_json::from_slice(&raw).ok())
        .unwrap_or_default();
    let mut runs: BTreeMap<String, serde_json::Value> = earlier["runs"]
        .as_object()
        .map(|m| m.clone().into_iter().collect())
        .unwrap_or_default();
    let date = chrono::Utc::now().to_rfc3339();
    for o in outcomes {
        let mut run = serde_json::to_value(o)?;
        run["date"] = json!(date);
        run["commit"] = json!(commit);
        runs.insert(o.scenario.name.clone(), run);
    }
    let speedup = speedup.map_or_else(|| earlier["scaling_speedup_1_to_2"].clone(), |s| json!(s));
    let doc = json!({
        "bench": "burst",
        "cores": cores(),
        "budget_per_second": BUDGET_PER_SECOND,
        "scaling_speedup_1_to_2": speedup,
        "runs": runs,
    });
    std::fs::write(&path, serde_json::to_string_pretty(&doc)?)?;
    crate::say(format!("wrote {}", path.display()));
    Ok(())
}
