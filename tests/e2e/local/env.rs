//! The environment of each process of the local stack: local defaults, SQLite files under the
//! data directory, every address from [`Ports`](super::Ports), and the standard `OTEL_*`
//! variables when spans are exported.

use super::{LocalOptions, LocalStack, PUSH_SECRET, SMS_SID, SMS_TOKEN};

/// One process to start: package, binary, environment, and the URL that answers 2xx once ready.
pub type Launch = (
    &'static str,
    &'static str,
    Vec<(&'static str, String)>,
    String,
);

/// The sandbox, then ingress, verification, transfer-events and the notifier.
pub fn plan(options: &LocalOptions, stack: &LocalStack) -> Vec<Launch> {
    let p = stack.ports;
    let data = options.data_dir.display().to_string();
    let sqlite = |name: &str| format!("sqlite://{data}/{name}.db?mode=rwc");
    let local = |port: u16| format!("127.0.0.1:{port}");
    let common = |service: &str| {
        let mut env = vec![
            ("PENNY_NATS_URL", stack.nats_url()),
            ("PENNY_PLAID_BASE_URL", stack.sandbox_url()),
            ("PENNY_PLAID_CLIENT_ID", "penny-sandbox-client".to_owned()),
            ("PENNY_PLAID_SECRET", "penny-sandbox-secret".to_owned()),
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
    let mut verification = common("verification");
    verification.extend([
        ("PENNY_VERIFICATION_GRPC_LISTEN", local(p.verification_grpc)),
        (
            "PENNY_VERIFICATION_ADMIN_LISTEN",
            local(p.verification_admin),
        ),
        ("PENNY_VERIFICATION_DATABASE_URL", sqlite("verification")),
        ("PENNY_VERIFICATION_WEBHOOK_URL", stack.webhook_url()),
    ]);
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
            sqlite("transfer-events"),
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
        ("PENNY_NOTIFIER_DATABASE_URL", sqlite("notifier")),
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
    vec![
        (
            "penny-sandbox",
            "penny-sandbox",
            sandbox,
            format!("{}/__sandbox/health", stack.sandbox_url()),
        ),
        ("penny-ingress", "penny-ingress", ingress, admin(p.ingress)),
        (
            "penny-verification",
            "penny-verification",
            verification,
            admin(p.verification_admin),
        ),
        (
            "penny-transfer-events",
            "penny-transfer-events",
            transfer_events,
            admin(p.transfer_events_admin),
        ),
        (
            "penny-notifier",
            "penny-notifier",
            notifier,
            admin(p.notifier_admin),
        ),
    ]
}

/// Unix seconds × 1,000,000: above every event id an earlier run (started at least a second
/// before, with fewer than a million events a second) handed out.
fn event_id_base() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs().saturating_mul(1_000_000))
}
