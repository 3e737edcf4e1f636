//! `GetAccount` latency against the running penny-verification: callers each on their own
//! connection, one call after another for a few seconds, over the accounts of the round. A
//! server or client that let Nagle's algorithm hold back a small write would show ~40 ms
//! (the peer's delayed ACK) in the p50, where a quiet loopback call takes well under 1 ms.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use penny_proto::v1 as pb;
use serde::Serialize;

use crate::fixture;
use crate::stats::Latency;

/// One row: `callers` concurrent callers.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Row {
    pub callers: usize,
    pub seconds: f64,
    pub calls: u64,
    pub errors: u64,
    pub calls_per_sec: f64,
    pub account_id_len: usize,
    #[serde(flatten)]
    pub latency: Latency,
}

/// Runs `callers` callers for `run_for` against `addr`, reading `account_ids` round robin.
pub async fn measure(
    addr: SocketAddr,
    account_ids: &[String],
    callers: usize,
    run_for: Duration,
) -> anyhow::Result<Row> {
    anyhow::ensure!(!account_ids.is_empty(), "no accounts to read");
    let mut clients = Vec::with_capacity(callers);
    for _ in 0..callers {
        clients.push(fixture::client(addr).await?);
    }
    let started = Instant::now();
    let deadline = started + run_for;
    let tasks: Vec<_> = clients
        .into_iter()
        .enumerate()
        .map(|(c, mut client)| {
            let ids: Vec<String> = account_ids
                .iter()
                .skip(c % account_ids.len())
                .step_by(callers.max(1))
                .cloned()
                .collect();
            let ids = if ids.is_empty() {
                account_ids.to_vec()
            } else {
                ids
            };
            tokio::spawn(async move {
                let (mut samples, mut errors) = (Vec::new(), 0u64);
                for account_id in ids.iter().cycle() {
                    if Instant::now() >= deadline {
                        break;
                    }
                    let t0 = Instant::now();
                    let request = pb::GetAccountRequest {
                        account_id: account_id.clone(),
                    };
                    match client.get_account(request).await {
                        Ok(_) => samples.push(t0.elapsed().as_secs_f64() * 1000.0),
                        Err(_) => errors += 1,
                    }
                }
                (samples, errors)
            })
        })
        .collect();
    let (mut samples, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (s, e) = task.await?;
        samples.extend(s);
        errors += e;
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(Row {
        callers,
        seconds,
        calls: samples.len() as u64,
        errors,
        calls_per_sec: samples.len() as f64 / seconds,
        account_id_len: account_ids.first().map_or(0, String::len),
        latency: Latency::of(samples),
    })
}
