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

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use penny_e2e::process::ServiceProcess;
use penny_testkit::{NatsServer, SandboxServer, free_port, poll_until};
use promql_parser::label::MatchOp;
use promql_parser::parser::{self, Expr, VectorSelector};
use promql_parser::util::{ExprVisitor, walk_expr};
use serde::Deserialize;
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(30);
const DASHBOARD: &str = "deploy/grafana/penny-dashboard.json";
const RULES: &str = "deploy/prometheus/penny-alerts.yaml";
/// The alerts issue 16 asks for.
const REQUIRED_ALERTS: [&str; 6] = [
    "PennyDeadLetters",
    "PennyConsumerLagGrowing",
    "PennyWebhookRejectionSpike",
    "PennyTransferSyncStale",
    "PennyScheduledAlertsOverdue",
    "PennyAuthGetBudgetExhausted",
];
const SEVERITIES: [&str; 2] = ["critical", "warning"];
/// A runbook names what the operator runs.
const COMMANDS: [&str; 2] = ["pennyctl ", "penny-notifier "];

/// A Prometheus rules file; unknown keys are refused, as Prometheus does.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    groups: Vec<RuleGroup>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleGroup {
    name: String,
    #[serde(default)]
    interval: Option<String>,
    rules: Vec<Rule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rule {
    #[serde(default)]
    record: Option<String>,
    #[serde(default)]
    alert: Option<String>,
    expr: String,
    #[serde(default, rename = "for")]
    for_: Option<String>,
    #[serde(default)]
    keep_firing_for: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
}

/// One PromQL expression and where it is (a panel or a rule).
#[derive(Debug)]
struct Query {
    origin: String,
    expr: String,
}

/// The series names an OpenMetrics exposition holds: every sample's name, and each family's
/// series by its type (so a family with no sample yet still counts).
fn series_names(exposition: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in exposition.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut words = rest.split_whitespace();
            let (Some(family), Some(kind)) = (words.next(), words.next()) else {
                continue;
            };
            let suffixes: &[&str] = match kind {
                "counter" => &["_total"],
                "histogram" | "gaugehistogram" => &["_bucket", "_sum", "_count"],
                "summary" => &["", "_sum", "_count"],
                _ => &[""],
            };
            names.extend(suffixes.iter().map(|s| format!("{family}{s}")));
        } else if !line.starts_with('#') && !line.is_empty() {
            let end = line.find(['{', ' ']).unwrap_or(line.len());
            names.insert(line[..end].to_owned());
        }
    }
    names
}

/// Collects the metric names an expression selects; a selector without a plain name is an
/// error (a regex on `__name__` cannot be checked).
#[derive(Default)]
struct Names(BTreeSet<String>);

impl Names {
    fn add(&mut self, selector: &VectorSelector) -> Result<(), String> {
        let name = selector.name.clone().or_else(|| {
            selector
                .matchers
                .matchers
                .iter()
                .find(|m| m.name == "__name__" && m.op == MatchOp::Equal)
                .map(|m| m.value.clone())
        });
        match name {
            Some(name) => {
                self.0.insert(name);
                Ok(())
            }
            None => Err(format!("a selector without a metric name: {selector}")),
        }
    }
}

impl ExprVisitor for Names {
    type Error = String;

    fn pre_visit(&mut self, expr: &Expr) -> Result<bool, String> {
        match expr {
            Expr::VectorSelector(vs) => self.add(vs)?,
            Expr::MatrixSelector(ms) => self.add(&ms.vs)?,
            _ => {}
        }
        Ok(true)
    }
}

/// The metric names `expr` selects, or why it does not parse.
fn metric_names(expr: &str) -> Result<BTreeSet<String>, String> {
    let ast = parser::parse(expr)?;
    let mut names = Names::default();
    walk_expr(&mut names, &ast)?;
    Ok(names.0)
}

/// Every `(name, origin)` that `queries` select and neither `exposed` nor `recorded` holds,
/// and every query that does not parse.
fn unknown_names(
    queries: &[Query],
    exposed: &BTreeSet<String>,
    recorded: &BTreeSet<String>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for query in queries {
        match metric_names(&query.expr) {
            Ok(names) => problems.extend(
                names
                    .into_iter()
                    .filter(|n| !exposed.contains(n) && !recorded.contains(n))
                    .map(|n| format!("{n} (in {})", query.origin)),
            ),
            Err(error) => problems.push(format!(
                "{}: does not parse: {error}: {}",
                query.origin, query.expr
            )),
        }
    }
    problems
}

