//! Processes and inputs of the benchmark: penny's ingress and the minimal baseline as child
//! processes, webhook bodies written the way Plaid writes them, and tokens signed by the sandbox
//! exactly as its webhooks are signed.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context as _;
use bytes::Bytes;
use futures::StreamExt as _;
use serde_json::{Value, json};

use crate::load::Prepared;

/// A child process killed on drop.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the release `penny-ingress` binary with production-like settings (JSON logs at info,
/// tracing and metrics on), pointed at `nats_url` and the sandbox.
pub fn spawn_penny(
    listen: SocketAddr,
    binary: &str,
    nats_url: &str,
    plaid_base_url: &str,
    log: &Path,
) -> anyhow::Result<ChildGuard> {
    let log = std::fs::File::create(log)?;
    // Profiling aid: PENNY_BENCH_WRAP="valgrind --tool=callgrind" runs penny under a wrapper.
    let wrap = std::env::var("PENNY_BENCH_WRAP").unwrap_or_default();
    let mut words = wrap.split_whitespace();
    let mut command = match words.next() {
        Some(program) => {
            let mut c = Command::new(program);
            c.args(words).arg(binary);
            c
        }
        None => Command::new(binary),
    };
    // Tuning aid: PENNY_BENCH_PENNY_WORKERS sets penny's tokio worker count.
    if let Ok(workers) = std::env::var("PENNY_BENCH_PENNY_WORKERS") {
        command.env("TOKIO_WORKER_THREADS", workers);
    }
    let child = command
        .env("PENNY_INGRESS_LISTEN", listen.to_string())
        // As the image sets them (Dockerfile); an explicit setting in the environment wins.
        .env(
            "MIMALLOC_ALLOW_THP",
            std::env::var("MIMALLOC_ALLOW_THP").unwrap_or_else(|_| "0".into()),
        )
        .env(
            "MIMALLOC_PURGE_DELAY",
            std::env::var("MIMALLOC_PURGE_DELAY").unwrap_or_else(|_| "0".into()),
        )
        .env("PENNY_NATS_URL", nats_url)
        .env("PENNY_PLAID_BASE_URL", plaid_base_url)
        .env("PENNY_PLAID_ENVIRONMENT", "sandbox")
        .env("PENNY_LOG_FORMAT", "json")
        .env("PENNY_LOG_FILTER", "info")
        .stdout(log.try_clone()?)
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .context("spawning penny-ingress")?;
    Ok(ChildGuard(child))
}

/// Starts this bench binary again in the role of the minimal baseline server.
pub fn spawn_minimal(listen: SocketAddr, nats_url: &str, log: &Path) -> anyhow::Result<ChildGuard> {
    let log = std::fs::File::create(log)?;
    let child = Command::new(std::env::current_exe()?)
        .env("PENNY_BENCH_ROLE", "minimal")
        .env("PENNY_BENCH_LISTEN", listen.to_string())
        .env("PENNY_BENCH_NATS_URL", nats_url)
        .stdout(log.try_clone()?)
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .context("spawning the minimal baseline")?;
    Ok(ChildGuard(child))
}

/// Polls `url` until it answers 200.
pub async fn wait_ready(http: &reqwest::Client, url: &str) -> anyhow::Result<()> {
    penny_testkit::poll_until(Duration::from_secs(30), || async {
        http.get(url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    })
    .await
    .with_context(|| format!("{url} never became ready"))
}

/// `n` distinct AUTH webhook bodies, 2-space indented like Plaid's, tagged with `run`.
pub fn bodies(run: &str, n: usize) -> Vec<Bytes> {
    (0..n)
        .map(|i| {
            Bytes::from(format!(
                "{{\n  \"webhook_type\": \"AUTH\",\n  \"webhook_code\": \"AUTOMATICALLY_VERIFIED\",\n  \"item_id\": \"{run}-item-{i:0>24}\",\n  \"account_id\": \"{run}-acct-{i:0>24}\",\n  \"environment\": \"sandbox\",\n  \"error\": null\n}}"
            ))
        })
        .collect()
}

/// Signs every body at the sandbox's `/__sandbox/webhooks/sign` (iat = now).
pub async fn sign_all(
    http: &reqwest::Client,
    sandbox: &str,
    bodies: Vec<Bytes>,
) -> anyhow::Result<Vec<Prepared>> {
    let url = format!("{sandbox}/__sandbox/webhooks/sign");
    let signed: Vec<anyhow::Result<Prepared>> = futures::stream::iter(bodies)
        .map(|body| {
            let url = url.clone();
            async move {
                let text = std::str::from_utf8(&body)?.to_owned();
                let v: Value = http
                    .post(&url)
                    .json(&json!({ "body": text }))
                    .send()
                    .await?
                    .error_for_status()?
                    .json()
                    .await?;
                let token = v["plaid_verification"]
                    .as_str()
                    .context("plaid_verification")?
                    .to_owned();
                Ok(Prepared {
                    body,
                    token: Some(Bytes::from(token)),
                })
            }
        })
        .buffered(32)
        .collect()
        .await;
    signed.into_iter().collect()
}

/// The sandbox's current key coordinates `(x, y)`.
pub async fn current_key(
    http: &reqwest::Client,
    sandbox: &str,
) -> anyhow::Result<(String, String)> {
    let v: Value = http
        .get(format!("{sandbox}/__sandbox/keys"))
        .send()
        .await?
        .json()
        .await?;
    let key = v["keys"]
        .as_array()
        .and_then(|keys| keys.iter().rfind(|k| k["expired_at"].is_null()))
        .context("a current key")?;
    Ok((
        key["x"].as_str().context("x")?.to_owned(),
        key["y"].as_str().context("y")?.to_owned(),
    ))
}
