//! The results: per database the medians and ranges over the rounds (penny, the baseline, the
//! ratio of their CPU per webhook, `GetAccount` latency, the target), printed as a summary and
//! written with every round's details and the machine to
//! `bench/results/verification-consumer.json` at the workspace root.

use std::process::Command;

use serde_json::{Value, json};

use crate::measure::Drain;
use crate::say;
use crate::scenario::Round;
use crate::settings::Settings;
use crate::stats::Spread;

/// The target: verification CPU per webhook, on each database.
pub const TARGET_CPU_MS: f64 = 0.5;

/// The medians and ranges of one consumer's drains.
fn drains(runs: &[&Drain]) -> Value {
    let s = |f: &dyn Fn(&Drain) -> f64| Spread::of(runs.iter().map(|d| f(d)));
    json!({
        "drain_seconds": s(&|d| d.drain_seconds),
        "webhooks_per_sec": s(&|d| d.webhooks_per_sec),
        "cpu_ms_per_webhook": s(&|d| d.consumer_cpu.ms_per_webhook),
        "user_ms_per_webhook": s(&|d| d.consumer_cpu.user_ms_per_webhook),
        "system_ms_per_webhook": s(&|d| d.consumer_cpu.system_ms_per_webhook),
        "kernel_share": s(&|d| d.consumer_cpu.kernel_share),
        "postgres_cpu_ms_per_webhook": runs
            .iter()
            .all(|d| d.postgres_cpu.is_some())
            .then(|| s(&|d| d.postgres_cpu.map_or(0.0, |p| p.ms_per_webhook))),
        "nats_cpu_ms_per_webhook": s(&|d| d.nats_cpu.ms_per_webhook),
        "publish_to_commit_p50_ms": s(&|d| d.publish_to_commit.p50_ms),
        "publish_to_commit_p99_ms": s(&|d| d.publish_to_commit.p99_ms),
        "publish_seconds": s(&|d| d.publish_seconds),
    })
}

fn with_postgres(d: &Drain) -> f64 {
    d.consumer_cpu.ms_per_webhook + d.postgres_cpu.map_or(0.0, |p| p.ms_per_webhook)
}

