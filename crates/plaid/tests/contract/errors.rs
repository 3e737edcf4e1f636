//! Plaid's error paths as the client surfaces them.

use std::time::Duration;

use penny_plaid::{
    AccessToken, LinkTokenCreateRequest, PlaidClient, PlaidClientConfig, PlaidError, PublicToken,
    Secret, VerificationStatus,
};
use penny_testkit::EndpointFault;

use crate::common::Harness;

fn assert_api(err: &PlaidError, error_type: &str, error_code: &str) {
    assert_eq!(err.error_type(), Some(error_type), "{err:?}");
    assert_eq!(err.error_code(), Some(error_code), "{err:?}");
    assert_eq!(err.http_status(), Some(400), "{err:?}");
    assert!(err.request_id().is_some_and(|id| !id.is_empty()), "{err:?}");
    assert!(!err.is_retryable(), "{err:?}");
}

#[tokio::test]
async fn wrong_secret_is_invalid_api_keys_and_never_echoed() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let plaid = h.client_with(|c| c.secret = Secret::from("wrong-secret-value"))?;
    let err = plaid
        .link_token_create(&LinkTokenCreateRequest::automated_microdeposits(
            "penny",
            "u",
            "https://x",
        ))
        .await
        .unwrap_err();
    assert_api(&err, "INVALID_INPUT", "INVALID_API_KEYS");
    let api = err.api_error().expect("api error");
    assert!(!api.error_message.is_empty());
    assert!(!format!("{err} {err:?}").contains("wrong-secret-value"));

    let plaid = h.client_with(|c| c.client_id = "someone-else".into())?;
    let err = plaid.transfer_event_sync(0, None).await.unwrap_err();
    assert_api(&err, "INVALID_INPUT", "INVALID_API_KEYS");
    Ok(())
}

#[tokio::test]
async fn unknown_access_token_is_invalid_access_token_everywhere() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let token = AccessToken::new("access-sandbox-00000000-0000-0000-0000-000000000000");
    let errors = [
        h.plaid.accounts_get(&token).await.unwrap_err(),
        h.plaid.auth_get(&token).await.unwrap_err(),
        h.plaid.item_get(&token).await.unwrap_err(),
        h.plaid.item_remove(&token).await.unwrap_err(),
        h.plaid.sandbox_item_reset_login(&token).await.unwrap_err(),
    ];
    for err in &errors {
        assert_api(err, "INVALID_INPUT", "INVALID_ACCESS_TOKEN");
        assert!(!format!("{err} {err:?}").contains("00000000-0000"));
    }
    Ok(())
}

#[tokio::test]
async fn unknown_or_reused_public_token_is_invalid_public_token() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let err = h
        .plaid
        .item_public_token_exchange(&PublicToken::new("public-sandbox-nope"))
        .await
        .unwrap_err();
    assert_api(&err, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN");

    let created = h
        .plaid
        .sandbox_public_token_create(&penny_plaid::SandboxPublicTokenCreateRequest::new(
            "ins_109508",
            vec![penny_plaid::Product::Auth],
        ))
        .await?;
    h.plaid
        .item_public_token_exchange(&created.public_token)
        .await?;
    let err = h
        .plaid
        .item_public_token_exchange(&created.public_token)
        .await
        .unwrap_err();
    assert_api(&err, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN");
    Ok(())
}

#[tokio::test]
async fn bad_input_the_client_lets_through_is_rejected_by_plaid() -> anyhow::Result<()> {
    let h = Harness::start().await?;

    // No user and no user_id.
    let mut request = LinkTokenCreateRequest::automated_microdeposits("penny", "u", "https://x");
    request.user = None;
    let err = h.plaid.link_token_create(&request).await.unwrap_err();
    assert_api(&err, "INVALID_REQUEST", "MISSING_FIELDS");
    assert!(err.api_error().expect("api").error_message.contains("user"));

    // Micro-deposits need country_codes ["US"].
    let mut request = LinkTokenCreateRequest::automated_microdeposits("penny", "u", "https://x");
    request.country_codes = vec![penny_plaid::CountryCode::Gb];
    let err = h.plaid.link_token_create(&request).await.unwrap_err();
    assert_api(&err, "INVALID_REQUEST", "INVALID_FIELD");

    // PII in client_user_id.
    let request =
        LinkTokenCreateRequest::automated_microdeposits("penny", "me@example.com", "https://x");
    let err = h.plaid.link_token_create(&request).await.unwrap_err();
    assert_api(&err, "INVALID_REQUEST", "INVALID_FIELD");

    // An unknown language.
    let mut request = LinkTokenCreateRequest::automated_microdeposits("penny", "u", "https://x");
    request.language = "xx".into();
    let err = h.plaid.link_token_create(&request).await.unwrap_err();
    assert_api(&err, "INVALID_REQUEST", "INVALID_FIELD");

    // count above 25.
    let err = h
        .plaid
        .bank_transfer_event_sync(0, Some(26))
        .await
        .unwrap_err();
    assert_api(&err, "INVALID_REQUEST", "INVALID_FIELD");

    // A verification status the sandbox endpoint does not accept.
    let linked = h.link_microdeposit_item(None).await?;
    let err = h
        .plaid
        .sandbox_item_set_verification_status(
            &linked.access_token,
            &linked.account_id,
            &VerificationStatus::from("bogus_status"),
        )
        .await
        .unwrap_err();
    assert_api(&err, "INVALID_REQUEST", "INVALID_FIELD");

    // An account that is not on the Item.
    let err = h
        .plaid
        .auth_get_for_accounts(&linked.access_token, &["nope"])
        .await
        .unwrap_err();
    assert_api(&err, "INVALID_INPUT", "INVALID_ACCOUNT_ID");
    Ok(())
}

#[tokio::test]
async fn unknown_key_id_is_invalid_webhook_verification_key_id() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let err = h
        .plaid
        .webhook_verification_key_get("6c5516e1-92dc-479e-a8ff-5a51992e0001")
        .await
        .unwrap_err();
    assert_api(&err, "INVALID_INPUT", "INVALID_WEBHOOK_VERIFICATION_KEY_ID");
    Ok(())
}

#[tokio::test]
async fn nobody_listening_is_a_retryable_connect_error() -> anyhow::Result<()> {
    penny_testkit::init();
    let port = penny_testkit::free_port()?;
    let plaid = PlaidClient::new(PlaidClientConfig {
        base_url: format!("http://127.0.0.1:{port}"),
        max_retries: 2,
        retry_base: Duration::from_millis(1),
        ..PlaidClientConfig::default()
    })?;
    let err = plaid
        .item_get(&AccessToken::new("access-sandbox-x"))
        .await
        .unwrap_err();
    assert!(matches!(err, PlaidError::Connect { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.http_status(), None);
    assert_eq!(err.error_code(), None);
    Ok(())
}

#[tokio::test]
async fn a_slow_answer_is_a_retryable_timeout() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    h.control
        .add_fault(&EndpointFault::latency(
            "/transfer/event/sync",
            Duration::from_secs(2),
        ))
        .await?;
    let plaid = h.client_with(|c| {
        c.timeout = Duration::from_millis(200);
        c.max_retries = 0;
    })?;
    let started = std::time::Instant::now();
    let err = plaid.transfer_event_sync(0, None).await.unwrap_err();
    assert!(matches!(err, PlaidError::Timeout { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(started.elapsed() < Duration::from_millis(1500));
    Ok(())
}
