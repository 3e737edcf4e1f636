//! Every call's success shape against the sandbox.

use chrono::Utc;
use penny_plaid::{
    AccountType, AuthMethod, BankTransferEventType, BankTransferFailure, BankTransferType,
    LinkTokenCreateRequest, PlaidError, SandboxBankTransferSimulateRequest, VerificationStatus,
};

use crate::common::Harness;

#[tokio::test]
async fn link_token_create_for_a_new_item_and_for_update_mode() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let request = LinkTokenCreateRequest::automated_microdeposits(
        "penny",
        "user-1",
        "https://example.com/plaid/webhook",
    );
    let before = Utc::now();
    let created = h.plaid.link_token_create(&request).await?;
    assert!(created.link_token.expose().starts_with("link-sandbox-"));
    assert!(!created.request_id.is_empty());
    let ttl = created.expiration - before;
    assert!(
        ttl > chrono::Duration::minutes(239) && ttl <= chrono::Duration::minutes(241),
        "new-Item link token lives {ttl}"
    );

    let linked = h.instant_item().await?;
    let update = LinkTokenCreateRequest::update_mode("penny", "user-1", linked.access_token);
    let created = h.plaid.link_token_create(&update).await?;
    let ttl = created.expiration - Utc::now();
    assert!(
        ttl > chrono::Duration::minutes(29) && ttl <= chrono::Duration::minutes(30),
        "update-mode link token lives {ttl}"
    );
    Ok(())
}

#[tokio::test]
async fn automated_microdeposits_from_link_to_numbers() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let linked = h
        .link_microdeposit_item(Some("https://example.com/plaid/webhook"))
        .await?;
    assert!(linked.access_token.expose().starts_with("access-sandbox-"));

    let accounts = h.plaid.accounts_get(&linked.access_token).await?;
    assert_eq!(accounts.item.item_id, linked.item_id);
    assert_eq!(accounts.item.institution_id.as_deref(), Some("ins_109512"));
    assert_eq!(
        accounts.item.auth_method,
        Some(AuthMethod::AutomatedMicrodeposits)
    );
    assert_eq!(
        accounts.item.webhook.as_deref(),
        Some("https://example.com/plaid/webhook")
    );
    let account = &accounts.accounts[0];
    assert_eq!(account.account_id, linked.account_id);
    assert_eq!(account.account_type, AccountType::Depository);
    assert_eq!(account.mask.as_deref(), Some("0000"));
    assert_eq!(
        account.verification_status,
        Some(VerificationStatus::PendingAutomaticVerification)
    );

    let err = h.plaid.auth_get(&linked.access_token).await.unwrap_err();
    assert!(err.is_product_not_ready(), "{err:?}");
    assert_eq!(err.error_type(), Some("ITEM_ERROR"));
    assert_eq!(err.http_status(), Some(400));
    assert!(err.request_id().is_some_and(|id| !id.is_empty()));
    assert!(!err.is_retryable());

    h.plaid
        .sandbox_item_set_verification_status(
            &linked.access_token,
            &linked.account_id,
            &VerificationStatus::AutomaticallyVerified,
        )
        .await?;

    let auth = h.plaid.auth_get(&linked.access_token).await?;
    assert_eq!(
        auth.accounts[0].verification_status,
        Some(VerificationStatus::AutomaticallyVerified)
    );
    let ach = auth
        .numbers
        .ach_for(&linked.account_id)
        .expect("ACH numbers");
    assert_eq!(ach.account, "1111222233330000");
    assert_eq!(ach.routing, "021000021");
    assert!(auth.numbers.eft.is_empty() && auth.numbers.bacs.is_empty());
    let shown = format!("{auth:?}");
    assert!(!shown.contains("1111222233330000") && !shown.contains("021000021"));

    let only = h
        .plaid
        .auth_get_for_accounts(&linked.access_token, &[linked.account_id.as_str()])
        .await?;
    assert_eq!(only.accounts.len(), 1);
    assert_eq!(only.numbers.ach.len(), 1);
    let only = h
        .plaid
        .accounts_get_for_accounts(&linked.access_token, &[linked.account_id.as_str()])
        .await?;
    assert_eq!(only.accounts.len(), 1);
    Ok(())
}

