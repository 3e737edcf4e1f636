//! The gRPC API's edges: scopes (`status` reads, `admin` syncs), precise codes for bad input
//! with nothing changed, health, reflection, and `/metrics`.

use penny_proto::v1 as pb;
use penny_testkit::{DepositShape, EventFeed};
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};

use crate::support::{
    ADMIN_TOKEN, DbKind, STATUS_TOKEN, for_each_db, items, spawn_on, start_stack, wait_synced,
};

fn list(account: &str, token: &str, size: u32) -> pb::ListEventsRequest {
    pb::ListEventsRequest {
        account_id: account.to_owned(),
        page_token: token.to_owned(),
        page_size: size,
    }
}

async fn api_on(kind: DbKind) -> anyhow::Result<()> {
    let stack = start_stack(kind).await?;
    let app = spawn_on(&stack, |_| {}).await?;
    let made = items(&stack, 1, DepositShape::Single, EventFeed::BankTransfer).await?;
    let account = made[0].account_id.clone();
    app.sync_now().await?;
    wait_synced(&stack, &app, 1).await?;
    let before = app.sync_state().await?;

    // Scopes: no token, a reader asking to sync, an operator reading.
    let mut anonymous = app.client_with(None).await?;
    let err = anonymous
        .get_sync_state(pb::GetSyncStateRequest {})
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    let mut reader = app.client_with(Some(STATUS_TOKEN)).await?;
    let err = reader.sync_now(pb::SyncNowRequest {}).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);
    assert!(err.message().contains("admin"), "{}", err.message());
    let mut operator = app.client_with(Some(ADMIN_TOKEN)).await?;
    let err = operator
        .list_events(list(&account, "", 0))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied);

    // Bad input: precise codes, field named.
    let cases = [
        (list("", "", 0), Code::InvalidArgument, "account_id"),
        (
            list("has space", "", 0),
            Code::InvalidArgument,
            "account_id",
        ),
        (list(&account, "", 501), Code::InvalidArgument, "page_size"),
        (
            list(&account, "not-a-token", 10),
            Code::InvalidArgument,
            "page_token",
        ),
        (
            list("acc-never-seen", "", 10),
            Code::NotFound,
            "acc-never-seen",
        ),
    ];
    for (request, code, names) in cases {
        let err = reader.list_events(request.clone()).await.unwrap_err();
        assert_eq!(err.code(), code, "{request:?}");
        assert!(err.message().contains(names), "{}", err.message());
    }
    let other = reader
        .list_events(list(&account, "", 1))
        .await?
        .into_inner();
    assert!(other.next_page_token.is_empty(), "one event, one page");
    let err = reader
        .get_deposit_status(pb::GetDepositStatusRequest {
            account_id: "acc-never-seen".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::NotFound);
    // Nothing changed by any of it.
    let after = app.sync_state().await?;
    assert_eq!(
        (
            after.requested_generation,
            after.served_generation,
            after.cursor
        ),
        (
            before.requested_generation,
            before.served_generation,
            before.cursor
        )
    );

    // An operator's SyncNow is durable, and joins a pending one.
    let first = operator.sync_now(pb::SyncNowRequest {}).await?.into_inner();
    assert!(first.generation > before.requested_generation);
    let events = reader
        .list_events(list(&account, "", 10))
        .await?
        .into_inner();
    assert_eq!(events.events.len(), 1);
    assert_eq!(events.events[0].plaid_event_type, "pending");
    assert_eq!(events.events[0].amount, "0.01");

    // Health follows readiness; reflection lists the service.
    let channel = penny_testkit::grpc_channel(app.grpc_addr).await?;
    let health = HealthClient::new(channel.clone())
        .check(HealthCheckRequest {
            service: "penny.v1.TransferEventsService".into(),
        })
        .await?
        .into_inner();
    assert_eq!(health.status, ServingStatus::Serving as i32);
    let mut reflection =
        tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient::new(channel);
    let request = tonic_reflection::pb::v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            tonic_reflection::pb::v1::server_reflection_request::MessageRequest::ListServices(
                String::new(),
            ),
        ),
    };
    let mut answers = reflection
        .server_reflection_info(futures::stream::iter([request]))
        .await?
        .into_inner();
    let answer = answers.message().await?.unwrap();
    let listed = format!("{answer:?}");
    assert!(
        listed.contains("penny.v1.TransferEventsService"),
        "{listed}"
    );

    let metrics = app.metrics().await?;
    for name in [
        "penny_transfer_events_syncs_total",
        "penny_transfer_events_sync_duration_seconds",
        "penny_transfer_events_pages_fetched_total",
        "penny_transfer_events_events_recorded_total{event_type=\"pending\"} 1",
        "penny_transfer_events_pokes_received_total",
        "penny_transfer_events_pokes_coalesced_total",
        "penny_transfer_events_lease_acquisitions_total",
        "penny_transfer_events_lease_losses_total",
        "penny_transfer_events_cursor_event_id",
        "penny_transfer_events_sync_lag_seconds",
        "penny_transfer_events_unknown_account_events_total 1",
        "penny_transfer_events_plaid_requests_total",
    ] {
        assert!(metrics.contains(name), "{name} missing from\n{metrics}");
    }
    app.stop().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn scopes_bad_input_health_reflection_and_metrics() -> anyhow::Result<()> {
    for_each_db(api_on).await
}
