//! Exploration aids used while tuning the ingress (not part of the default run):
//!
//! * `PENNY_BENCH_AB=binA,binB[,...]`: alternating closed-loop runs of several penny builds at
//!   concurrency 64 (`PENNY_BENCH_AB_ROUNDS`, default 5), medians of throughput and of the
//!   server's CPU time per request, which is far less noisy than throughput on a shared box.
//! * `PENNY_BENCH_PROFILE_SECS=n`: only penny (or, with `PENNY_BENCH_PROFILE_MINIMAL`, the
//!   minimal baseline) at concurrency 64 (`PENNY_BENCH_PROFILE_CONCURRENCY`) for `n` s,
//!   printing its pid so a profiler can attach (`perf record -p`), then the server's, the load
//!   generator's and the machine's CPU per request and the server's peak RSS; `PENNY_BENCH_WRAP="valgrind --tool=callgrind"`
//!   starts penny under a wrapper, `PENNY_BENCH_PROFILE_REQUESTS` bounds the run.
//! * `PENNY_BENCH_OPEN_RATES=r1,r2,...`: open-loop latency of penny and of the minimal baseline
//!   at each rate (`PENNY_BENCH_OPEN_MINIMAL_ONLY` skips penny; `PENNY_BENCH_OPEN_ARRIVALS=poisson`
//!   sends them as a Poisson process instead of at a steady rate in 1 ms ticks).
//! * `PENNY_BENCH_PENNY_BIN=path`: any mode runs that penny-ingress build instead of this one.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream;
use penny_testkit::{NatsServer, free_port};

use crate::arrivals::Arrivals;
use crate::{OPEN_LOOP_CONNECTIONS, PATH, QUIET_WAIT, load, median, purge, quiet, row, say, setup};

/// Runs the exploration mode selected by the environment, if any.
pub async fn run_exploration(
    http: &reqwest::Client,
    js: &jetstream::Context,
    sandbox_url: &str,
    penny_addr: SocketAddr,
    minimal_addr: SocketAddr,
    penny_pid: u32,
    minimal_pid: u32,
) -> Option<anyhow::Result<()>> {
    if let Ok(rates) = std::env::var("PENNY_BENCH_OPEN_RATES") {
        return Some(open_sweep(http, js, sandbox_url, penny_addr, minimal_addr, &rates).await);
    }
    if let Ok(secs) = std::env::var("PENNY_BENCH_PROFILE_SECS") {
        let secs: f64 = secs.parse().unwrap_or(10.0);
        // PENNY_BENCH_PROFILE_MINIMAL profiles the minimal baseline (b) instead of penny.
        let (addr, pid) = if std::env::var_os("PENNY_BENCH_PROFILE_MINIMAL").is_some() {
            (minimal_addr, minimal_pid)
        } else {
            (penny_addr, penny_pid)
        };
        return Some(profile(http, sandbox_url, addr, pid, secs).await);
    }
    None
}

async fn open_sweep(
    http: &reqwest::Client,
    js: &jetstream::Context,
    sandbox_url: &str,
    penny_addr: SocketAddr,
    minimal_addr: SocketAddr,
    rates: &str,
) -> anyhow::Result<()> {
    let arrivals = Arrivals::from_env();
    say(format!("open-loop arrivals: {arrivals:?}"));
    for rate in rates
        .split(',')
        .filter_map(|r| r.trim().parse::<f64>().ok())
    {
        let n = (rate * crate::open_secs()) as usize;
        purge(js).await?;
        let set = setup::sign_all(http, sandbox_url, setup::bodies(&format!("omin-{rate}"), n));
        let set = Arc::new(set.await?);
        quiet::wait_for_quiet(QUIET_WAIT).await;
        let b = load::open_loop(
            minimal_addr,
            PATH,
            set,
            rate,
            OPEN_LOOP_CONNECTIONS,
            arrivals,
        )
        .await?;
        row(&format!("(b) open loop {rate:.0}/s"), &b);
        if std::env::var_os("PENNY_BENCH_OPEN_MINIMAL_ONLY").is_some() {
            continue;
        }
        purge(js).await?;
        let set =
            setup::sign_all(http, sandbox_url, setup::bodies(&format!("open-{rate}"), n)).await?;
        quiet::wait_for_quiet(QUIET_WAIT).await;
        let p = load::open_loop(
            penny_addr,
            PATH,
            Arc::new(set),
            rate,
            OPEN_LOOP_CONNECTIONS,
            arrivals,
        )
        .await?;
        row(&format!("penny open loop {rate:.0}/s"), &p);
    }
    Ok(())
}