/// The report of one database's rounds; prints its summary.
pub fn database(name: &str, settings: &Settings, rounds: &[Round]) -> Value {
    let penny: Vec<&Drain> = rounds.iter().map(|r| &r.penny).collect();
    let base: Vec<&Drain> = rounds.iter().map(|r| &r.baseline).collect();
    let ratio = Spread::of(rounds.iter().map(|r| {
        r.penny.consumer_cpu.ms_per_webhook / r.baseline.consumer_cpu.ms_per_webhook.max(1e-9)
    }));
    let ratio_pg = Spread::of(
        rounds
            .iter()
            .map(|r| with_postgres(&r.penny) / with_postgres(&r.baseline).max(1e-9)),
    );
    let cpu = Spread::of(penny.iter().map(|d| d.consumer_cpu.ms_per_webhook));
    let met = cpu.median <= TARGET_CPU_MS;
    let grpc: Vec<Value> = [1usize, 64]
        .iter()
        .map(|callers| {
            let rows: Vec<_> = rounds
                .iter()
                .flat_map(|r| &r.grpc_get_account)
                .filter(|row| row.callers == *callers)
                .collect();
            json!({
                "callers": callers,
                "account_id_len": rows.first().map_or(0, |r| r.account_id_len),
                "p50_ms": Spread::of(rows.iter().map(|r| r.latency.p50_ms)),
                "p99_ms": Spread::of(rows.iter().map(|r| r.latency.p99_ms)),
                "calls_per_sec": Spread::of(rows.iter().map(|r| r.calls_per_sec)),
                "errors": rows.iter().map(|r| r.errors).sum::<u64>(),
            })
        })
        .collect();

    let line = |who: &str, runs: &[&Drain]| {
        let s = |f: &dyn Fn(&Drain) -> f64, d: usize| Spread::of(runs.iter().map(|x| f(x))).text(d);
        let pg = if runs.iter().all(|d| d.postgres_cpu.is_some()) {
            format!(
                " + postgres {}",
                s(&|d| d.postgres_cpu.map_or(0.0, |p| p.ms_per_webhook), 3)
            )
        } else {
            String::new()
        };
        say(format!(
            "  {who:<9} {} webhooks/s  CPU {} ms/webhook (user {}, sys {}, kernel share {}){pg}  \
             publish→commit p50 {} ms, p99 {} ms",
            s(&|d| d.webhooks_per_sec, 0),
            s(&|d| d.consumer_cpu.ms_per_webhook, 3),
            s(&|d| d.consumer_cpu.user_ms_per_webhook, 3),
            s(&|d| d.consumer_cpu.system_ms_per_webhook, 3),
            s(&|d| d.consumer_cpu.kernel_share, 2),
            s(&|d| d.publish_to_commit.p50_ms, 0),
            s(&|d| d.publish_to_commit.p99_ms, 0),
        ));
    };
    say(format!(
        "{name}: N = {}, {} round(s) (median (min–max))",
        settings.n,
        rounds.len()
    ));
    line("penny", &penny);
    line("baseline", &base);
    say(format!(
        "  penny / baseline CPU per webhook: {}x (with postgres: {}x)",
        ratio.text(1),
        ratio_pg.text(1)
    ));
    for g in &grpc {
        say(format!(
            "  GetAccount ({} caller(s), id length {}): p50 {} ms, p99 {} ms",
            g["callers"],
            g["account_id_len"],
            fmt_spread(&g["p50_ms"]),
            fmt_spread(&g["p99_ms"])
        ));
    }
    say(format!(
        "  target ≤ {TARGET_CPU_MS} ms of verification CPU per webhook: {} ({:.3} ms)",
        if met { "MET" } else { "NOT met" },
        cpu.median
    ));
    json!({
        "n": settings.n,
        "rounds": rounds.len(),
        "penny": drains(&penny),
        "baseline": drains(&base),
        "ratio_penny_over_baseline_cpu": ratio,
        "ratio_penny_over_baseline_cpu_with_postgres": ratio_pg,
        "grpc_get_account": grpc,
        "target_met": met,
        "round_details": rounds,
    })
}

fn fmt_spread(v: &Value) -> String {
    let f = |k: &str| v[k].as_f64().unwrap_or(0.0);
    Spread {
        median: f("median"),
        min: f("min"),
        max: f("max"),
    }
    .text(2)
}

/// The whole report: settings, machine, and `databases` (name → [`database`]).
pub fn document(settings: &Settings, databases: serde_json::Map<String, Value>) -> Value {
    let met = databases
        .values()
        .all(|d| d["target_met"].as_bool().unwrap_or(false));
    json!({
        "bench": "penny-verification consumer",
        "machine": {
            "cores": std::thread::available_parallelism().map_or(0, |n| n.get()),
            "os": std::env::consts::OS,
            "date": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "git_commit": git(&["rev-parse", "--short=12", "HEAD"]),
            "uncommitted_changes": git(&["status", "--porcelain", "--untracked-files=no"])
                .map(|s| !s.is_empty()),
        },
        "settings": {
            "n": settings.n,
            "rounds": settings.rounds,
            "consumer_concurrency": settings.concurrency,
            "auth_get_rate_limits": "off (PENNY_VERIFICATION_AUTH_GET_PER_CLIENT=0, _PER_ITEM=0)",
            "penny_binary": settings.penny_bin,
            "warmup_webhooks": settings.warmup,
            "postgres_analyzed_after_warmup": settings.analyze,
        },
        "target": {
            "verification_cpu_ms_per_webhook_max": TARGET_CPU_MS,
            "met_on_every_database": met,
        },
        "databases": databases,
    })
}

/// Writes `report` to `bench/results/verification-consumer.json` at the workspace root.
pub fn write(report: &Value) -> anyhow::Result<()> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/results");
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("verification-consumer.json");
    std::fs::write(&path, serde_json::to_string_pretty(report)?)?;
    say(format!("wrote {}", path.canonicalize()?.display()));
    Ok(())
}

/// `git <args>` in this crate's directory, trimmed; `None` outside a checkout.
fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}
