//! Authentication, scopes, argument validation and unknown ids, each with its status code.

use penny_proto::v1 as pb;
use tonic::Code;

use crate::support::{
    ALL_TOKEN, DbKind, LINK_TOKEN, NUMBERS_TOKEN, STATUS_TOKEN, for_each_db, spawn_app,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tokens_and_scopes_are_enforced() -> anyhow::Result<()> {
    for_each_db(tokens_and_scopes_are_enforced_on).await
}

async fn tokens_and_scopes_are_enforced_on(kind: DbKind) -> anyhow::Result<()> {
    let app = spawn_app(kind).await?;
    let get = |account_id: &str| pb::GetAccountRequest {
        account_id: account_id.to_owned(),
    };

    let status = app
        .client_with(None)
        .await?
        .get_account(get("a"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    let status = app
        .client_with(Some("not-a-token"))
        .await?
        .get_account(get("a"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");

    // Each scope's token is refused elsewhere.
    let status = app
        .client_with(Some(LINK_TOKEN))
        .await?
        .get_account(get("a"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert!(status.message().contains("status"));
    let status = app
        .client_with(Some(STATUS_TOKEN))
        .await?
        .get_auth_numbers(pb::GetAuthNumbersRequest {
            account_id: "a".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    assert!(status.message().contains("numbers"));
    let status = app
        .client_with(Some(NUMBERS_TOKEN))
        .await?
        .create_link_token(pb::CreateLinkTokenRequest {
            user_id: "u".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    let status = app
        .client_with(Some(NUMBERS_TOKEN))
        .await?
        .remove_item(pb::RemoveItemRequest {
            item_id: "i".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");

    // With the right scope the call goes through (to NOT_FOUND here).
    let status = app
        .client_with(Some(STATUS_TOKEN))
        .await?
        .get_account(get("a"))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");

    // Health is open.
    let channel = penny_testkit::grpc_channel(app.grpc_addr).await?;
    let health = tonic_health::pb::health_client::HealthClient::new(channel)
        .check(tonic_health::pb::HealthCheckRequest {
            service: "penny.v1.VerificationService".into(),
        })
        .await?
        .into_inner();
    assert_eq!(
        health.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    // Reflection is open and lists the service.
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let channel = penny_testkit::grpc_channel(app.grpc_addr).await?;
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = ServerReflectionClient::new(channel)
        .server_reflection_info(futures::stream::iter([request]))
        .await?
        .into_inner();
    let response = responses.message().await?.expect("one response");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("unexpected reflection response");
    };
    assert!(
        list.service
            .iter()
            .any(|s| s.name == "penny.v1.VerificationService"),
        "{:?}",
        list.service
    );
    app.stop().await
}

fn assert_invalid(status: tonic::Status, field: &str) {
    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert!(
        status.message().contains(field),
        "message {:?} should name {field}",
        status.message()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_arguments_name_the_field_and_unknown_ids_are_not_found() -> anyhow::Result<()> {
    for_each_db(bad_arguments_name_the_field_and_unknown_ids_are_not_found_on).await
}

async fn bad_arguments_name_the_field_and_unknown_ids_are_not_found_on(
    kind: DbKind,
) -> anyhow::Result<()> {
    let app = spawn_app(kind).await?;
    let mut c = app.client_with(Some(ALL_TOKEN)).await?;

    assert_invalid(
        c.create_link_token(pb::CreateLinkTokenRequest::default())
            .await
            .unwrap_err(),
        "user_id",
    );
    assert_invalid(
        c.create_link_token(pb::CreateLinkTokenRequest {
            user_id: "ann@example.com".into(),
            ..Default::default()
        })
        .await
        .unwrap_err(),
        "user_id",
    );
    assert_invalid(
        c.create_link_token(pb::CreateLinkTokenRequest {
            user_id: "u".into(),
            language: "english".into(),
            ..Default::default()
        })
        .await
        .unwrap_err(),
        "language",
    );
    assert_invalid(
        c.exchange_public_token(pb::ExchangePublicTokenRequest {
            user_id: "u".into(),
            ..Default::default()
        })
        .await
        .unwrap_err(),
        "public_token",
    );
    assert_invalid(
        c.exchange_public_token(pb::ExchangePublicTokenRequest {
            user_id: "u".into(),
            public_token: "public-sandbox-x".into(),
            accounts: vec![pb::LinkAccount::default()],
        })
        .await
        .unwrap_err(),
        "accounts[0].account_id",
    );
    // A token Plaid does not know: INVALID_ARGUMENT naming public_token.
    assert_invalid(
        c.exchange_public_token(pb::ExchangePublicTokenRequest {
            user_id: "u".into(),
            public_token: "public-sandbox-00000000-0000-0000-0000-000000000000".into(),
            accounts: vec![],
        })
        .await
        .unwrap_err(),
        "public_token",
    );
    assert_invalid(
        c.get_account(pb::GetAccountRequest::default())
            .await
            .unwrap_err(),
        "account_id",
    );
    assert_invalid(
        c.list_accounts(pb::ListAccountsRequest::default())
            .await
            .unwrap_err(),
        "user_id",
    );
    assert_invalid(
        c.get_auth_numbers(pb::GetAuthNumbersRequest::default())
            .await
            .unwrap_err(),
        "account_id",
    );
    assert_invalid(
        c.refresh_account(pb::RefreshAccountRequest::default())
            .await
            .unwrap_err(),
        "account_id",
    );
    assert_invalid(
        c.remove_item(pb::RemoveItemRequest::default())
            .await
            .unwrap_err(),
        "item_id",
    );
    assert_invalid(
        c.get_account(pb::GetAccountRequest {
            account_id: "has space".into(),
        })
        .await
        .unwrap_err(),
        "account_id",
    );

    for status in [
        c.get_account(pb::GetAccountRequest {
            account_id: "nope".into(),
        })
        .await
        .unwrap_err(),
        c.get_auth_numbers(pb::GetAuthNumbersRequest {
            account_id: "nope".into(),
        })
        .await
        .unwrap_err(),
        c.refresh_account(pb::RefreshAccountRequest {
            account_id: "nope".into(),
        })
        .await
        .unwrap_err(),
        c.remove_item(pb::RemoveItemRequest {
            item_id: "nope".into(),
        })
        .await
        .unwrap_err(),
    ] {
        assert_eq!(status.code(), Code::NotFound, "{status:?}");
        assert!(status.message().contains("nope"));
    }
    // An unknown user simply has no accounts.
    let none = c
        .list_accounts(pb::ListAccountsRequest {
            user_id: "nobody".into(),
        })
        .await?
        .into_inner();
    assert!(none.accounts.is_empty());
    app.stop().await
}
