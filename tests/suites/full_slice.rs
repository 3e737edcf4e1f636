//! The full slice through every real part: gRPC link token → sandbox public token → exchange →
//! the sandbox verifies → a signed webhook through ingress and JetStream → numbers over gRPC.

use std::time::Duration;

use penny_e2e::{Pipeline, PipelineOptions, authorized};
use penny_proto::v1::{
    AccountStatus, CreateLinkTokenRequest, ExchangePublicTokenRequest, GetAccountRequest,
    GetAuthNumbersRequest,
};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_through_ingress_becomes_verified_numbers() {
    penny_testkit::init();
    let pipeline = Pipeline::start(PipelineOptions::default())
        .await
        .expect("pipeline");
    let token = pipeline.api_token();
    let mut grpc = pipeline.grpc().await.expect("grpc");

    let link = grpc
        .create_link_token(
            authorized(
                token,
                CreateLinkTokenRequest {
                    user_id: "e2e-user".into(),
                    ..Default::default()
                },
            )
            .expect("request"),
        )
        .await
        .expect("link token")
        .into_inner();
    let linked = pipeline
        .sandbox_control(
            "/__sandbox/link/complete",
            json!({ "link_token": link.link_token }),
        )
        .await
        .expect("link complete");
    let exchanged = grpc
        .exchange_public_token(
            authorized(
                token,
                ExchangePublicTokenRequest {
                    user_id: "e2e-user".into(),
                    public_token: linked["public_token"].as_str().expect("pt").into(),
                    accounts: vec![],
                },
            )
            .expect("request"),
        )
        .await
        .expect("exchange")
        .into_inner();
    let account_id = exchanged.accounts[0].account_id.clone();
    assert_eq!(exchanged.accounts[0].status, AccountStatus::Pending as i32);

    // Plaid verifies a day later: the sandbox signs and sends AUTOMATICALLY_VERIFIED to ingress.
    pipeline
        .sandbox_control("/__sandbox/clock", json!({ "advance_seconds": 86_400 }))
        .await
        .expect("clock");

    let grpc_poll = grpc.clone();
    let id = account_id.clone();
    penny_testkit::poll_until(Duration::from_secs(30), move || {
        let mut grpc = grpc_poll.clone();
        let id = id.clone();
        async move {
            let account = grpc
                .get_account(authorized(token, GetAccountRequest { account_id: id }).ok()?)
                .await
                .ok()?
                .into_inner();
            (account.status == AccountStatus::Verified as i32).then_some(())
        }
    })
    .await
    .expect("account verified through ingress");

    let numbers = grpc
        .get_auth_numbers(
            authorized(
                token,
                GetAuthNumbersRequest {
                    account_id: account_id.clone(),
                },
            )
            .expect("request"),
        )
        .await
        .expect("numbers")
        .into_inner();
    assert_eq!(numbers.account, "1111222233330000");
    assert_eq!(numbers.routing, "021000021");

    // The webhook went through ingress exactly once, signed, and was delivered with a 200.
    let log = reqwest::get(format!(
        "{}/__sandbox/webhooks",
        pipeline.sandbox.base_url()
    ))
    .await
    .expect("log")
    .json::<serde_json::Value>()
    .await
    .expect("json");
    let delivered: Vec<_> = log["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .filter(|a| a["webhook_code"] == "AUTOMATICALLY_VERIFIED")
        .collect();
    assert_eq!(delivered.len(), 1, "{log}");
    assert_eq!(delivered[0]["status"], 200);
    assert_eq!(delivered[0]["url"], json!(pipeline.webhook_url()));

    pipeline.stop().await.expect("clean stop");
}
