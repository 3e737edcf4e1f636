//! Same-Day Micro-deposits: typed numbers in Link, a pending $0.01 credit, the code confirmed
//! in update mode (three wrong codes lock the Item), and the SMS verification webhook.

mod common;

use common::{Receiver, Sandbox, link_request};
use serde_json::{Value, json};

fn same_day_link_request(webhook: &str) -> Value {
    let mut body = link_request(webhook);
    body["auth"] = json!({"same_day_microdeposits_enabled": true});
    body
}

/// Links a Same-Day Item through Link completion: (access_token, account_id).
async fn same_day_item(sb: &Sandbox, webhook: &str) -> (String, String) {
    let link = sb
        .ok("/link/token/create", same_day_link_request(webhook))
        .await;
    let (status, done) = sb
        .post(
            "/__sandbox/link/complete",
            json!({"link_token": link["link_token"], "routing_number": "110000000",
                   "account_number": "1111222233330000"}),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["institution"], Value::Null, "typed numbers: no bank");
    assert_eq!(
        done["accounts"][0]["verification_status"],
        "pending_manual_verification"
    );
    let account_id = done["accounts"][0]["id"].as_str().expect("id").to_owned();
    let (access, _item) = sb.exchange(&done["public_token"]).await;
    (access, account_id)
}

/// Opens Link in update mode for the Item and enters `code`.
async fn enter_code(sb: &Sandbox, access: &str, code: &str) -> (u16, Value) {
    let link = sb
        .ok(
            "/link/token/create",
            json!({"client_name": "Penny", "language": "en", "country_codes": ["US"],
                   "user": {"client_user_id": "user-1"}, "access_token": access}),
        )
        .await;
    sb.post(
        "/__sandbox/link/complete",
        json!({"link_token": link["link_token"], "code": code}),
    )
    .await
}

async fn status_of(sb: &Sandbox, access: &str) -> Value {
    let accounts = sb
        .ok("/accounts/get", json!({"access_token": access}))
        .await;
    accounts["accounts"][0]["verification_status"].clone()
}

#[tokio::test]
async fn same_day_item_is_pending_until_the_right_code_then_gives_numbers() {
    let sb = Sandbox::start().await;
    let rx = Receiver::start().await;
    let (access, account_id) = same_day_item(&sb, &rx.url).await;

    let accounts = sb
        .ok("/accounts/get", json!({"access_token": access}))
        .await;
    assert_eq!(accounts["item"]["auth_method"], "SAME_DAY_MICRODEPOSITS");
    assert_eq!(accounts["item"]["institution_id"], Value::Null);
    assert_eq!(status_of(&sb, &access).await, "pending_manual_verification");
    let (status, err) = sb.plaid("/auth/get", json!({"access_token": access})).await;
    assert_eq!(
        (status, err["error_code"].as_str()),
        (400, Some("PRODUCT_NOT_READY"))
    );

    // The exchange recorded the deposit: one pending $0.01 credit to the account.
    let sync = sb
        .ok("/bank_transfer/event/sync", json!({"after_id": 0}))
        .await;
    let events = sync["bank_transfer_events"].as_array().expect("events");
    assert_eq!(events.len(), 1, "{sync}");
    assert_eq!(
        (
            events[0]["event_type"].as_str(),
            events[0]["account_id"].as_str(),
            events[0]["bank_transfer_amount"].as_str()
        ),
        (Some("pending"), Some(account_id.as_str()), Some("0.01"))
    );

    // A wrong code counts; the right one (any case) verifies.
    let (status, err) = enter_code(&sb, &access, "XYZ").await;
    assert_eq!(
        (status, err["error_code"].as_str()),
        (400, Some("INCORRECT_DEPOSIT_VERIFICATION")),
        "{err}"
    );
    assert_eq!(status_of(&sb, &access).await, "pending_manual_verification");
    let (status, done) = enter_code(&sb, &access, "abc").await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(status_of(&sb, &access).await, "manually_verified");
    let auth = sb.ok("/auth/get", json!({"access_token": access})).await;
    assert_eq!(
        (
            auth["numbers"]["ach"][0]["routing"].as_str(),
            auth["numbers"]["ach"][0]["account"].as_str()
        ),
        (Some("110000000"), Some("1111222233330000"))
    );
    assert!(
        rx.received().is_empty(),
        "confirming in Link sends no webhook: the app reports onSuccess"
    );
}

