//! One trace per webhook, across real processes: `penny-ingress` and `penny-verification` run
//! as their own binaries, configured by the standard `OTEL_EXPORTER_OTLP_ENDPOINT`, exporting to
//! an OTLP receiver inside this test. A signed AUTH webhook from the sandbox must yield one trace
//! holding ingress's receive span and verification's consume, webhook, `/auth/get` call, database
//! commit and outbox publish spans; a gRPC call carrying the test's `traceparent` continues the
//! test's trace inside the service. Context crosses HTTP, NATS headers, the outbox and gRPC.

use std::time::Duration;

use penny_e2e::process::ServiceProcess;
use penny_proto::v1::verification_service_client::VerificationServiceClient;
use penny_proto::v1::{CreateLinkTokenRequest, ExchangePublicTokenRequest};
use penny_testkit::{
    Bearer, NatsServer, OtlpReceiver, ReceivedSpan, SandboxServer, free_port, grpc_channel,
    poll_until,
};

const WAIT: Duration = Duration::from_secs(30);
/// Both services run on their sandbox defaults, which accept this development token.
const DEV_TOKEN: &str = "penny-insecure-dev-token";
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN_ID: &str = "00f067aa0ba902b7";

fn of<'a>(spans: &'a [ReceivedSpan], service: &str, name: &str) -> Vec<&'a ReceivedSpan> {
    spans
        .iter()
        .filter(|s| s.service == service && s.name == name)
        .collect()
}

