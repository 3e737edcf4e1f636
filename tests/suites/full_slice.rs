//! The full slice through every real part: gRPC link token → sandbox public token → exchange →
//! the sandbox verifies → a signed webhook through ingress and JetStream → numbers over gRPC.

use std::time::Duration;

use penny_e2e::{Pipeline, PipelineOptions};
use penny_proto::v1::{
    AccountStatus, CreateLinkTokenRequest, ExchangePublicTokenRequest, GetAuthNumbersRequest,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_through_ingress_becomes_verified_numbers() {
    penny_testkit::init();
    let pipeline = Pipeline::start(PipelineOptions::default())
        .await
        .expect("pipeline");
    let mut grpc = pipeline.grpc().await.expect("grpc");

    let link = grpc
        .create_link_token(CreateLinkTokenRequest {
            user_id: "e2e-user".into(),
            ..Default::default()
        })
        .await
        .expect("link token")
        .into_inner();
    let linked = pipeline
        .stack
        .control
        .complete_link(&link.link_token)
        .await
        .expect("link complete");
    let exchanged = grpc
        .exchange_public_token(ExchangePublicTokenRequest {
            user_id: "e2e-user".into(),
            public_token: linked.public_token,
            accounts: vec![],
        })
        .await
        .expect("exchange")
        .into_inner();
    let account_id = exchanged.accounts[0].account_id.clone();
    assert_eq!(exchanged.accounts[0].status, AccountStatus::Pending as i32);

    // Plaid verifies a day later: the sandbox signs and sends AUTOMATICALLY_VERIFIED to ingress.
    pipeline
        .stack
        .control
        .advance_clock(Duration::from_secs(86_400))
        .await
        .expect("clock");

    pipeline
        .wait_for_status(
            &account_id,
            AccountStatus::Verified,
            Duration::from_secs(30),
        )
        .await
        .expect("account verified through ingress");

    let numbers = grpc
        .get_auth_numbers(GetAuthNumbersRequest {
            account_id: account_id.clone(),
        })
        .await
        .expect("numbers")
        .into_inner();
    assert_eq!(numbers.account, "1111222233330000");
    assert_eq!(numbers.routing, "021000021");

    // The webhook went through ingress exactly once, signed, and was delivered with a 200.
    let delivered = pipeline
        .stack
        .control
        .webhook_attempts("AUTOMATICALLY_VERIFIED")
        .await
        .expect("log");
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    assert_eq!(delivered[0].status, Some(200));
    assert_eq!(delivered[0].url, pipeline.webhook_url());

    pipeline.stop().await.expect("clean stop");
}