#[tokio::test]
async fn three_wrong_codes_lock_the_item_for_good() {
    let sb = Sandbox::start().await;
    let rx = Receiver::start().await;
    let (access, _) = same_day_item(&sb, &rx.url).await;
    for left in [2, 1] {
        let (status, err) = enter_code(&sb, &access, "NOPE").await;
        assert_eq!(
            (status, err["error_code"].as_str()),
            (400, Some("INCORRECT_DEPOSIT_VERIFICATION"))
        );
        assert!(
            err["error_message"]
                .as_str()
                .is_some_and(|m| m.contains(&format!("{left} attempt(s) left"))),
            "{err}"
        );
    }
    let (status, err) = enter_code(&sb, &access, "NOPE").await;
    assert_eq!(
        (status, err["error_code"].as_str()),
        (400, Some("TOO_MANY_VERIFICATION_ATTEMPTS"))
    );
    assert_eq!(status_of(&sb, &access).await, "verification_failed");
    // Locked: even the right code is refused now.
    let (status, err) = enter_code(&sb, &access, "ABC").await;
    assert_eq!(
        (status, err["error_code"].as_str()),
        (400, Some("TOO_MANY_VERIFICATION_ATTEMPTS"))
    );
    let (status, _) = sb.plaid("/auth/get", json!({"access_token": access})).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn typed_numbers_need_a_same_day_token_and_the_sandbox_numbers() {
    let sb = Sandbox::start().await;
    let automated = sb
        .ok("/link/token/create", link_request("http://x.test/"))
        .await;
    let (status, err) = sb
        .post(
            "/__sandbox/link/complete",
            json!({"link_token": automated["link_token"], "routing_number": "110000000",
                   "account_number": "1111222233330000"}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        err["error"]
            .as_str()
            .is_some_and(|m| m.contains("same_day_microdeposits_enabled")),
        "{err}"
    );
    let same_day = sb
        .ok(
            "/link/token/create",
            same_day_link_request("http://x.test/"),
        )
        .await;
    let (status, err) = sb
        .post(
            "/__sandbox/link/complete",
            json!({"link_token": same_day["link_token"], "routing_number": "021000021",
                   "account_number": "1"}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        err["error"]
            .as_str()
            .is_some_and(|m| m.contains("110000000")),
        "{err}"
    );
}

#[tokio::test]
async fn sms_verification_sets_the_status_and_sends_the_auth_webhook() {
    let sb = Sandbox::start().await;
    let rx = Receiver::start().await;
    let (verified_token, verified) = same_day_item(&sb, &rx.url).await;
    let (failed_token, failed) = same_day_item(&sb, &rx.url).await;

    for (account, status) in [
        (&verified, "MANUALLY_VERIFIED"),
        (&failed, "VERIFICATION_FAILED"),
    ] {
        let (code, v) = sb
            .post(
                "/__sandbox/items/sms_verification",
                json!({"account_id": account, "status": status}),
            )
            .await;
        assert_eq!(code, 200, "{v}");
    }
    let got = rx.wait_for(2).await;
    let mut seen: Vec<(String, String)> = got
        .iter()
        .map(|r| {
            let b = r.json();
            assert_eq!(
                (b["webhook_type"].as_str(), b["webhook_code"].as_str()),
                (Some("AUTH"), Some("SMS_MICRODEPOSITS_VERIFICATION"))
            );
            (
                b["account_id"].as_str().unwrap_or_default().to_owned(),
                b["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    seen.sort();
    let mut want = vec![
        (verified.clone(), "MANUALLY_VERIFIED".to_owned()),
        (failed.clone(), "VERIFICATION_FAILED".to_owned()),
    ];
    want.sort();
    assert_eq!(seen, want);
    assert_eq!(status_of(&sb, &verified_token).await, "manually_verified");
    assert_eq!(status_of(&sb, &failed_token).await, "verification_failed");

    // Only a pending account can finish; unknown statuses are refused.
    let (code, _) = sb
        .post(
            "/__sandbox/items/sms_verification",
            json!({"account_id": verified, "status": "MANUALLY_VERIFIED"}),
        )
        .await;
    assert_eq!(code, 400);
    let (code, v) = sb
        .post(
            "/__sandbox/items/sms_verification",
            json!({"account_id": failed, "status": "maybe"}),
        )
        .await;
    assert_eq!(code, 400, "{v}");
}
