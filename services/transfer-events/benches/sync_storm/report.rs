//! The results: per database the medians and ranges over the rounds, printed as a summary and
//! written with every round and the machine to
//! `bench/results/transfer-events-sync-storm.json` at the workspace root.

use penny_testkit::DbKind;
use serde::Serialize;
use serde_json::{Value, json};

use crate::round::Round;
use crate::say;
use crate::settings::Settings;

/// The file, relative to the workspace root.
const RESULTS: &str = "bench/results/transfer-events-sync-storm.json";

/// A median and the range of some rounds' values.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Spread {
    /// The median.
    pub median: f64,
    /// The smallest.
    pub min: f64,
    /// The largest.
    pub max: f64,
}

impl Spread {
    fn of(values: impl IntoIterator<Item = f64>) -> Self {
        let mut v: Vec<f64> = values.into_iter().collect();
        v.sort_by(f64::total_cmp);
        let median = match v.len() {
            0 => 0.0,
            n if !n.is_multiple_of(2) => v[n / 2],
            n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
        };
        Self {
            median,
            min: v.first().copied().unwrap_or(0.0),
            max: v.last().copied().unwrap_or(0.0),
        }
    }

    fn text(&self, decimals: usize) -> String {
        format!(
            "{:.d$} ({:.d$}–{:.d$})",
            self.median,
            self.min,
            self.max,
            d = decimals
        )
    }
}

/// One database's rounds; prints the summary.
pub fn database(kind: DbKind, settings: &Settings, rounds: &[Round]) -> Value {
    let s = |f: fn(&Round) -> f64| Spread::of(rounds.iter().map(f));
    let recorded = s(|r| r.recorded_seconds);
    let drain = s(|r| r.drain_seconds);
    let rate = s(|r| r.events_per_sec);
    let ceiling = s(|r| r.ceiling.events_per_sec);
    let ratio = s(|r| r.ratio_to_ceiling);
    let syncs = s(|r| r.syncs_run as f64);
    let published = s(|r| r.published_seconds);
    let pokes = s(|r| r.poke_seconds);
    say(format!(
        "{kind}: {} events, {} pokes, {} replicas, {} round(s), median (min–max):",
        settings.events,
        settings.pokes,
        settings.replicas,
        rounds.len()
    ));
    say(format!(
        "  every event recorded after {} s: {} events/s; sandbox ceiling {} events/s; ratio {}",
        recorded.text(2),
        rate.text(0),
        ceiling.text(0),
        ratio.text(3)
    ));
    say(format!(
        "  drained (every poke handled) after {} s; syncs run {}; last poke in the stream after \
         {} s; every domain event published after {} s",
        drain.text(2),
        syncs.text(0),
        pokes.text(2),
        published.text(2)
    ));
    json!({
        "events": settings.events,
        "pokes": settings.pokes,
        "replicas": settings.replicas,
        "rounds": rounds.len(),
        "recorded_seconds": recorded,
        "drain_seconds": drain,
        "events_per_sec": rate,
        "ceiling_events_per_sec": ceiling,
        "ratio_to_ceiling": ratio,
        "syncs_run": syncs,
        "poke_seconds": pokes,
        "published_seconds": published,
        "round_details": rounds,
    })
}

/// The whole report.
pub fn document(settings: &Settings, databases: serde_json::Map<String, Value>) -> Value {
    json!({
        "bench": "penny-transfer-events sync storm",
        "machine": {
            "cores": std::thread::available_parallelism().map_or(0, |n| n.get()),
            "os": std::env::consts::OS,
            "date": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "commit": commit(),
        },
        "settings": {
            "events": settings.events,
            "pokes": settings.pokes,
            "replicas": settings.replicas,
            "rounds": settings.rounds,
            "page_size": 25,
        },
        "databases": databases,
    })
}

fn commit() -> Option<String> {
    let out = std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(penny_testkit::workspace_root())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Writes `document` to [`RESULTS`].
pub fn write(document: &Value) -> anyhow::Result<()> {
    let path = penny_testkit::workspace_root().join(RESULTS);
    std::fs::write(&path, serde_json::to_string_pretty(document)? + "\n")?;
    say(format!("results: {}", path.display()));
    Ok(())
}
