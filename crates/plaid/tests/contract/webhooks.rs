//! Signed webhooks: received by a real HTTP receiver, verified with the key from
//! `/webhook_verification_key/get`, parsed with `penny_plaid::webhook`; and key rotation.

use penny_plaid::VerificationStatus;
use penny_plaid::webhook::{AuthEvent, ItemEvent, Webhook, WebhookEvent};

use crate::common::{Harness, Receiver, verify_webhook, webhook_kid};

#[tokio::test]
async fn automatically_verified_is_signed_and_parses() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let mut receiver = Receiver::start().await?;
    let linked = h.link_microdeposit_item(Some(&receiver.url)).await?;
    h.plaid
        .sandbox_item_set_verification_status(
            &linked.access_token,
            &linked.account_id,
            &VerificationStatus::AutomaticallyVerified,
        )
        .await?;

    let received = receiver.next_with_code("AUTOMATICALLY_VERIFIED").await?;
    let kid = webhook_kid(&received)?;
    let key = h.plaid.webhook_verification_key_get(&kid).await?.key;
    assert_eq!(key.kid, kid);
    assert!(!key.is_expired());
    verify_webhook(&received, &key)?;

    // A tampered body no longer matches the signed hash.
    let mut tampered = crate::common::Received {
        headers: received.headers.clone(),
        body: received.body.clone(),
    };
    tampered.body = axum::body::Bytes::from(
        String::from_utf8(received.body.to_vec())?.replace(&linked.account_id, "someone-else"),
    );
    assert!(verify_webhook(&tampered, &key).is_err());

    let hook = Webhook::parse(&received.body)?;
    assert_eq!(hook.environment.as_deref(), Some("sandbox"));
    assert_eq!(hook.error_code(), None);
    assert_eq!(
        hook.event()?,
        WebhookEvent::Auth(AuthEvent::AutomaticallyVerified {
            item_id: linked.item_id,
            account_id: linked.account_id,
            error: None,
        })
    );
    Ok(())
}

#[tokio::test]
async fn reset_login_sends_item_error_with_the_error_object() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let mut receiver = Receiver::start().await?;
    let linked = h.link_microdeposit_item(Some(&receiver.url)).await?;
    h.plaid
        .sandbox_item_reset_login(&linked.access_token)
        .await?;

    let received = receiver.next_with_code("ERROR").await?;
    let key = h
        .plaid
        .webhook_verification_key_get(&webhook_kid(&received)?)
        .await?
        .key;
    verify_webhook(&received, &key)?;
    let hook = Webhook::parse(&received.body)?;
    assert!(hook.is_item_login_required());
    let error = hook
        .error
        .as_ref()
        .and_then(|e| e.as_api_error())
        .expect("object");
    assert_eq!(error.status, Some(400));
    assert_eq!(error.error_type, "ITEM_ERROR");
    match hook.event()? {
        WebhookEvent::Item(ItemEvent::Error { item_id, error }) => {
            assert_eq!(item_id, linked.item_id);
            assert_eq!(error.expect("error").code(), "ITEM_LOGIN_REQUIRED");
        }
        other => panic!("unexpected {other:?}"),
    }
    Ok(())
}

#[tokio::test]
async fn fired_item_and_bank_transfer_webhooks_parse() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let mut receiver = Receiver::start().await?;
    let linked = h.link_microdeposit_item(Some(&receiver.url)).await?;

    h.plaid
        .sandbox_item_fire_webhook(&linked.access_token, Some("ITEM"), "NEW_ACCOUNTS_AVAILABLE")
        .await?;
    let received = receiver.next_with_code("NEW_ACCOUNTS_AVAILABLE").await?;
    let key = h
        .plaid
        .webhook_verification_key_get(&webhook_kid(&received)?)
        .await?
        .key;
    verify_webhook(&received, &key)?;
    assert_eq!(
        Webhook::parse(&received.body)?.event()?,
        WebhookEvent::Item(ItemEvent::NewAccountsAvailable {
            item_id: Some(linked.item_id.clone())
        })
    );

    h.plaid
        .sandbox_item_fire_webhook(&linked.access_token, None, "USER_PERMISSION_REVOKED")
        .await?;
    let received = receiver.next_with_code("USER_PERMISSION_REVOKED").await?;
    verify_webhook(&received, &key)?;
    let hook = Webhook::parse(&received.body)?;
    assert_eq!(hook.error_code(), Some("USER_PERMISSION_REVOKED"));
    assert!(matches!(
        hook.event()?,
        WebhookEvent::Item(ItemEvent::UserPermissionRevoked { .. })
    ));

    h.plaid
        .sandbox_bank_transfer_fire_webhook(&receiver.url)
        .await?;
    let received = receiver
        .next_with_code("BANK_TRANSFERS_EVENTS_UPDATE")
        .await?;
    verify_webhook(&received, &key)?;
    let hook = Webhook::parse(&received.body)?;
    assert_eq!(hook.item_id, None);
    assert_eq!(hook.event()?, WebhookEvent::BankTransfersEventsUpdate);
    Ok(())
}

#[tokio::test]
async fn rotation_expires_the_old_key_and_signs_with_the_new_one() -> anyhow::Result<()> {
    let h = Harness::start().await?;
    let mut receiver = Receiver::start().await?;

    h.plaid
        .sandbox_bank_transfer_fire_webhook(&receiver.url)
        .await?;
    let before = receiver
        .next_with_code("BANK_TRANSFERS_EVENTS_UPDATE")
        .await?;
    let old_kid = webhook_kid(&before)?;
    let old_key = h.plaid.webhook_verification_key_get(&old_kid).await?.key;
    verify_webhook(&before, &old_key)?;

    let rotated = h.control.rotate_key().await?;
    assert_eq!(rotated.expired_kid, old_kid.as_str());
    let new_kid = rotated.kid;
    assert_ne!(new_kid, old_kid);

    let old_now = h.plaid.webhook_verification_key_get(&old_kid).await?.key;
    assert!(old_now.is_expired(), "{old_now:?}");
    assert!(old_now.expired_at >= Some(old_now.created_at));
    assert_eq!(old_now.x, old_key.x);

    h.plaid
        .sandbox_bank_transfer_fire_webhook(&receiver.url)
        .await?;
    let after = receiver
        .next_with_code("BANK_TRANSFERS_EVENTS_UPDATE")
        .await?;
    assert_eq!(webhook_kid(&after)?, new_kid);
    let new_key = h.plaid.webhook_verification_key_get(&new_kid).await?.key;
    assert!(!new_key.is_expired());
    verify_webhook(&after, &new_key)?;
    assert!(
        verify_webhook(&after, &old_key).is_err(),
        "the old key must not verify the new signature"
    );
    Ok(())
}
