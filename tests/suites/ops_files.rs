//! The operations files in `deploy/` against the real services: the Grafana dashboard
//! (`deploy/grafana/penny-dashboard.json`) and the Prometheus rules
//! (`deploy/prometheus/penny-alerts.yaml`) may only name metrics that a running service exposes.
//!
//! The four services run as their own binaries (on NATS, the sandbox and SQLite); every PromQL
//! expression of both files is parsed (a syntax error fails), every metric it selects must be a
//! series some service's `/metrics` exposes: a sample, or a family's series by its `# TYPE` (a
//! counter's `_total`, a histogram's `_bucket`/`_sum`/`_count`; the bare name of either is not a
//! series), unless a recording rule of the file defines it.
//!
//! The dashboard must be importable (uid, data-source variable, unique panel ids, the grid,
//! queries). The rules file is checked the way `promtool check rules` would (no promtool is
//! installable offline): known keys only, one of `record`/`alert`, a `for`, a severity, a
//! summary, a description and a runbook naming the command to run.

#[path = "ops_files/dashboard.rs"]
mod dashboard;
#[path = "ops_files/promql.rs"]
mod promql;
#[path = "ops_files/rules.rs"]
mod rules;

use std::collections::BTreeSet;
use std::time::Duration;

use penny_e2e::process::ServiceProcess;
use penny_testkit::{NatsServer, SandboxServer, free_port, poll_until};
use serde_json::Value;

use dashboard::{check_dashboard, dashboard_queries};
use promql::{Query, series_names, unknown_names};
use rules::{RuleFile, check_rules, is_duration};

const WAIT: Duration = Duration::from_secs(30);
const DASHBOARD: &str = "deploy/grafana/penny-dashboard.json";
const RULES: &str = "deploy/prometheus/penny-alerts.yaml";

fn read(path: &str) -> anyhow::Result<String> {
    let full = penny_testkit::workspace_root().join(path);
    std::fs::read_to_string(&full).map_err(|e| anyhow::anyhow!("{}: {e}", full.display()))
}