/// Every `expr` of the dashboard, with the title of the panel holding it.
fn dashboard_queries(node: &Value, title: &str, out: &mut Vec<Query>) {
    match node {
        Value::Object(map) => {
            let title = map.get("title").and_then(Value::as_str).unwrap_or(title);
            for (key, value) in map {
                match (key.as_str(), value) {
                    ("expr", Value::String(expr)) => out.push(Query {
                        origin: format!("panel {title:?}"),
                        expr: expr.clone(),
                    }),
                    _ => dashboard_queries(value, title, out),
                }
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| dashboard_queries(item, title, out)),
        _ => {}
    }
}

/// What would stop Grafana importing the dashboard or showing a panel (empty when nothing): a
/// uid and title, the `datasource` variable every panel uses, unique panel ids, panels inside
/// the 24-column grid, and queries with a refId and an expression.
fn check_dashboard(dashboard: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for key in ["uid", "title"] {
        if dashboard[key].as_str().is_none_or(str::is_empty) {
            problems.push(format!("no {key}"));
        }
    }
    if dashboard["schemaVersion"].as_u64().is_none() {
        problems.push("no schemaVersion".to_owned());
    }
    let variables = dashboard["templating"]["list"].as_array();
    if !variables.is_some_and(|v| {
        v.iter()
            .any(|v| v["name"] == "datasource" && v["type"] == "datasource")
    }) {
        problems.push("no datasource variable".to_owned());
    }
    let mut ids = BTreeSet::new();
    let panels = dashboard["panels"].as_array().cloned().unwrap_or_default();
    if panels.is_empty() {
        problems.push("no panels".to_owned());
    }
    for panel in &panels {
        let title = panel["title"].as_str().unwrap_or("?");
        if !panel["id"].as_u64().is_some_and(|id| ids.insert(id)) {
            problems.push(format!("panel {title:?}: id missing or repeated"));
        }
        let grid = &panel["gridPos"];
        let (x, w, h) = (grid["x"].as_u64(), grid["w"].as_u64(), grid["h"].as_u64());
        if !matches!((x, w, h), (Some(x), Some(w), Some(h)) if w > 0 && h > 0 && x + w <= 24) {
            problems.push(format!("panel {title:?}: gridPos {grid}"));
        }
        if panel["type"] == "row" {
            continue;
        }
        if panel["datasource"]["uid"] != "${datasource}" {
            problems.push(format!("panel {title:?}: not on the datasource variable"));
        }
        let targets = panel["targets"].as_array().cloned().unwrap_or_default();
        if targets.is_empty() {
            problems.push(format!("panel {title:?}: no query"));
        }
        let mut refs = BTreeSet::new();
        for target in &targets {
            if !target["refId"]
                .as_str()
                .is_some_and(|r| refs.insert(r.to_owned()))
            {
                problems.push(format!("panel {title:?}: refId missing or repeated"));
            }
            if target["expr"].as_str().is_none_or(|e| e.trim().is_empty()) {
                problems.push(format!("panel {title:?}: an empty query"));
            }
        }
    }
    problems
}

/// Whether `s` is a Prometheus duration such as `10m` or `1h30m`.
fn is_duration(s: &str) -> bool {
    let mut rest = s;
    let mut parts = 0;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(0);
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        let Some(unit) = ["ms", "s", "m", "h", "d", "w", "y"]
            .into_iter()
            .find(|u| rest.starts_with(u))
        else {
            return false;
        };
        rest = &rest[unit.len()..];
        parts += 1;
    }
    parts > 0
}

fn is_metric_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// What is wrong with the rules file's structure (empty when nothing), the recording rules'
/// names, and every expression with its rule.
fn check_rules(file: &RuleFile) -> (Vec<String>, BTreeSet<String>, Vec<Query>) {
    let mut problems = Vec::new();
    let (mut recorded, mut alerts, mut groups) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    let mut queries = Vec::new();
    if file.groups.is_empty() {
        problems.push("no groups".to_owned());
    }
    for group in &file.groups {
        if !groups.insert(group.name.as_str()) {
            problems.push(format!("group {} twice", group.name));
        }
        if group.interval.as_deref().is_some_and(|i| !is_duration(i)) {
            problems.push(format!("group {}: bad interval", group.name));
        }
        if group.rules.is_empty() {
            problems.push(format!("group {} has no rules", group.name));
        }
        for rule in &group.rules {
            let origin = match (&rule.record, &rule.alert) {
                (Some(record), None) => {
                    if !is_metric_name(record) || !record.contains(':') {
                        problems.push(format!("recording rule {record:?}: want level:metric:op"));
                    }
                    if rule.for_.is_some() || !rule.annotations.is_empty() {
                        problems.push(format!("recording rule {record}: for/annotations"));
                    }
                    recorded.insert(record.clone());
                    format!("rule {record}")
                }
                (None, Some(alert)) => {
                    problems.extend(check_alert(alert, rule));
                    if !alerts.insert(alert.clone()) {
                        problems.push(format!("alert {alert} twice"));
                    }
                    format!("alert {alert}")
                }
                _ => {
                    problems.push(format!("a rule needs one of record/alert: {rule:?}"));
                    continue;
                }
            };
            queries.push(Query {
                origin,
                expr: rule.expr.clone(),
            });
        }
    }
    for required in REQUIRED_ALERTS {
        if !alerts.contains(required) {
            problems.push(format!("alert {required} is missing"));
        }
    }
    (problems, recorded, queries)
}

/// What is wrong with one alerting rule.
fn check_alert(alert: &str, rule: &Rule) -> Vec<String> {
    let mut problems = Vec::new();
    if !is_metric_name(alert) || alert.contains(':') {
        problems.push(format!("alert name {alert:?}"));
    }
    if !rule.for_.as_deref().is_some_and(is_duration) {
        problems.push(format!("alert {alert}: `for` missing or not a duration"));
    }
    if rule
        .keep_firing_for
        .as_deref()
        .is_some_and(|d| !is_duration(d))
    {
        problems.push(format!("alert {alert}: bad keep_firing_for"));
    }
    let severity = rule.labels.get("severity").map(String::as_str);
    if !severity.is_some_and(|s| SEVERITIES.contains(&s)) {
        problems.push(format!("alert {alert}: severity {severity:?}"));
    }
    for key in ["summary", "description", "runbook"] {
        if rule
            .annotations
            .get(key)
            .is_none_or(|v| v.trim().is_empty())
        {
            problems.push(format!("alert {alert}: no {key} annotation"));
        }
    }
    let runbook = rule.annotations.get("runbook").map_or("", String::as_str);
    if !COMMANDS.iter().any(|c| runbook.contains(c)) {
        problems.push(format!("alert {alert}: the runbook names no command"));
    }
    for (key, text) in rule.labels.iter().chain(&rule.annotations) {
        if text.matches("{{").count() != text.matches("}}").count() {
            problems.push(format!("alert {alert}: unbalanced template in {key}"));
        }
    }
    problems
}

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
