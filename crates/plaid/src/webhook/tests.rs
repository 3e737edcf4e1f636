//! Unit tests with the reference's webhook bodies.

use super::*;

fn parse(body: &str) -> Webhook {
    Webhook::parse(body.as_bytes()).unwrap()
}

#[test]
fn automatically_verified_with_error_null() {
    let hook = parse(
        r#"{"webhook_type":"AUTH","webhook_code":"AUTOMATICALLY_VERIFIED",
 "item_id":"eVBnVMp7zdTJLkRNr33Rs6zr7KNJqBFL9DrE6","account_id":"dVzbVMLjrxTnLjX4G66XUp5GLklm4oiZy88yK",
 "environment":"production","error":null}"#,
    );
    assert_eq!(hook.error, None);
    assert_eq!(hook.error_code(), None);
    assert_eq!(hook.environment.as_deref(), Some("production"));
    assert!(hook.extra.is_empty());
    assert_eq!(
        hook.event().unwrap(),
        WebhookEvent::Auth(AuthEvent::AutomaticallyVerified {
            item_id: "eVBnVMp7zdTJLkRNr33Rs6zr7KNJqBFL9DrE6".into(),
            account_id: "dVzbVMLjrxTnLjX4G66XUp5GLklm4oiZy88yK".into(),
            error: None,
        })
    );
}

#[test]
fn verification_expired_without_environment_or_error_and_pretty_printed() {
    let hook = parse(
        "{\n  \"webhook_type\": \"AUTH\",\n  \"webhook_code\": \"VERIFICATION_EXPIRED\",\n  \"item_id\": \"i\",\n  \"account_id\": \"a\"\n}",
    );
    assert_eq!(hook.environment, None);
    assert_eq!(hook.error, None);
    assert!(matches!(
        hook.event().unwrap(),
        WebhookEvent::Auth(AuthEvent::VerificationExpired { .. })
    ));
}

#[test]
fn error_as_a_bare_code_string() {
    let hook = parse(
        r#"{"webhook_type":"AUTH","webhook_code":"VERIFICATION_EXPIRED","item_id":"i",
            "account_id":"a","environment":"sandbox","error":"VERIFICATION_EXPIRED"}"#,
    );
    assert_eq!(
        hook.error,
        Some(WebhookError::Code("VERIFICATION_EXPIRED".into()))
    );
    assert_eq!(hook.error_code(), Some("VERIFICATION_EXPIRED"));
    assert_eq!(hook.error.as_ref().unwrap().as_api_error(), None);
}

