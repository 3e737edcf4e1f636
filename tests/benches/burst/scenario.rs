//! One burst, everything fresh: the stack as release processes on PostgreSQL (its own
//! databases), a cohort linked, the setting applied (Plaid's production limits in the
//! sandbox, or none; added `/auth/get` latency), the stages alone measured (limits off), then
//! the trigger, the drain sampled every second, and the counts: effects, lost, doubled, 429s,
//! CPU and peak memory per process, latency per member.

use std::time::{Duration, Instant};

use penny_e2e::burst::{self, Cohort, Effects, Progress, Usage};
use penny_e2e::local::{LocalOptions, LocalStack, Ports, Profile};
use penny_e2e::morning::Clients;
use penny_testkit::{EndpointFault, RateLimitMode, RateLimits};
use serde::{Deserialize, Serialize};

use crate::ceilings::{self, Ceilings};
use crate::latency::Latencies;

/// What one run does.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Scenario {
    /// `limits-on`, `limits-off`, `scaling-<r>`.
    pub name: String,
    /// Members.
    pub n: usize,
    /// Verification replicas.
    pub replicas: usize,
    /// Plaid's production limits enforced by the sandbox (and penny's budget on).
    pub limits: bool,
    /// Latency the sandbox adds to `/auth/get`.
    pub latency_ms: Option<u64>,
    /// Webhooks each verification replica handles at once (the service default when `None`).
    pub concurrency: Option<usize>,
    /// Webhook deliveries the sandbox holds in flight at once, like a sender fleet (`None`:
    /// every due webhook at once, each on its own connection).
    #[serde(default)]
    pub plaid_concurrency: Option<usize>,
    /// Measure each stage alone first.
    pub ceilings: bool,
}

/// What one run measured.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outcome {
    /// The scenario.
    pub scenario: Scenario,
    /// Seconds to link the cohort (not part of the burst).
    pub link_seconds: f64,
    /// Seconds from the trigger until every member had their email and push.
    pub drain_seconds: f64,
    /// Seconds from the trigger until verification had every member's numbers.
    pub verified_seconds: f64,
    /// Members per second, end to end.
    pub rate: f64,
    /// Members per second through verification.
    pub verified_rate: f64,
    /// `/auth/get` calls the sandbox answered, and how many with 429.
    pub auth_get_calls: u64,
    /// 429s the sandbox answered to `/auth/get`.
    pub auth_get_429: u64,
    /// Effects missing.
    pub lost: usize,
    /// Members without effects whose webhook the sender (the sandbox, as Plaid) still held at
    /// the end: no attempt answered 200 yet, a retry still to come.
    #[serde(default)]
    pub with_the_sender: usize,
    /// Members without effects whose webhook ingress had answered 200: lost inside penny.
    #[serde(default)]
    pub lost_after_accepted: usize,
    /// Effects doubled.
    pub doubled: usize,
    /// Effects recorded (verified accounts, events, emails, pushes).
    pub recorded: usize,
    /// CPU and peak memory per process over the drain.
    pub usage: Usage,
    /// End-to-end latency quantiles (s).
    pub latency_p50: f64,
    /// 99th percentile.
    pub latency_p99: f64,
    /// Largest.
    pub latency_max: f64,
    /// The stages alone (limits-off runs).
    pub ceilings: Option<Ceilings>,
    /// The samples.
    pub progress: Progress,
    /// `(arrival second, p50, p99)` of the latency.
    pub latency_per_second: Vec<(f64, f64, f64)>,
}

/// Runs `scenario` on the PostgreSQL server at `pg_admin`.
pub async fn run(scenario: &Scenario, pg_admin: &str) -> anyhow::Result<Outcome> {
    let dir = tempfile::Builder::new().prefix("penny-burst-").tempdir()?;
    let mut env = vec![("penny-sandbox", "PENNY_SANDBOX_LOG", "warn".to_owned())];
    if !scenario.limits {
        env.push((
            "penny-verification",
            "PENNY_VERIFICATION_AUTH_GET_PER_CLIENT",
            "0".into(),
        ));
        env.push((
            "penny-verification",
            "PENNY_VERIFICATION_AUTH_GET_PER_ITEM",
            "0".into(),
        ));
    }
    if let Some(c) = scenario.plaid_concurrency {
        env.push((
            "penny-sandbox",
            "PENNY_SANDBOX_WEBHOOK_CONCURRENCY",
            c.to_string(),
        ));
    }
    if let Some(c) = scenario.concurrency {
        for key in [
            "PENNY_VERIFICATION_CONSUMER_CONCURRENCY",
            "PENNY_VERIFICATION_CONSUMER_BATCH",
        ] {
            env.push(("penny-verification", key, c.to_string()));
        }
    }
    let stack = LocalStack::start(LocalOptions {
        ports: Ports::free()?,
        clock_speed: 1.0,
        profile: Profile::Release,
        postgres: Some(pg_admin.to_owned()),
        verification_replicas: scenario.replicas,
        env,
        ..LocalOptions::defaults(dir.path())
    })
    .await?;
    let result = measure(&stack, scenario, pg_admin).await;
    if result.is_err() {
        crate::say(format!("logs:\n{}", stack.logs()));
    }
    stack.stop().await?;
    result
}

