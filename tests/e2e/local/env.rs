//! The environment of each process of the local stack: local defaults, SQLite files under the
//! data directory (or a PostgreSQL database per service), every address from
//! [`Ports`](super::Ports), the standard `OTEL_*` variables when spans are exported, and the
//! caller's extra settings.

use std::collections::HashMap;

use penny_testkit::free_port;

use super::{
    LocalOptions, LocalStack, PLAID_CLIENT_ID, PLAID_SECRET, PUSH_SECRET, SMS_SID, SMS_TOKEN,
};

/// One process to start (and restart the same way after a crash).
#[derive(Debug, Clone)]
pub struct Launch {
    /// Its name: the binary's, `-2`, `-3`, … for further replicas.
    pub name: String,
    /// The package that builds it.
    pub package: &'static str,
    /// The binary.
    pub bin: &'static str,
    /// Its whole environment (besides `PATH`).
    pub env: Vec<(&'static str, String)>,
    /// The URL that answers 2xx once it is ready.
    pub ready: String,
}

/// Every service's database URL: a SQLite file under the data directory, or a fresh
/// PostgreSQL database `penny_<service>` when the options name a server.
pub async fn databases(options: &LocalOptions) -> anyhow::Result<HashMap<&'static str, String>> {
    let data = options.data_dir.display().to_string();
    let mut urls = HashMap::new();
    for name in ["verification", "transfer-events", "notifier"] {
        let url = match &options.postgres {
            Some(admin) => {
                penny_testkit::create_database(admin, &format!("penny_{}", name.replace('-', "_")))
                    .await?
            }
            None => format!("sqlite://{data}/{name}.db?mode=rwc"),
        };
        urls.insert(name, url);
    }
    Ok(urls)
}