async fn profile(
    http: &reqwest::Client,
    sandbox_url: &str,
    penny_addr: SocketAddr,
    penny_pid: u32,
    secs: f64,
) -> anyhow::Result<()> {
    let pool = std::env::var("PENNY_BENCH_PROFILE_REQUESTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or((secs * 15_000.0) as usize);
    let concurrency = std::env::var("PENNY_BENCH_PROFILE_CONCURRENCY")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(64);
    let signed = setup::sign_all(http, sandbox_url, setup::bodies("profile", pool)).await?;
    quiet::wait_for_quiet(QUIET_WAIT).await;
    say(format!("PROFILE START pid={penny_pid}"));
    let cpu0 = quiet::cpu_seconds(penny_pid);
    let client0 = quiet::cpu_seconds(std::process::id());
    let machine0 = quiet::CpuTimes::now();
    let p = load::closed_loop(
        penny_addr,
        PATH,
        Arc::new(signed),
        concurrency,
        Duration::from_secs_f64(secs),
    )
    .await?;
    row(&format!("profile run, {concurrency} connections"), &p);
    say(format!(
        "  server peak RSS {:.1} MiB",
        penny_testkit::peak_rss_mib(penny_pid).unwrap_or(0.0)
    ));
    say(format!(
        "  server CPU per request {:.1} µs",
        (quiet::cpu_seconds(penny_pid) - cpu0) * 1e6 / p.ok.max(1) as f64
    ));
    if let (Some(t0), Some(t1)) = (machine0, quiet::CpuTimes::now()) {
        let d = t1.since(&t0);
        let jiffies = d.total as f64;
        say(format!(
            "  load generator CPU per request {:.1} µs; machine busy {:.0}%, busy CPU per request {:.1} µs",
            (quiet::cpu_seconds(std::process::id()) - client0) * 1e6 / p.ok.max(1) as f64,
            100.0 * d.busy() as f64 / jiffies.max(1.0),
            d.busy() as f64 * 1e4 / p.ok.max(1) as f64,
        ));
    }
    if std::env::var_os("PENNY_BENCH_WRAP").is_some() {
        // Give the wrapper (callgrind_control --dump) time before penny is killed.
        tokio::time::sleep(Duration::from_secs(15)).await;
    }
    Ok(())
}

/// Alternating closed-loop runs of several penny builds at concurrency 64.
pub async fn ab_compare(
    bins: &[String],
    nats: &NatsServer,
    sandbox_url: &str,
    tmp: &std::path::Path,
    secs: f64,
) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let js = jetstream::new(nats.connect().await?);
    let mut servers = Vec::new();
    for (i, bin) in bins.iter().enumerate() {
        let addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        let log = tmp.join(format!("ab{i}.log"));
        let child = setup::spawn_penny(addr, bin, nats.url(), sandbox_url, &log)?;
        setup::wait_ready(&http, &format!("http://{addr}/readyz")).await?;
        let warm = setup::bodies(&format!("abwarm{i}"), 2000);
        let warm = setup::sign_all(&http, sandbox_url, warm).await?;
        load::closed_loop(addr, PATH, Arc::new(warm), 16, Duration::from_secs(2)).await?;
        servers.push((addr, child));
    }
    let rounds: usize = std::env::var("PENNY_BENCH_AB_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let mut rates = vec![Vec::new(); bins.len()];
    let mut cpus = vec![Vec::new(); bins.len()];
    for round in 0..rounds {
        for (i, (addr, child)) in servers.iter().enumerate() {
            purge(&js).await?;
            let n = (secs * 16_000.0) as usize;
            let bodies = setup::bodies(&format!("ab{round}-{i}"), n);
            let set = setup::sign_all(&http, sandbox_url, bodies).await?;
            quiet::wait_for_quiet(QUIET_WAIT).await;
            let cpu0 = quiet::cpu_seconds(child.0.id());
            let run_for = Duration::from_secs_f64(secs);
            let p = load::closed_loop(*addr, PATH, Arc::new(set), 64, run_for).await?;
            let cpu = (quiet::cpu_seconds(child.0.id()) - cpu0) * 1e6 / p.ok.max(1) as f64;
            say(format!(
                "round {round} {}: {:.0}/s, {cpu:.1} µs CPU/request",
                bins[i], p.ok_per_sec
            ));
            rates[i].push(p.ok_per_sec);
            cpus[i].push(cpu);
        }
    }
    for (i, bin) in bins.iter().enumerate() {
        say(format!(
            "{bin}: median {:.0}/s, {:.1} µs CPU/request",
            median(rates[i].clone()),
            median(cpus[i].clone())
        ));
    }
    Ok(())
}
