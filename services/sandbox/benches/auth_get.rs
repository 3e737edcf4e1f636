//! `/auth/get` throughput with 100,000 Items in memory.
//!
//! Starts the sandbox in-process on a free port, seeds 100,000 verified Items, then drives
//! `/auth/get` over 64 keep-alive HTTP/1.1 connections for a fixed time (10 s, or
//! `PENNY_BENCH_SECONDS`) and writes `{requests, seconds, rps, p50_us, p99_us, items, errors}` to
//! `bench/results/sandbox-auth-get.json` at the workspace root.
//!
//! Run: `cargo bench -p penny-sandbox --bench auth_get`
#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use penny_sandbox::{App, Config};
use serde_json::json;
use tokio_util::sync::CancellationToken;

const ITEMS: usize = 100_000;
const CONNECTIONS: usize = 64;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let seconds: u64 = std::env::var("PENNY_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10)
        .clamp(1, 120);

    let app = App::build(Config::default()).await?;
    let addr = app.local_addr();
    let base = app.base_url();
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(app.run_until_stopped(shutdown.clone()));

    let seeded: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/__sandbox/seed"))
        .json(&json!({ "count": ITEMS }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let bodies: Arc<Vec<Bytes>> = Arc::new(
        seeded["access_tokens"]
            .as_array()
            .context("seed returned no tokens")?
            .iter()
            .map(|t| Bytes::from(json!({ "access_token": t }).to_string()))
            .collect(),
    );
    anyhow::ensure!(bodies.len() == ITEMS, "seeded {} items", bodies.len());

    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|i| tokio::spawn(worker(addr, Arc::clone(&bodies), i, deadline)))
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0u64;
    for w in workers {
        let (lat, err) = w.await??;
        latencies.extend(lat);
        errors += err;
    }
    let elapsed = started.elapsed().as_secs_f64();
    shutdown.cancel();
    server.await??;

    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies
            .get(((latencies.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(0)
    };
    let requests = latencies.len() as u64;
    let result = json!({
        "requests": requests,
        "seconds": (elapsed * 100.0).round() / 100.0,
        "rps": (requests as f64 / elapsed).round(),
        "p50_us": pct(0.50),
        "p99_us": pct(0.99),
        "items": ITEMS,
        "connections": CONNECTIONS,
        "errors": errors,
    });
    println!("{}", serde_json::to_string_pretty(&result)?);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../bench/results");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("sandbox-auth-get.json"),
        serde_json::to_vec_pretty(&result)?,
    )?;
    anyhow::ensure!(errors == 0, "{errors} requests failed");
    Ok(())
}

/// One keep-alive connection sending requests back to back; returns latencies (µs) and errors.
async fn worker(
    addr: SocketAddr,
    bodies: Arc<Vec<Bytes>>,
    index: usize,
    deadline: Instant,
) -> anyhow::Result<(Vec<u32>, u64)> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let host = addr.to_string();
    let mut latencies = Vec::with_capacity(200_000);
    let mut errors = 0;
    let mut n = index * 1_009;
    while Instant::now() < deadline {
        let body = bodies[n % bodies.len()].clone();
        n += CONNECTIONS;
        let req = Request::post("/auth/get")
            .header(hyper::header::HOST, &host)
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header("PLAID-CLIENT-ID", "penny-sandbox-client")
            .header("PLAID-SECRET", "penny-sandbox-secret")
            .body(Full::new(body))?;
        let start = Instant::now();
        sender.ready().await?;
        let resp = sender.send_request(req).await?;
        let ok = resp.status() == 200;
        let bytes = resp.into_body().collect().await?.to_bytes();
        latencies.push(start.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
        if !ok || bytes.is_empty() {
            errors += 1;
        }
    }
    Ok((latencies, errors))
}