#[tokio::test]
async fn expired_verification_is_reported_on_the_account() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let linked = h.link_microdeposit_item(None).await?;
    h.plaid
        .sandbox_item_set_verification_status(
            &linked.access_token,
            &linked.account_id,
            &VerificationStatus::VerificationExpired,
        )
        .await?;
    let accounts = h.plaid.accounts_get(&linked.access_token).await?;
    assert_eq!(
        accounts.accounts[0].verification_status,
        Some(VerificationStatus::VerificationExpired)
    );
    let err = h.plaid.auth_get(&linked.access_token).await.unwrap_err();
    assert!(
        matches!(err, PlaidError::Api { status: 400, .. }),
        "{err:?}"
    );
    Ok(())
}

#[tokio::test]
async fn instant_items_have_numbers_at_once() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let linked = h.instant_item().await?;
    let auth = h.plaid.auth_get(&linked.access_token).await?;
    assert!(!auth.numbers.ach.is_empty());
    assert!(
        auth.accounts
            .iter()
            .all(|a| a.verification_status.is_none())
    );
    assert_eq!(auth.item.auth_method, Some(AuthMethod::InstantAuth));
    Ok(())
}

#[tokio::test]
async fn item_get_then_remove() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let linked = h
        .link_microdeposit_item(Some("https://example.com/hook"))
        .await?;
    let got = h.plaid.item_get(&linked.access_token).await?;
    assert_eq!(got.item.item_id, linked.item_id);
    assert_eq!(
        got.item.webhook.as_deref(),
        Some("https://example.com/hook")
    );
    assert_eq!(got.item.error, None);
    assert!(got.item.created_at.is_some());

    let removed = h.plaid.item_remove(&linked.access_token).await?;
    assert!(!removed.request_id.is_empty());
    let err = h.plaid.item_get(&linked.access_token).await.unwrap_err();
    assert_eq!(err.error_code(), Some("INVALID_ACCESS_TOKEN"));
    Ok(())
}

#[tokio::test]
async fn reset_login_puts_the_item_in_login_required() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let linked = h.instant_item().await?;
    let reset = h
        .plaid
        .sandbox_item_reset_login(&linked.access_token)
        .await?;
    assert!(reset.reset_login);

    let got = h.plaid.item_get(&linked.access_token).await?;
    let error = got.item.error.expect("the Item carries its error");
    assert_eq!(error.error_code, "ITEM_LOGIN_REQUIRED");
    assert_eq!(error.error_type, "ITEM_ERROR");

    let err = h
        .plaid
        .accounts_get(&linked.access_token)
        .await
        .unwrap_err();
    assert_eq!(err.error_code(), Some("ITEM_LOGIN_REQUIRED"));
    assert!(!err.is_retryable());
    Ok(())
}