/// Environment variables of a service.
type Env = Vec<(&'static str, String)>;

/// One service: its binary, the process and its `/metrics` URL.
struct Service {
    bin: &'static str,
    process: ServiceProcess,
    metrics: String,
}

/// The four services as real processes.
struct Services {
    services: Vec<Service>,
    _dir: tempfile::TempDir,
}

impl Services {
    fn start(nats: &NatsServer, sandbox: &SandboxServer) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let sqlite = |name: &str| format!("sqlite://{}/{name}.db?mode=rwc", dir.path().display());
        let common = [
            ("PENNY_NATS_URL", nats.url().to_owned()),
            ("PENNY_PLAID_BASE_URL", sandbox.base_url().to_owned()),
            ("PENNY_PLAID_CLIENT_ID", sandbox.client_id().to_owned()),
            ("PENNY_PLAID_SECRET", sandbox.secret().to_owned()),
            ("PENNY_PLAID_ENVIRONMENT", "sandbox".to_owned()),
            ("PENNY_LOG_FILTER", "warn".to_owned()),
        ];
        let local = |port: u16| format!("127.0.0.1:{port}");
        let ingress = free_port()?;
        let (verification_grpc, verification_admin) = (free_port()?, free_port()?);
        let (transfers_grpc, transfers_admin) = (free_port()?, free_port()?);
        let (notifier_grpc, notifier_admin, notifier_public) =
            (free_port()?, free_port()?, free_port()?);
        let specs: [(&'static str, u16, Env); 4] = [
            (
                "penny-ingress",
                ingress,
                vec![("PENNY_INGRESS_LISTEN", local(ingress))],
            ),
            (
                "penny-verification",
                verification_admin,
                vec![
                    ("PENNY_VERIFICATION_GRPC_LISTEN", local(verification_grpc)),
                    ("PENNY_VERIFICATION_ADMIN_LISTEN", local(verification_admin)),
                    ("PENNY_VERIFICATION_DATABASE_URL", sqlite("verification")),
                    (
                        "PENNY_VERIFICATION_WEBHOOK_URL",
                        format!("http://{}/webhooks/plaid", local(ingress)),
                    ),
                ],
            ),
            (
                "penny-transfer-events",
                transfers_admin,
                vec![
                    ("PENNY_TRANSFER_EVENTS_GRPC_LISTEN", local(transfers_grpc)),
                    ("PENNY_TRANSFER_EVENTS_ADMIN_LISTEN", local(transfers_admin)),
                    ("PENNY_TRANSFER_EVENTS_DATABASE_URL", sqlite("transfers")),
                ],
            ),
            (
                "penny-notifier",
                notifier_admin,
                vec![
                    ("PENNY_NOTIFIER_GRPC_LISTEN", local(notifier_grpc)),
                    ("PENNY_NOTIFIER_ADMIN_LISTEN", local(notifier_admin)),
                    ("PENNY_NOTIFIER_PUBLIC_LISTEN", local(notifier_public)),
                    ("PENNY_NOTIFIER_DATABASE_URL", sqlite("notifier")),
                ],
            ),
        ];
        let mut services = Vec::new();
        for (bin, port, own) in specs {
            let env: Env = common.iter().cloned().chain(own).collect();
            services.push(Service {
                bin,
                process: ServiceProcess::spawn(bin, bin, &env, dir.path())?,
                metrics: format!("http://{}/metrics", local(port)),
            });
        }
        Ok(Self {
            services,
            _dir: dir,
        })
    }

    /// The `/metrics` URL of `bin`.
    fn metrics_url(&self, bin: &str) -> anyhow::Result<&str> {
        self.services
            .iter()
            .find(|s| s.bin == bin)
            .map(|s| s.metrics.as_str())
            .ok_or_else(|| anyhow::anyhow!("no service {bin}"))
    }

    /// Each service's exposition once it reports ready.
    async fn scrape(&self) -> anyhow::Result<Vec<(&'static str, String)>> {
        let http = reqwest::Client::new();
        let mut out = Vec::new();
        for Service {
            bin,
            process,
            metrics: url,
        } in &self.services
        {
            let ready = url.replace("/metrics", "/readyz");
            poll_until(WAIT, || {
                let request = http.get(&ready).send();
                async move { request.await.ok()?.status().is_success().then_some(()) }
            })
            .await
            .map_err(|e| anyhow::anyhow!("{bin} not ready: {e}\n{}", process.log()))?;
            let text = http
                .get(url)
                .send()
                .await?
                .error_for_status()?
                .text()
                .await?;
            anyhow::ensure!(text.ends_with("# EOF\n"), "{bin}: not OpenMetrics:\n{text}");
            out.push((*bin, text));
        }
        Ok(out)
    }

    async fn stop(self) -> anyhow::Result<()> {
        for service in self.services.into_iter().rev() {
            service.process.stop().await?;
        }
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_metric_the_dashboard_and_the_alerts_name_exists_on_a_running_service()
-> anyhow::Result<()> {
    penny_testkit::init();
    let rules: RuleFile = serde_norway::from_str(&read(RULES)?)?;
    let (problems, recorded, mut queries) = check_rules(&rules);
    assert!(problems.is_empty(), "{RULES}:\n{}", problems.join("\n"));
    let dashboard: Value = serde_json::from_str(&read(DASHBOARD)?)?;
    let problems = check_dashboard(&dashboard);
    assert!(problems.is_empty(), "{DASHBOARD}:\n{}", problems.join("\n"));
    let mut panels = Vec::new();
    dashboard_queries(&dashboard["panels"], "", &mut panels);
    assert!(
        panels.len() >= 20,
        "{DASHBOARD}: only {} queries",
        panels.len()
    );
    queries.extend(panels);

    let nats = NatsServer::start().await?;
    let sandbox = SandboxServer::start().await?;
    let services = Services::start(&nats, &sandbox)?;
    let scraped = services.scrape().await?;
    let exposed: BTreeSet<String> = scraped
        .iter()
        .flat_map(|(_, text)| series_names(text))
        .collect();
    for (bin, text) in &scraped {
        let prefix = format!("{}_", bin.replace('-', "_"));
        assert!(
            series_names(text).iter().all(|n| n.starts_with(&prefix)),
            "{bin} exposes only {prefix}* metrics"
        );
    }
    let unknown = unknown_names(&queries, &exposed, &recorded);
    assert!(
        unknown.is_empty(),
        "metrics named in {DASHBOARD} or {RULES} that no service exposes:\n{}",
        unknown.join("\n")
    );

    // The series the new alerts rest on carry real values: the limiter publishes its budget,
    // and transfer-events' start-up sync completes and says when.
    let verification = scraped
        .iter()
        .find_map(|(bin, text)| (*bin == "penny-verification").then_some(text))
        .ok_or_else(|| anyhow::anyhow!("verification not scraped"))?;
    assert!(
        verification.contains("penny_verification_rate_limit_client_limit_per_second 200.0"),
        "{verification}"
    );
    let http = reqwest::Client::new();
    let url = services.metrics_url("penny-transfer-events")?.to_owned();
    let synced = poll_until(WAIT, || {
        let request = http.get(&url).send();
        async move {
            let text = request.await.ok()?.text().await.ok()?;
            let line = text.lines().find(|l| {
                l.starts_with(
                    "penny_transfer_events_last_sync_completed_timestamp_seconds{feed=\"bank_transfer\"}",
                )
            })?;
            let at: i64 = line.rsplit(' ').next()?.parse().ok()?;
            (at > 0).then_some(at)
        }
    })
    .await?;
    let age = chrono::Utc::now().timestamp() - synced;
    assert!((0..60).contains(&age), "last sync {age} s ago");
    services.stop().await
}

/// The name check can fail: a typo, a counter without `_total` and a histogram's bare name are
/// refused; a recording rule's name and a histogram's buckets are accepted.
#[test]
fn the_name_check_refuses_typos_and_names_that_are_not_series() {
    let exposition = "# TYPE penny_x_webhooks counter\n\
                      penny_x_webhooks_total 3\n\
                      # TYPE penny_x_latency_seconds histogram\n\
                      # TYPE penny_x_backlog gauge\n\
                      # EOF\n";
    let exposed = series_names(exposition);
    let recorded = BTreeSet::from(["penny:x:max".to_owned()]);
    let query = |expr: &str| Query {
        origin: "test".into(),
        expr: expr.into(),
    };
    let fine = [
        "sum(rate(penny_x_webhooks_total[5m])) / max(penny:x:max)",
        "histogram_quantile(0.99, sum by (le) (rate(penny_x_latency_seconds_bucket[5m])))",
        "time() - max by (feed) (penny_x_backlog{feed=\"a\"}) > 10",
    ]
    .map(query);
    assert_eq!(
        unknown_names(&fine, &exposed, &recorded),
        Vec::<String>::new()
    );
    for bad in [
        "rate(penny_x_webhoks_total[5m])",
        "rate(penny_x_webhooks[5m])",
        "penny_x_latency_seconds",
        "sum(rate(penny_x_webhooks_total[5m])",
        "{__name__=~\"penny_x_.*\"}",
    ] {
        assert_eq!(
            unknown_names(&[query(bad)], &exposed, &recorded).len(),
            1,
            "{bad} refused"
        );
    }
    assert!(is_duration("1h30m") && is_duration("10m") && !is_duration("10") && !is_duration(""));
}
