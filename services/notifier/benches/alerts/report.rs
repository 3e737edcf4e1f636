//! The results: medians and ranges over the rounds, on stderr and in
//! `bench/results/notifier-alerts.json` at the workspace root (with every round, the settings,
//! the machine and the commit).

use std::process::Command;

use serde_json::{Value, json};

use crate::round::Round;
use crate::{Settings, say};

/// The median, smallest and largest of `values`.
fn spread(values: &[f64]) -> Value {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let pick = |i: usize| sorted.get(i).copied().unwrap_or(f64::NAN);
    json!({
        "median": pick(sorted.len().saturating_sub(1) / 2),
        "min": pick(0),
        "max": pick(sorted.len().saturating_sub(1)),
    })
}

/// Writes the summary and the JSON file.
pub fn write(s: &Settings, rounds: &[Round]) -> anyhow::Result<()> {
    let figure = |f: fn(&Round) -> f64| spread(&rounds.iter().map(f).collect::<Vec<_>>());
    let summary = json!({
        "alerts_per_sec": figure(|r| r.alerts_per_sec),
        "ceiling_alerts_per_sec": figure(|r| r.ceiling_per_sec),
        "ratio_to_ceiling": figure(|r| r.ratio),
        "peak_rss_mib": figure(|r| r.peak_rss_mib),
        "cpu_ms_per_alert": figure(|r| r.cpu_ms_per_alert),
        "burst_seconds": figure(|r| r.burst_seconds),
        "publish_seconds": figure(|r| r.publish_seconds),
        "contacts_seconds": figure(|r| r.contacts_seconds),
    });
    let text = |key: &str, decimals: usize| {
        let v = &summary[key];
        let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
        format!(
            "{:.*} ({:.*}–{:.*})",
            decimals,
            f("median"),
            decimals,
            f("min"),
            decimals,
            f("max")
        )
    };
    say(format!(
        "notifier alerts bench, {} verified accounts × (email + push), {} round(s), {}:\n  \
         notifier {} alerts/s, ceiling {} alerts/s, ratio {}, peak RSS {} MiB, {} ms CPU/alert",
        s.n,
        rounds.len(),
        s.db,
        text("alerts_per_sec", 0),
        text("ceiling_alerts_per_sec", 0),
        text("ratio_to_ceiling", 2),
        text("peak_rss_mib", 1),
        text("cpu_ms_per_alert", 3),
    ));
    let report = json!({
        "bench": "penny-notifier alerts",
        "what": "alerts per second through the notifier (release binary) to a real SMTP server \
                 (aiosmtpd) and a signature-checking push receiver, for a burst of N \
                 account.verified events; ceiling = the same receivers fed directly by the \
                 notifier's transports at the same concurrency",
        "n": s.n,
        "alerts_per_round": 2 * s.n,
        "database": s.db.to_string(),
        "send_concurrency": s.concurrency,
        "summary": summary,
        "rounds": rounds,
        "machine": {
            "cores": std::thread::available_parallelism().map_or(0, |n| n.get()),
        },
        "commit": output("git", &["rev-parse", "--short", "HEAD"]),
        "when": chrono::Utc::now().to_rfc3339(),
    });
    let dir = penny_testkit::workspace_root().join("bench/results");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("notifier-alerts.json");
    std::fs::write(&path, serde_json::to_string_pretty(&report)? + "\n")?;
    say(format!("written to {}", path.display()));
    Ok(())
}

fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    Some(String::from_utf8(out.stdout).ok()?.trim().to_owned())
}
