//! `cargo bench -p penny-e2e --bench burst`: the whole pipeline under a burst, as release
//! processes on PostgreSQL (`penny_e2e::local::LocalStack`): N members linked, then the
//! sandbox verifies them all at once and sends N signed `AUTH / AUTOMATICALLY_VERIFIED`
//! webhooks → ingress → verification (`/auth/get`, numbers stored, a `verified` event) → the
//! notifier (an email at the SMTP server and a push at the push endpoint per member).
//!
//! Settings ([`settings`]):
//! - `on`: Plaid's production limits in the sandbox (`/auth/get` 12,000/min per client, 15/min
//!   per Item) and penny's shared budget, with two verification replicas: the drain is bound by
//!   the budget (N / 200 per second); reported as drain ÷ bound, with the sandbox's 429 count.
//! - `off`: no limits; the stages alone are measured first ([`ceilings`]) and the pipeline's
//!   rate is reported against the slowest.
//! - `scaling`: 1, 2 and 4 verification replicas while the sandbox adds 20 ms to `/auth/get`
//!   and each replica handles 4 webhooks at once, so Plaid's latency, not CPU, bounds a replica.
//!
//! Every run reports drain time, the rate over time, lost and doubled effects
//! (`penny_e2e::burst::Effects`), CPU per webhook and peak RSS per process, and end-to-end
//! latency ([`latency`]). Results: `bench/results/burst.json`, `bench/results/burst.svg` and
//! `bench/results/burst-scaling.svg` ([`plot`]). Quick run:
//! `PENNY_BURST_N=2000 PENNY_BURST_SCALING_N=1000 cargo bench -p penny-e2e --bench burst`.

mod ceilings;
mod latency;
mod plot;
mod report;
mod scenario;
mod settings;

use penny_testkit::PgCluster;

use scenario::Scenario;
use settings::Settings;

fn say(line: impl AsRef<str>) {
    eprintln!("{}", line.as_ref());
}

fn main() -> anyhow::Result<()> {
    penny_runtime::install_crypto_provider();
    tokio::runtime::Runtime::new()?.block_on(run())
}

async fn run() -> anyhow::Result<()> {
    let settings = Settings::from_env()?;
    say(format!("penny burst bench: {settings:?}"));
    let pg = if settings.settings.iter().any(|s| s != "none") {
        Some(tokio::task::spawn_blocking(PgCluster::start).await??)
    } else {
        None
    };
    let mut scenarios = Vec::new();
    let paced = settings
        .plaid_concurrency
        .map(|c| format!("-plaid-{c}"))
        .unwrap_or_default();
    if settings.wants("on") {
        scenarios.push(Scenario {
            name: format!("limits-on{paced}"),
            n: settings.n,
            replicas: settings.limits_replicas,
            limits: true,
            latency_ms: None,
            concurrency: None,
            plaid_concurrency: settings.plaid_concurrency,
            ceilings: false,
        });
    }
    if settings.wants("off") {
        scenarios.push(Scenario {
            name: format!("limits-off{paced}"),
            n: settings.off_n,
            replicas: 1,
            limits: false,
            latency_ms: None,
            concurrency: None,
            plaid_concurrency: settings.plaid_concurrency,
            ceilings: true,
        });
    }
    if settings.wants("scaling") {
        for &replicas in &settings.replicas {
            scenarios.push(Scenario {
                name: format!("scaling-{replicas}"),
                n: settings.scaling_n,
                replicas,
                limits: false,
                latency_ms: Some(settings.latency_ms),
                concurrency: Some(settings.scaling_concurrency),
                plaid_concurrency: None,
                ceilings: false,
            });
        }
    }
    let mut outcomes = Vec::new();
    for scenario in &scenarios {
        say(format!("{}:", scenario.name));
        let admin = pg.as_ref().map(PgCluster::admin_url).unwrap_or_default();
        let outcome = scenario::run(scenario, &admin).await?;
        report::summarize(&outcome);
        outcomes.push(outcome);
    }
    let scaling: Vec<_> = outcomes
        .iter()
        .filter(|o| o.scenario.latency_ms.is_some())
        .collect();
    let speedup = report::scaling(&scaling);
    if !outcomes.is_empty() {
        report::write(&outcomes, speedup)?;
    }
    // The charts show every run on record, this one's and those of settings it skipped
    // (`PENNY_BURST_SETTINGS=none` only redraws them).
    let recorded = report::recorded()?;
    let (scaling, bursts): (Vec<_>, Vec<_>) = recorded
        .iter()
        .partition(|o| o.scenario.latency_ms.is_some());
    let results = penny_testkit::workspace_root().join("bench/results");
    plot::bursts(&results.join("burst.svg"), &bursts)?;
    plot::scaling(&results.join("burst-scaling.svg"), &scaling)
}
