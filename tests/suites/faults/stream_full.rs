//! The webhooks stream full: `PLAID_WEBHOOKS` is made as small as NATS allows (`pennyctl
//! streams apply` with `PENNY_STREAMS_WEBHOOKS_MAX_BYTES`), so ingress stores part of the burst
//! and answers 503 `stream_full` (never 200) for the rest. The stream keeps limits retention:
//! once the consumers have handled and acked every stored webhook the stream is still full (a
//! webhook leaves only at its max age, 8 days), so the case shows that, then does what an
//! operator does: `pennyctl streams apply` with the default limit. Plaid's retries (the
//! sandbox's clock moved to them) are then stored. Nothing ingress accepted is lost, nothing is
//! applied twice.

use std::time::Duration;

use penny_testkit::poll_until;

use super::harness::{Case, FaultEnd, retry_until_delivered};

/// Members in the short burst: more than the stream holds (about 126 webhooks).
const N: usize = 200;
/// The smallest stream NATS allows: one largest message.
const MAX_BYTES: &str = "72KiB";
/// The webhooks of the burst.
const CODE: &str = "AUTOMATICALLY_VERIFIED";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_webhooks_stream_gives_503s_and_loses_nothing() -> anyhow::Result<()> {
    let mut case = Case::start("stream_full", N, |o| {
        let key = "PENNY_STREAMS_WEBHOOKS_MAX_BYTES";
        o.env.push(("pennyctl", key, MAX_BYTES.to_owned()));
    })
    .await?;
    let n = case.size.n;
    let sandbox = case.stack.sandbox();
    let url = case.stack.nats_url();
    case.trigger().await?;
    // Every webhook's first attempt answered: what fitted stored, the rest refused.
    let stored = poll_until(Duration::from_secs(60), || {
        let sandbox = sandbox.clone();
        async move {
            let attempts = sandbox.webhook_attempts(CODE).await.ok()?;
            (attempts.len() >= n).then(|| attempts.iter().filter(|a| a.status == Some(200)).count())
        }
    })
    .await?;
    assert!(stored < n, "the stream held the whole burst ({stored})");
    // The consumers handle every stored one through to its push, and ack it...
    poll_until(case.size.settle_deadline(), || {
        let done = case.pushes() >= stored;
        async move { done.then_some(()) }
    })
    .await?;
    // ...which frees no space: limits retention keeps them until their max age.
    let kept = webhooks_stored(&url).await?;
    assert_eq!(kept, stored as u64, "acked webhooks left the stream");
    let t = case.t();
    // The operator raises the limit (the default), and Plaid retries what was refused.
    raise_limit(&url)?;
    let end = FaultEnd::now();
    let rounds = retry_until_delivered(&sandbox, CODE, n, || async { Ok(()) }).await?;
    let refused = sandbox
        .webhook_attempts(CODE)
        .await?
        .iter()
        .filter(|a| a.status == Some(503))
        .count();
    let fault = format!(
        "PLAID_WEBHOOKS of {MAX_BYTES}: {stored} stored, {refused} answered 503; still full \
         after every ack; limit raised at {t:.1} s; delivered after each of Plaid's rounds \
         {rounds:?}"
    );
    case.finish(fault, end).await?;
    case.stop().await
}

/// Webhooks in `PLAID_WEBHOOKS` now.
async fn webhooks_stored(nats_url: &str) -> anyhow::Result<u64> {
    let client = async_nats::connect(nats_url).await?;
    let js = async_nats::jetstream::new(client);
    let mut stream = js.get_stream(penny_bus::PLAID_WEBHOOKS).await?;
    Ok(stream.info().await?.state.messages)
}

/// `pennyctl streams apply` with the default limits, as an operator would.
fn raise_limit(nats_url: &str) -> anyhow::Result<()> {
    let pennyctl = penny_e2e::process::binary("pennyctl", "pennyctl")?;
    let out = tokio::task::block_in_place(|| {
        std::process::Command::new(pennyctl)
            .args(["--nats-url", nats_url, "streams", "apply"])
            .output()
    })?;
    anyhow::ensure!(
        out.status.success(),
        "pennyctl streams apply: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}
