//! One round on one database, everything fresh (nats-server, sandbox, databases, processes):
//!
//! 1. penny-verification starts; warm-up + N accounts are linked through it and verified in
//!    the sandbox;
//! 2. penny's warm-up (untimed), then its drain: N webhooks published at once, until every
//!    account is verified with its numbers stored and its event published;
//! 3. `GetAccount` latency against the same process, 1 and 64 callers;
//! 4. penny stops, `PLAID_WEBHOOKS` is re-created empty, the baseline starts on its own
//!    database with the Items' access tokens, and the same webhooks (warm-up, then the N
//!    timed) drain through it.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream;
use penny_store::Keyring;
use penny_testkit::{NatsServer, PgCluster, SandboxServer, free_port};
use penny_verification::store::Secrets;
use serde::Serialize;

use crate::db::{Databases, Kind};
use crate::fixture::{self, Fixture};
use crate::grpc_latency::{self, Row};
use crate::measure::{Drain, Watched};
use crate::procs::{self, ChildGuard, PennySettings};
use crate::sandbox::SandboxApi;
use crate::say;
use crate::settings::Settings;
use crate::timed::{self, Consumer, Target};
use crate::timings::Timings;

/// What one round measured.
#[derive(Debug, Serialize)]
pub struct Round {
    pub penny: Drain,
    pub baseline: Drain,
    pub grpc_get_account: Vec<Row>,
    /// Lines of penny's `/metrics` on its consumers' outcomes after the drain (non-zero).
    pub penny_consumer_outcomes: Vec<String>,
    /// What penny logged (at `warn` unless `PENNY_BENCH_LOG_FILTER` says otherwise).
    pub penny_log: procs::LogLines,
    pub phase_seconds: serde_json::Value,
}

/// Runs one round on `kind` (`cluster` for PostgreSQL).
pub async fn run(
    settings: &Settings,
    kind: Kind,
    cluster: Option<&PgCluster>,
    round: usize,
) -> anyhow::Result<Round> {
    let mut timings = Timings::start();
    let tmp = tempfile::Builder::new()
        .prefix("penny-bench-consumer-")
        .tempdir()?;
    let dbs = Databases::create(kind, tmp.path(), cluster, round).await?;
    let nats = NatsServer::start().await?;
    let sandbox = SandboxServer::start().await?;
    let api = SandboxApi::new(sandbox.base_url(), sandbox.client_id(), sandbox.secret());
    let js = jetstream::new(nats.connect().await?);
    fresh_webhook_stream(&js).await?;
    let nats_pid = nats_pid(&nats);

    let keys = Keyring::generate_key("bench")?;
    let secrets = Secrets::new(Keyring::parse(&keys)?);
    let grpc_addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
    let admin_addr = SocketAddr::from(([127, 0, 0, 1], free_port()?));
    let mut penny = procs::spawn_penny(
        &PennySettings {
            binary: &settings.penny_bin,
            nats_url: nats.url(),
            plaid_url: sandbox.base_url(),
            plaid_client_id: sandbox.client_id(),
            plaid_secret: sandbox.secret(),
            database_url: &dbs.penny_url,
            encryption_keys: &keys,
            grpc: grpc_addr,
            admin: admin_addr,
        },
        &tmp.path().join("penny.log"),
    )?;
    procs::wait_ready(&mut penny, &format!("http://{admin_addr}/readyz")).await?;
    timings.lap("start-up");

    let grpc = fixture::client(grpc_addr).await?;
    let fixture = fixture::prepare(
        &api,
        &grpc,
        &dbs.penny_url,
        &secrets,
        settings.warmup + settings.n,
        &mut timings,
    )
    .await?;
    let (warm, timed_accounts) = fixture.accounts.split_at(settings.warmup);

    let mut target = Target {
        settings,
        js: &js,
        api: &api,
        warm,
        timed: timed_accounts,
        db_url: &dbs.penny_url,
        watched: Watched {
            consumer: penny.pid(),
            nats: nats_pid,
            postmaster: dbs.postmaster,
        },
    };
    timed::warm_up(&target, Consumer::Penny, &mut penny, &mut timings).await?;
    let penny_drain = timed::drain(&target, Consumer::Penny, &mut penny, &mut timings).await?;
    let outcomes = consumer_outcomes(admin_addr).await;

    let ids: Vec<String> = fixture
        .accounts
        .iter()
        .map(|a| a.account_id.clone())
        .collect();
    let mut grpc_rows = Vec::new();
    for callers in [1, 64] {
        timed::quiet_wait(&mut timings, &format!("quiet wait (gRPC, {callers})")).await;
        let row = grpc_latency::measure(grpc_addr, &ids, callers, settings.grpc_run).await?;
        say(format!(
            "    GetAccount, {callers:>2} caller(s): p50 {:.2} ms  p99 {:.2} ms  {:.0} calls/s  \
             (id length {}, {} errors)",
            row.latency.p50_ms,
            row.latency.p99_ms,
            row.calls_per_sec,
            row.account_id_len,
            row.errors
        ));
        grpc_rows.push(row);
    }
    timings.lap("gRPC latency");
    let penny_log = penny.log.clone();
    penny.stop().await;
    let penny_log = procs::log_lines(&penny_log);

    // The baseline, on a fresh PLAID_WEBHOOKS with penny stopped.
    fresh_webhook_stream(&js).await?;
    let mut baseline = start_baseline(settings, &nats, &api, &fixture, &dbs, tmp.path()).await?;
    target.db_url = &dbs.baseline_url;
    target.watched.consumer = baseline.pid();
    timed::warm_up(&target, Consumer::Baseline, &mut baseline, &mut timings).await?;
    let baseline_drain =
        timed::drain(&target, Consumer::Baseline, &mut baseline, &mut timings).await?;
    baseline.stop().await;
    Ok(Round {
        penny: penny_drain,
        baseline: baseline_drain,
        grpc_get_account: grpc_rows,
        penny_consumer_outcomes: outcomes,
        penny_log,
        phase_seconds: timings.to_json(),
    })
}