#[test]
fn item_error_with_the_error_object() {
    let hook = parse(
        r#"{"webhook_type":"ITEM","webhook_code":"ERROR","item_id":"wz666MBjYWTp2PDzzggYhM6oWWmBb",
 "error":{"display_message":null,"error_code":"ITEM_LOGIN_REQUIRED",
  "error_message":"the login details of this item have changed (credentials, MFA, or required user action) and a user login is required to update this information. use Link's update mode to restore the item to a good state",
  "error_type":"ITEM_ERROR","status":400},"environment":"production"}"#,
    );
    assert_eq!(hook.error_code(), Some("ITEM_LOGIN_REQUIRED"));
    assert!(hook.is_item_login_required());
    let api = hook.error.as_ref().unwrap().as_api_error().unwrap();
    assert_eq!(api.status, Some(400));
    assert_eq!(api.error_type, "ITEM_ERROR");
    assert_eq!(api.request_id, None);
    match hook.event().unwrap() {
        WebhookEvent::Item(ItemEvent::Error { item_id, error }) => {
            assert_eq!(item_id, "wz666MBjYWTp2PDzzggYhM6oWWmBb");
            assert_eq!(error.unwrap().code(), "ITEM_LOGIN_REQUIRED");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn default_update_with_new_and_updated_auth() {
    let hook = parse(
        r#"{"webhook_type":"AUTH","webhook_code":"DEFAULT_UPDATE","item_id":"i","error":null,
            "account_ids_with_new_auth":["a1"],
            "account_ids_with_updated_auth":{"a2":["ACCOUNT_NUMBER","ROUTING_NUMBER"]},
            "environment":"production"}"#,
    );
    match hook.event().unwrap() {
        WebhookEvent::Auth(AuthEvent::DefaultUpdate {
            item_id,
            account_ids_with_new_auth,
            account_ids_with_updated_auth,
        }) => {
            assert_eq!(item_id, "i");
            assert_eq!(account_ids_with_new_auth, vec!["a1".to_owned()]);
            assert_eq!(
                account_ids_with_updated_auth["a2"],
                vec!["ACCOUNT_NUMBER".to_owned(), "ROUTING_NUMBER".to_owned()]
            );
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn other_item_codes() {
    let cases = [
        (
            r#""LOGIN_REPAIRED""#,
            ItemEvent::LoginRepaired {
                item_id: "i".into(),
            },
        ),
        (
            r#""USER_PERMISSION_REVOKED","error":{"error_type":"INVALID_INPUT","error_code":"USER_PERMISSION_REVOKED","error_message":"m","display_message":null}"#,
            ItemEvent::UserPermissionRevoked {
                item_id: "i".into(),
                error: Some(WebhookError::Object(PlaidApiError {
                    error_type: "INVALID_INPUT".into(),
                    error_code: "USER_PERMISSION_REVOKED".into(),
                    error_message: "m".into(),
                    ..PlaidApiError::default()
                })),
            },
        ),
        (
            r#""PENDING_DISCONNECT","reason":"INSTITUTION_MIGRATION""#,
            ItemEvent::PendingDisconnect {
                item_id: "i".into(),
                reason: Some("INSTITUTION_MIGRATION".into()),
            },
        ),
        (
            r#""WEBHOOK_UPDATE_ACKNOWLEDGED","new_webhook_url":"https://x""#,
            ItemEvent::WebhookUpdateAcknowledged {
                item_id: "i".into(),
                new_webhook_url: Some("https://x".into()),
            },
        ),
        (
            r#""SOMETHING_NEW""#,
            ItemEvent::Other {
                webhook_code: "SOMETHING_NEW".into(),
                item_id: Some("i".into()),
            },
        ),
    ];
    for (code, expected) in cases {
        let hook = parse(&format!(
            r#"{{"webhook_type":"ITEM","item_id":"i","environment":"sandbox","webhook_code":{code}}}"#
        ));
        assert_eq!(
            hook.event().unwrap(),
            WebhookEvent::Item(expected),
            "{code}"
        );
    }
}

#[test]
fn bank_transfers_poke_and_unknown_types() {
    let hook = parse(
        r#"{"webhook_type":"BANK_TRANSFERS","webhook_code":"BANK_TRANSFERS_EVENTS_UPDATE","environment":"production"}"#,
    );
    assert_eq!(hook.item_id, None);
    assert_eq!(
        hook.event().unwrap(),
        WebhookEvent::BankTransfersEventsUpdate
    );

    let hook = parse(r#"{"webhook_type":"TRANSFER","webhook_code":"TRANSFER_EVENTS_UPDATE"}"#);
    assert_eq!(hook.event().unwrap(), WebhookEvent::TransferEventsUpdate);

    let hook = parse(
        r#"{"webhook_type":"TRANSACTIONS","webhook_code":"SYNC_UPDATES_AVAILABLE","item_id":"i","initial_update_complete":true}"#,
    );
    assert_eq!(hook.extra["initial_update_complete"], true);
    assert_eq!(
        hook.event().unwrap(),
        WebhookEvent::Other {
            webhook_type: "TRANSACTIONS".into(),
            webhook_code: "SYNC_UPDATES_AVAILABLE".into()
        }
    );
}

#[test]
fn sms_status_lives_in_extra() {
    let hook = parse(
        r#"{"webhook_type":"AUTH","webhook_code":"SMS_MICRODEPOSITS_VERIFICATION","status":"MANUALLY_VERIFIED","item_id":"i","account_id":"a","environment":"sandbox"}"#,
    );
    assert_eq!(hook.extra_str("status"), Some("MANUALLY_VERIFIED"));
    assert!(matches!(
        hook.event().unwrap(),
        WebhookEvent::Auth(AuthEvent::SmsMicrodepositsVerification { status, .. }) if status == "MANUALLY_VERIFIED"
    ));
}

#[test]
fn missing_required_fields_are_reported() {
    let hook =
        parse(r#"{"webhook_type":"AUTH","webhook_code":"AUTOMATICALLY_VERIFIED","item_id":"i"}"#);
    let err = hook.event().unwrap_err();
    assert!(
        matches!(
            err,
            WebhookParseError::MissingField {
                field: "account_id",
                ..
            }
        ),
        "{err}"
    );
    for body in [
        "not json",
        "{}",
        r#"{"webhook_type":"AUTH"}"#,
        r#"{"webhook_type":1,"webhook_code":"X"}"#,
    ] {
        assert!(Webhook::parse(body.as_bytes()).is_err(), "{body}");
    }
}

#[test]
fn round_trips_unknown_fields() {
    let body =
        r#"{"webhook_type":"ITEM","webhook_code":"X","item_id":"i","new_thing":{"a":[1,2]}}"#;
    let hook = parse(body);
    let back: serde_json::Value = serde_json::to_value(&hook).unwrap();
    assert_eq!(
        back,
        serde_json::from_str::<serde_json::Value>(body).unwrap()
    );
}