/// The sandbox, then ingress, verification (each replica), transfer-events and the notifier.
pub fn plan(
    options: &LocalOptions,
    stack: &LocalStack,
    databases: &HashMap<&'static str, String>,
) -> anyhow::Result<Vec<Launch>> {
    let p = stack.ports;
    let database = |name: &str| databases.get(name).cloned().unwrap_or_default();
    let local = |port: u16| format!("127.0.0.1:{port}");
    let common = |service: &str| {
        let mut env = vec![
            ("PENNY_NATS_URL", stack.nats_url()),
            ("PENNY_PLAID_BASE_URL", stack.sandbox_url()),
            ("PENNY_PLAID_CLIENT_ID", PLAID_CLIENT_ID.to_owned()),
            ("PENNY_PLAID_SECRET", PLAID_SECRET.to_owned()),
            ("PENNY_PLAID_ENVIRONMENT", "sandbox".to_owned()),
            ("PENNY_LOG_FILTER", options.log_filter.clone()),
            ("OTEL_SERVICE_NAME", service.to_owned()),
        ];
        if let Some(endpoint) = &options.otlp_endpoint {
            env.push(("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.clone()));
            env.push(("OTEL_BSP_SCHEDULE_DELAY", "200".to_owned()));
        }
        env
    };
    let sandbox = vec![
        ("PENNY_SANDBOX_LISTEN", local(p.sandbox)),
        ("PENNY_SANDBOX_CLOCK_SPEED", options.clock_speed.to_string()),
        ("PENNY_SANDBOX_BANK_TRANSFERS_WEBHOOK", stack.webhook_url()),
        ("PENNY_SANDBOX_LOG", options.log_filter.clone()),
        // The sandbox keeps nothing between runs, transfer-events keeps its cursor: each run's
        // event ids start above every earlier run's.
        ("PENNY_SANDBOX_EVENT_ID_BASE", event_id_base().to_string()),
    ];
    let mut ingress = common("ingress");
    ingress.push(("PENNY_INGRESS_LISTEN", local(p.ingress)));
    // As the image sets them (Dockerfile): mimalloc without transparent huge pages (2 MiB pages
    // in its arenas were half of ingress's resident memory at 1,024 open connections,
    // `bench/results/ingress-connections-2026-12-04-thp.txt`) and returning freed pages at once
    // rather than after 10 ms; neither costs measurable CPU.
    ingress.push(("MIMALLOC_ALLOW_THP", "0".into()));
    ingress.push(("MIMALLOC_PURGE_DELAY", "0".into()));
    let verification = |grpc: u16, admin: u16| {
        let mut env = common("verification");
        env.extend([
            ("PENNY_VERIFICATION_GRPC_LISTEN", local(grpc)),
            ("PENNY_VERIFICATION_ADMIN_LISTEN", local(admin)),
            ("PENNY_VERIFICATION_DATABASE_URL", database("verification")),
            ("PENNY_VERIFICATION_WEBHOOK_URL", stack.webhook_url()),
        ]);
        env
    };
    let mut transfer_events = common("transfer-events");
    transfer_events.extend([
        (
            "PENNY_TRANSFER_EVENTS_GRPC_LISTEN",
            local(p.transfer_events_grpc),
        ),
        (
            "PENNY_TRANSFER_EVENTS_ADMIN_LISTEN",
            local(p.transfer_events_admin),
        ),
        (
            "PENNY_TRANSFER_EVENTS_DATABASE_URL",
            database("transfer-events"),
        ),
    ]);
    let mut notifier = common("notifier");
    notifier.extend([
        ("PENNY_NOTIFIER_GRPC_LISTEN", local(p.notifier_grpc)),
        ("PENNY_NOTIFIER_ADMIN_LISTEN", local(p.notifier_admin)),
        ("PENNY_NOTIFIER_PUBLIC_LISTEN", local(p.notifier_public)),
        (
            "PENNY_NOTIFIER_PUBLIC_URL",
            format!("http://{}", local(p.notifier_public)),
        ),
        ("PENNY_NOTIFIER_DATABASE_URL", database("notifier")),
        ("PENNY_NOTIFIER_SMTP_HOST", "127.0.0.1".to_owned()),
        ("PENNY_NOTIFIER_SMTP_PORT", stack.smtp.port().to_string()),
        ("PENNY_NOTIFIER_SMS_BASE_URL", stack.sms.base_url()),
        ("PENNY_NOTIFIER_SMS_ACCOUNT_SID", SMS_SID.to_owned()),
        ("PENNY_NOTIFIER_SMS_AUTH_TOKEN", SMS_TOKEN.to_owned()),
        ("PENNY_NOTIFIER_PUSH_SIGNING_SECRET", PUSH_SECRET.to_owned()),
        // A deposit event that overtakes its account's `linked` event is retried until the
        // notifier knows the account: locally, every 2 s at most (production: backoff to 5 min).
        ("PENNY_NOTIFIER_CONSUMER_RETRY_CAP", "2s".to_owned()),
    ]);
    let admin = |port: u16| format!("http://127.0.0.1:{port}/readyz");
    let launch = |name: String, bin: &'static str, env, ready| Launch {
        name,
        package: bin,
        bin,
        env,
        ready,
    };
    let mut plan = vec![
        launch(
            "penny-sandbox".into(),
            "penny-sandbox",
            sandbox,
            format!("{}/__sandbox/health", stack.sandbox_url()),
        ),
        launch(
            "penny-ingress".into(),
            "penny-ingress",
            ingress,
            admin(p.ingress),
        ),
        launch(
            "penny-verification".into(),
            "penny-verification",
            verification(p.verification_grpc, p.verification_admin),
            admin(p.verification_admin),
        ),
    ];
    for replica in 2..=options.verification_replicas {
        let (grpc, admin_port) = (free_port()?, free_port()?);
        plan.push(launch(
            format!("penny-verification-{replica}"),
            "penny-verification",
            verification(grpc, admin_port),
            admin(admin_port),
        ));
    }
    plan.extend([
        launch(
            "penny-transfer-events".into(),
            "penny-transfer-events",
            transfer_events,
            admin(p.transfer_events_admin),
        ),
        launch(
            "penny-notifier".into(),
            "penny-notifier",
            notifier,
            admin(p.notifier_admin),
        ),
    ]);
    for launch in &mut plan {
        for (bin, key, value) in &options.env {
            if *bin == launch.bin {
                launch.env.retain(|(k, _)| k != key);
                launch.env.push((key, value.clone()));
            }
        }
    }
    Ok(plan)
}

/// Unix seconds × 1,000,000: above every event id an earlier run (started at least a second
/// before, with fewer than a million events a second) handed out.
fn event_id_base() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs().saturating_mul(1_000_000))
}