/// Starts the baseline with the Items' access tokens and waits until it pulls.
async fn start_baseline(
    settings: &Settings,
    nats: &NatsServer,
    api: &SandboxApi,
    fixture: &Fixture,
    dbs: &Databases,
    dir: &Path,
) -> anyhow::Result<ChildGuard> {
    let tokens = dir.join("tokens.json");
    std::fs::write(&tokens, serde_json::to_vec(&fixture.access_tokens)?)?;
    let ready = dir.join("baseline.ready");
    let env = [
        ("PENNY_BENCH_NATS_URL", nats.url().to_owned()),
        ("PENNY_BENCH_DB_URL", dbs.baseline_url.clone()),
        ("PENNY_BENCH_PLAID_URL", api.base().to_owned()),
        ("PENNY_BENCH_PLAID_CLIENT_ID", api.client_id().to_owned()),
        ("PENNY_BENCH_PLAID_SECRET", api.secret().to_owned()),
        ("PENNY_BENCH_TOKENS", tokens.display().to_string()),
        ("PENNY_BENCH_READY", ready.display().to_string()),
        ("PENNY_BENCH_CONCURRENCY", settings.concurrency.to_string()),
    ];
    let mut baseline = procs::spawn_baseline(&env, &dir.join("baseline.log"))?;
    for _ in 0..300 {
        if ready.exists() {
            return Ok(baseline);
        }
        baseline.ensure_running()?;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the baseline never became ready:\n{}", baseline.tail())
}

/// Deletes `PLAID_WEBHOOKS` (with its consumers) and creates it again with penny's default
/// settings: each drain starts on an empty stream with nothing in its duplicate window.
async fn fresh_webhook_stream(js: &jetstream::Context) -> anyhow::Result<()> {
    // NotFound is fine: it is created right below.
    let _ = js.delete_stream(penny_bus::PLAID_WEBHOOKS).await;
    penny_bus::ensure_plaid_webhooks(js, &penny_bus::StreamSettings::default())
        .await
        .context("creating PLAID_WEBHOOKS")?;
    Ok(())
}

/// The nats-server process of `nats` (started with `-c <dir>/nats.conf`).
fn nats_pid(nats: &NatsServer) -> Option<u32> {
    let conf = nats.store_dir().parent()?.join("nats.conf");
    crate::cpu::find_process("nats-server", "-c", &conf.display().to_string())
}

/// penny's `/metrics` lines on consumer outcomes (retries or parks would show there).
async fn consumer_outcomes(admin: SocketAddr) -> Vec<String> {
    let Ok(response) = reqwest::get(format!("http://{admin}/metrics")).await else {
        return Vec::new();
    };
    let text = response.text().await.unwrap_or_default();
    text.lines()
        .filter(|l| l.contains("consumer_messages") && !l.starts_with('#') && !l.ends_with(" 0"))
        .map(str::to_owned)
        .collect()
}