#[tokio::test]
async fn bank_transfer_events_follow_simulated_transitions() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let linked = h.link_microdeposit_item(None).await?;

    let synced = h.plaid.bank_transfer_event_sync(0, None).await?;
    assert_eq!(synced.bank_transfer_events.len(), 1);
    let pending = &synced.bank_transfer_events[0];
    assert_eq!(pending.event_type, BankTransferEventType::Pending);
    assert_eq!(pending.account_id, linked.account_id);
    assert_eq!(pending.bank_transfer_type, BankTransferType::Credit);
    assert_eq!(pending.bank_transfer_amount, "0.01");
    assert_eq!(pending.bank_transfer_iso_currency_code, "USD");
    assert_eq!(pending.failure_reason, None);
    let transfer_id = pending.bank_transfer_id.clone();
    let cursor = pending.event_id;

    h.plaid
        .sandbox_bank_transfer_simulate(&SandboxBankTransferSimulateRequest {
            bank_transfer_id: transfer_id.clone(),
            event_type: BankTransferEventType::Posted,
            failure_reason: None,
        })
        .await?;
    h.plaid
        .sandbox_bank_transfer_simulate(&SandboxBankTransferSimulateRequest {
            bank_transfer_id: transfer_id.clone(),
            event_type: BankTransferEventType::Reversed,
            failure_reason: Some(BankTransferFailure {
                ach_return_code: Some("R03".into()),
                description: Some("No account or unable to locate account".into()),
            }),
        })
        .await?;

    let one = h.plaid.bank_transfer_event_sync(cursor, Some(1)).await?;
    assert_eq!(one.bank_transfer_events.len(), 1);
    assert_eq!(
        one.bank_transfer_events[0].event_type,
        BankTransferEventType::Posted
    );
    let rest = h
        .plaid
        .bank_transfer_event_sync(one.bank_transfer_events[0].event_id, None)
        .await?;
    assert_eq!(rest.bank_transfer_events.len(), 1);
    let reversed = &rest.bank_transfer_events[0];
    assert_eq!(reversed.event_type, BankTransferEventType::Reversed);
    assert_eq!(reversed.bank_transfer_id, transfer_id);
    let failure = reversed.failure_reason.as_ref().expect("failure_reason");
    assert_eq!(failure.ach_return_code.as_deref(), Some("R03"));
    assert!(reversed.event_id > one.bank_transfer_events[0].event_id);

    let none = h
        .plaid
        .bank_transfer_event_sync(reversed.event_id, None)
        .await?;
    assert!(none.bank_transfer_events.is_empty());

    // posted -> reversed happened; reversed -> posted is not an allowed transition.
    let err = h
        .plaid
        .sandbox_bank_transfer_simulate(&SandboxBankTransferSimulateRequest {
            bank_transfer_id: transfer_id,
            event_type: BankTransferEventType::Posted,
            failure_reason: None,
        })
        .await
        .unwrap_err();
    assert_eq!(err.http_status(), Some(400), "{err:?}");
    assert!(!err.is_retryable());
    Ok(())
}

#[tokio::test]
async fn transfer_event_sync_is_empty_without_transfers() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let synced = h.plaid.transfer_event_sync(0, Some(500)).await?;
    assert!(synced.transfer_events.is_empty());
    assert!(!synced.has_more);
    assert!(!synced.request_id.is_empty());
    Ok(())
}

#[tokio::test]
async fn sandbox_webhook_triggers_answer() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let linked = h
        .link_microdeposit_item(Some("http://127.0.0.1:9/unreachable"))
        .await?;
    let fired = h
        .plaid
        .sandbox_item_fire_webhook(&linked.access_token, Some("ITEM"), "NEW_ACCOUNTS_AVAILABLE")
        .await?;
    assert!(fired.webhook_fired);
    let fired = h
        .plaid
        .sandbox_bank_transfer_fire_webhook("http://127.0.0.1:9/unreachable")
        .await?;
    assert!(!fired.request_id.is_empty());
    Ok(())
}

#[tokio::test]
async fn webhook_verification_key_get_returns_the_current_key() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let keys = h.control.keys().await?;
    let kid = keys[0].kid.clone();
    let got = h.plaid.webhook_verification_key_get(&kid).await?;
    assert_eq!(got.key.kid, kid);
    assert_eq!(got.key.alg, "ES256");
    assert_eq!(got.key.crv, "P-256");
    assert_eq!(got.key.kty, "EC");
    assert_eq!(got.key.use_, "sig");
    assert!(!got.key.x.is_empty() && !got.key.y.is_empty());
    assert!(got.key.created_at > 1_600_000_000);
    assert_eq!(got.key.expired_at, None);
    Ok(())
}