async fn measure(
    stack: &LocalStack,
    scenario: &Scenario,
    pg_admin: &str,
) -> anyhow::Result<Outcome> {
    let n = scenario.n;
    let clients = Clients::connect(stack).await?;
    let linking = Instant::now();
    let cohort = Cohort::link(stack, &clients, &scenario.name, n).await?;
    let link_seconds = linking.elapsed().as_secs_f64();
    crate::say(format!(
        "  {}: linked {n} in {link_seconds:.0} s",
        scenario.name
    ));
    let ceilings = if scenario.ceilings {
        let c = ceilings::measure(stack, pg_admin).await?;
        crate::say(format!(
            "  alone: ingress {:.0}/s, /auth/get {:.0}/s, PostgreSQL {:.0} commits/s, receivers {:.0} members (email + push)/s",
            c.ingress, c.auth_get, c.db_commits, c.alerts
        ));
        Some(c)
    } else {
        None
    };
    let sandbox = stack.sandbox();
    if scenario.limits {
        sandbox
            .set_rate_limits(&RateLimits::mode(RateLimitMode::Production))
            .await?;
    }
    if let Some(ms) = scenario.latency_ms {
        sandbox
            .add_fault(&EndpointFault::latency(
                "/auth/get",
                Duration::from_millis(ms),
            ))
            .await?;
    }
    sandbox.reset_stats().await?;
    sandbox.clear_webhook_log().await?;
    let before = Usage::read(stack)?;
    let since = Instant::now();
    let since_utc = chrono::Utc::now();
    burst::trigger(stack).await?;
    // Generous: the budget alone needs n / 200 s with limits on.
    let deadline = Duration::from_secs(120 + (n as u64) / 50);
    let progress = burst::drain(stack, n, since, deadline).await;
    let usage = Usage::read(stack)?.since(&before);
    let drain_seconds = progress.time_to(n, |s| s.emails.min(s.pushes));
    let verified_seconds = progress.time_to(n, |s| s.auth_get_ok);
    let effects = burst::settle(stack, &clients, &cohort, Duration::from_secs(60)).await?;
    let senders = burst::Senders::read(stack, &cohort, &effects).await?;
    if senders.missing > 0 {
        crate::say(format!("  where the missing webhooks are: {senders}"));
    }
    let stats = sandbox.stats().await?.endpoint("/auth/get");
    let latencies = Latencies::collect(stack, &cohort, since, since_utc).await?;
    report_effects(&effects, &cohort);
    Ok(Outcome {
        scenario: scenario.clone(),
        link_seconds,
        drain_seconds,
        verified_seconds,
        rate: n as f64 / drain_seconds.max(1e-9),
        verified_rate: n as f64 / verified_seconds.max(1e-9),
        auth_get_calls: stats.calls,
        auth_get_429: stats.rate_limited,
        lost: effects.lost(&cohort),
        with_the_sender: senders.with_the_sender,
        lost_after_accepted: senders.accepted,
        doubled: effects.doubled(&cohort),
        recorded: effects.recorded(&cohort),
        usage,
        latency_p50: latencies.quantile(0.5),
        latency_p99: latencies.quantile(0.99),
        latency_max: latencies.quantile(1.0),
        ceilings,
        latency_per_second: latencies.per_second(),
        progress,
    })
}

fn report_effects(effects: &Effects, cohort: &Cohort) {
    crate::say(format!(
        "  effects: {effects}; lost {}, doubled {}",
        effects.lost(cohort),
        effects.doubled(cohort)
    ));
}
