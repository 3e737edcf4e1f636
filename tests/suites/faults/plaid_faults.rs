//! The Plaid API failing under load, in pulses at random points of the drain (the first on as
//! the burst leaves the sandbox): 30% of `/auth/get` calls answering 500, a storm of 429
//! `RATE_LIMIT_EXCEEDED`, and 2 s latency spikes. Verification retries with a jittered backoff
//! (or waits out the slow answers, its heartbeats keeping each message); every member still
//! ends verified once, with one event, one email and one push.

use std::time::Duration;

use penny_e2e::local::LocalOptions;
use penny_testkit::{EndpointFault, ForcedError};

use super::harness::{Case, FaultEnd};

/// Members in the short burst.
const N: usize = 100;
/// The endpoint every verification calls.
const AUTH_GET: &str = "/auth/get";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_get_failing_30_percent_loses_and_doubles_nothing() -> anyhow::Result<()> {
    let fault = EndpointFault::error(AUTH_GET, ForcedError::InternalServerError).probability(0.3);
    let errors = in_pulses("auth_get_500", "30% of /auth/get answer 500", fault, |_| {}).await?;
    assert!(errors > 0, "the sandbox answered no 500");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_storm_on_auth_get_loses_and_doubles_nothing() -> anyhow::Result<()> {
    // The next calls answer 429 whatever penny's own budget says (Plaid's other clients, a
    // lower limit than configured): as many as the burst has members.
    let count = u32::try_from(super::harness::Size::from_env(N).n)?;
    let fault = EndpointFault::error(AUTH_GET, ForcedError::RateLimitExceeded).count(count);
    let label = format!("the next {count} /auth/get answer 429 RATE_LIMIT_EXCEEDED");
    let errors = in_pulses("auth_get_429", &label, fault, |_| {}).await?;
    assert!(errors > 0, "the sandbox answered no 429");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_get_latency_spikes_lose_and_double_nothing() -> anyhow::Result<()> {
    let fault = EndpointFault::latency(AUTH_GET, Duration::from_secs(2));
    // 16 handlers: a spike holds each of them for 2 s, so the burst drains through the pulses
    // instead of all its calls starting in the first one.
    let label = "/auth/get answers 2 s late (16 handlers)";
    in_pulses("auth_get_latency", label, fault, |o| {
        o.env.push((
            "penny-verification",
            "PENNY_VERIFICATION_CONSUMER_CONCURRENCY",
            "16".into(),
        ));
    })
    .await?;
    Ok(())
}

/// Runs a burst with `fault` on `/auth/get` in `size.faults` pulses of 1–3 s; returns the
/// error answers the sandbox gave.
async fn in_pulses(
    name: &'static str,
    label: &str,
    fault: EndpointFault,
    configure: impl FnOnce(&mut LocalOptions),
) -> anyhow::Result<u64> {
    let mut case = Case::start(name, N, configure).await?;
    let n = case.size.n;
    let sandbox = case.stack.sandbox();
    sandbox.reset_stats().await?;
    let mut pulses = Vec::new();
    let mut end = FaultEnd::now();
    for i in 0..case.size.faults {
        if i > 0 {
            case.pause(Duration::ZERO, Duration::from_secs(1)).await;
        }
        sandbox.add_fault(&fault).await?;
        if i == 0 {
            case.trigger().await?;
        }
        let (t, pushed) = (case.t(), case.pushes());
        let on = case
            .random
            .between(Duration::from_secs(1), Duration::from_secs(3));
        tokio::time::sleep(on).await;
        sandbox.clear_faults().await?;
        end = FaultEnd::now();
        pulses.push(format!(
            "{t:.1} s for {:.1} s ({pushed}/{n})",
            on.as_secs_f64()
        ));
    }
    let stats = sandbox.stats().await?.endpoint(AUTH_GET);
    let fault = format!(
        "{label} ×{} at {} ({} calls, {} errors)",
        pulses.len(),
        pulses.join(", "),
        stats.calls,
        stats.errors
    );
    case.finish(fault, end).await?;
    case.stop().await?;
    Ok(stats.errors)
}
