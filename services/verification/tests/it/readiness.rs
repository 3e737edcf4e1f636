//! What the service must reach decides `/readyz` and gRPC health together: a NATS outage turns
//! both not-ready until NATS is back (with no restart), and a webhook stream deleted under the
//! running service (found from outside: ingress re-created it, but verification's durable
//! consumer was gone for good) makes it not-ready until the stream is back, when it re-creates
//! its consumers and processes what arrives.

use std::net::SocketAddr;
use std::time::Duration;

use penny_plaid::VerificationStatus;
use penny_proto::v1 as pb;
use penny_testkit::{Stack, poll_until};
use penny_verification::App;
use tokio_util::sync::CancellationToken;
use tonic_health::pb::health_check_response::ServingStatus;

use crate::support::{DbKind, TestApp, app_config, for_each_db};

const WAIT: Duration = Duration::from_secs(20);
const SERVICE: &str = "penny.v1.VerificationService";

async fn readyz(admin: SocketAddr) -> Option<(u16, String)> {
    let r = reqwest::get(format!("http://{admin}/readyz")).await.ok()?;
    Some((r.status().as_u16(), r.text().await.ok()?))
}

async fn health(grpc: SocketAddr) -> Option<i32> {
    let channel = penny_testkit::grpc_channel(grpc).await.ok()?;
    let reply = tonic_health::pb::health_client::HealthClient::new(channel)
        .check(tonic_health::pb::HealthCheckRequest {
            service: SERVICE.to_owned(),
        })
        .await
        .ok()?;
    Some(reply.into_inner().status)
}

/// Waits until `/readyz` answers `status` and gRPC health says `serving`; returns the body.
async fn until(app: &Running, status: u16, serving: ServingStatus) -> anyhow::Result<String> {
    let body = poll_until(WAIT, || async {
        let (code, body) = readyz(app.admin).await?;
        (code == status).then_some(body)
    })
    .await?;
    poll_until(WAIT, || async {
        health(app.grpc).await == Some(serving as i32)
    })
    .await?;
    Ok(body)
}

/// A verification app run directly (the stack stays the test's own, so NATS can be stopped).
struct Running {
    admin: SocketAddr,
    grpc: SocketAddr,
    shutdown: CancellationToken,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

async fn run(stack: &Stack, create_missing_streams: bool) -> anyhow::Result<Running> {
    let mut config = app_config(stack);
    config.readiness_interval = Duration::from_millis(100);
    config.create_missing_streams = create_missing_streams;
    let app = App::build(config).await?;
    let (admin, grpc) = (app.admin_addr(), app.grpc_addr());
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(app.run_until_stopped(shutdown.clone()));
    Ok(Running {
        admin,
        grpc,
        shutdown,
        task,
    })
}

impl Running {
    async fn stop(self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        self.task.await?
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_nats_outage_turns_readyz_and_grpc_health_not_ready_until_it_ends() -> anyhow::Result<()>
{
    for_each_db(a_nats_outage_turns_readyz_and_grpc_health_not_ready_until_it_ends_on).await
}

async fn a_nats_outage_turns_readyz_and_grpc_health_not_ready_until_it_ends_on(
    kind: DbKind,
) -> anyhow::Result<()> {
    penny_testkit::init();
    let mut stack = Stack::start(kind).await?;
    let app = run(&stack, true).await?;
    until(&app, 200, ServingStatus::Serving).await?;

    stack.nats.stop()?;
    let body = until(&app, 503, ServingStatus::NotServing).await?;
    assert!(body.contains("nats"), "the failing check is named: {body}");
    let alive = reqwest::get(format!("http://{}/healthz", app.admin)).await?;
    assert_eq!(alive.status().as_u16(), 200, "alive while not ready");

    stack.nats.restart().await?;
    until(&app, 200, ServingStatus::Serving).await?;

    // The admin server's metrics name what an operator watches.
    let metrics = reqwest::get(format!("http://{}/metrics", app.admin))
        .await?
        .text()
        .await?;
    for name in [
        "penny_verification_consumer_pending_messages{consumer=\"numbers\"}",
        "penny_verification_consumer_dead_letter_messages{consumer=\"prompt\"}",
        "penny_verification_outbox_backlog_messages",
        "penny_verification_accounts{status=\"verified\"}",
        "penny_verification_reconcile_checks_total{outcome=\"settled\"} 0",
        "penny_verification_reconcile_due_accounts 0",
    ] {
        assert!(
            metrics.contains(name),
            "{name} missing from /metrics:\n{metrics}"
        );
    }
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deleted_webhook_stream_is_waited_out_and_its_consumers_recreated() -> anyhow::Result<()>
{
    for_each_db(a_deleted_webhook_stream_is_waited_out_and_its_consumers_recreated_on).await
}

async fn a_deleted_webhook_stream_is_waited_out_and_its_consumers_recreated_on(
    kind: DbKind,
) -> anyhow::Result<()> {
    penny_testkit::init();
    let stack = std::sync::Arc::new(Stack::start(kind).await?);
    // As in a cluster: the streams' owner applies them, verification only waits for them.
    let js = stack.jetstream().await?;
    penny_bus::Topology::default().apply(&js).await?;
    let app = run(&stack, false).await?;
    until(&app, 200, ServingStatus::Serving).await?;
    let client = TestApp::external(
        &stack,
        app.grpc,
        penny_verification::config::INSECURE_DEV_KEYRING,
    )
    .await?;
    let linked = client.link_account("user-stream-gone").await?;

    // An operator deletes the stream. A stream that captures the same subjects is created at
    // once, so ingress cannot re-create PLAID_WEBHOOKS for now (and the test sends nothing
    // meanwhile).
    js.delete_stream(penny_bus::PLAID_WEBHOOKS).await?;
    js.create_stream(async_nats::jetstream::stream::Config {
        name: "BLOCKER".to_owned(),
        subjects: vec!["plaid.webhook.>".to_owned()],
        storage: async_nats::jetstream::stream::StorageType::Memory,
        ..Default::default()
    })
    .await?;
    until(&app, 503, ServingStatus::NotServing).await?;
    // The probes (every 100 ms) name the missing stream.
    poll_until(WAIT, || async {
        let (code, body) = readyz(app.admin).await?;
        (code == 503 && body.contains("PLAID_WEBHOOKS")).then_some(())
    })
    .await?;

    // The stream comes back (ingress re-creates it once nothing else captures its subjects);
    // the webhook Plaid sends next is processed without a restart.
    js.delete_stream("BLOCKER").await?;
    until(&app, 200, ServingStatus::Serving).await?;
    client
        .set_verification_status(&linked, VerificationStatus::AutomaticallyVerified)
        .await?;
    client
        .wait_for_status(&linked.account_id, pb::AccountStatus::Verified, WAIT)
        .await?;
    app.stop().await
}