async fn ready(url: String) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    poll_until(WAIT, || {
        let request = http.get(&url).send();
        async move { request.await.ok()?.status().is_success().then_some(()) }
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_auth_webhook_is_one_trace_from_ingress_to_the_outbox() -> anyhow::Result<()> {
    penny_testkit::init();
    let otlp = OtlpReceiver::start().await?;
    let nats = NatsServer::start().await?;
    let sandbox = SandboxServer::start().await?;
    let dir = tempfile::tempdir()?;
    let (ingress_port, grpc_port, admin_port) = (free_port()?, free_port()?, free_port()?);
    let webhook_url = format!("http://127.0.0.1:{ingress_port}/webhooks/plaid");
    let common = |service: &str| {
        vec![
            ("PENNY_NATS_URL", nats.url().to_owned()),
            ("PENNY_PLAID_BASE_URL", sandbox.base_url().to_owned()),
            ("PENNY_PLAID_CLIENT_ID", sandbox.client_id().to_owned()),
            ("PENNY_PLAID_SECRET", sandbox.secret().to_owned()),
            ("PENNY_PLAID_ENVIRONMENT", "sandbox".to_owned()),
            ("PENNY_LOG_FILTER", "warn".to_owned()),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", otlp.endpoint()),
            ("OTEL_SERVICE_NAME", service.to_owned()),
            ("OTEL_BSP_SCHEDULE_DELAY", "100".to_owned()),
        ]
    };
    let mut ingress_env = common("ingress");
    ingress_env.push(("PENNY_INGRESS_LISTEN", format!("127.0.0.1:{ingress_port}")));
    let ingress =
        ServiceProcess::spawn("penny-ingress", "penny-ingress", &ingress_env, dir.path())?;
    let mut verification_env = common("verification");
    verification_env.extend([
        (
            "PENNY_VERIFICATION_GRPC_LISTEN",
            format!("127.0.0.1:{grpc_port}"),
        ),
        (
            "PENNY_VERIFICATION_ADMIN_LISTEN",
            format!("127.0.0.1:{admin_port}"),
        ),
        (
            "PENNY_VERIFICATION_DATABASE_URL",
            format!("sqlite://{}/verification.db?mode=rwc", dir.path().display()),
        ),
        ("PENNY_VERIFICATION_WEBHOOK_URL", webhook_url.clone()),
    ]);
    let verification = ServiceProcess::spawn(
        "penny-verification",
        "penny-verification",
        &verification_env,
        dir.path(),
    )?;
    ready(format!("http://127.0.0.1:{ingress_port}/readyz")).await?;
    ready(format!("http://127.0.0.1:{admin_port}/readyz")).await?;

    // A gRPC call from the test continues the test's trace inside the service.
    let addr = format!("127.0.0.1:{grpc_port}").parse()?;
    let mut grpc = VerificationServiceClient::with_interceptor(
        grpc_channel(addr).await?,
        Bearer::new(DEV_TOKEN)?,
    );
    let mut request = tonic::Request::new(CreateLinkTokenRequest {
        user_id: "trace-user".into(),
        ..Default::default()
    });
    request.metadata_mut().insert(
        "traceparent",
        format!("00-{TRACE_ID}-{PARENT_SPAN_ID}-01").parse()?,
    );
    let link = grpc.create_link_token(request).await?.into_inner();
    let continued = otlp
        .wait_for(WAIT, |spans| {
            spans
                .iter()
                .find(|s| {
                    s.service == "verification"
                        && s.trace_id == TRACE_ID
                        && s.parent_span_id == PARENT_SPAN_ID
                })
                .cloned()
        })
        .await?;
    let link_spans = otlp.trace(TRACE_ID);
    assert!(
        link_spans.iter().any(|s| s.name == "plaid.call"),
        "the /link/token/create call is in the caller's trace: {link_spans:#?} (root {continued:?})"
    );

    // Link, exchange, then the sandbox verifies and sends the signed webhook to ingress.
    let done = sandbox.control().complete_link(&link.link_token).await?;
    let exchanged = grpc
        .exchange_public_token(ExchangePublicTokenRequest {
            user_id: "trace-user".into(),
            public_token: done.public_token,
            accounts: vec![],
        })
        .await?
        .into_inner();
    anyhow::ensure!(!exchanged.accounts.is_empty(), "no account linked");
    // A day passes at the bank: the sandbox verifies the deposit and fires the AUTH webhook.
    sandbox
        .control()
        .advance_clock(Duration::from_secs(86_400))
        .await?;

    let wanted = [
        ("ingress", "ingress.verify"),
        ("ingress", "ingress.publish"),
        ("verification", "consume"),
        ("verification", "verification.webhook"),
        ("verification", "plaid.call"),
        ("verification", "verification.db_commit"),
        ("verification", "outbox.publish"),
    ];
    let trace = otlp
        .wait_for(WAIT, |spans| {
            let receive = of(spans, "ingress", "plaid_webhook");
            receive.iter().find_map(|r| {
                let trace: Vec<ReceivedSpan> = spans
                    .iter()
                    .filter(|s| s.trace_id == r.trace_id)
                    .cloned()
                    .collect();
                wanted
                    .iter()
                    .all(|(service, name)| !of(&trace, service, name).is_empty())
                    .then_some(trace)
            })
        })
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "{e}: spans {:#?}\ningress log:\n{}\nverification log:\n{}",
                otlp.spans(),
                ingress.log(),
                verification.log()
            )
        })?;
    // Every span of the webhook's trace hangs off the one ingress receive span.
    let roots: Vec<&ReceivedSpan> = trace
        .iter()
        .filter(|s| s.parent_span_id.is_empty())
        .collect();
    assert_eq!(roots.len(), 1, "one root: {trace:#?}");
    assert_eq!(
        (roots[0].service.as_str(), roots[0].name.as_str()),
        ("ingress", "plaid_webhook")
    );
    for span in &trace {
        if !span.parent_span_id.is_empty() {
            assert!(
                trace.iter().any(|p| p.span_id == span.parent_span_id),
                "{span:?} has its parent in the trace"
            );
        }
    }
    // The shared batch commit is linked to the webhook's span.
    let commit_links = of(&trace, "verification", "verification.db_commit")[0]
        .links
        .clone();
    assert_eq!(commit_links.len(), 1, "linked to the shared commit span");

    verification.stop().await?;
    ingress.stop().await?;
    Ok(())
}
