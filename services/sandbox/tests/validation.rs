//! Validation errors: codes, types, statuses and the error body shape.

mod common;

use common::{Sandbox, keys, link_request};
use serde_json::{Value, json};

fn assert_error(status: u16, v: &Value, want_status: u16, ty: &str, code: &str) {
    assert_eq!(status, want_status, "{v}");
    assert_eq!(
        (v["error_type"].as_str(), v["error_code"].as_str()),
        (Some(ty), Some(code)),
        "{v}"
    );
    assert_eq!(
        keys(v),
        [
            "causes",
            "display_message",
            "documentation_url",
            "error_code",
            "error_code_reason",
            "error_message",
            "error_type",
            "request_id",
            "suggested_action"
        ]
    );
}

#[tokio::test]
async fn body_credentials_and_paths() {
    let sb = Sandbox::start().await;
    let resp = sb
        .client
        .post(format!("{}/auth/get", sb.base))
        .header("PLAID-CLIENT-ID", "penny-sandbox-client")
        .header("PLAID-SECRET", "penny-sandbox-secret")
        .body("not json")
        .send()
        .await
        .expect("sent");
    let status = resp.status().as_u16();
    let v: Value = resp.json().await.expect("json");
    assert_error(status, &v, 400, "INVALID_REQUEST", "INVALID_BODY");

    // Missing and wrong credentials.
    let resp = sb
        .client
        .post(format!("{}/auth/get", sb.base))
        .json(&json!({"access_token": "x"}))
        .send()
        .await
        .expect("sent");
    let status = resp.status().as_u16();
    assert_error(
        status,
        &resp.json().await.expect("json"),
        400,
        "INVALID_INPUT",
        "INVALID_API_KEYS",
    );
    let resp = sb
        .client
        .post(format!("{}/auth/get", sb.base))
        .json(&json!({"access_token": "x", "client_id": "penny-sandbox-client", "secret": "wrong"}))
        .send()
        .await
        .expect("sent");
    let status = resp.status().as_u16();
    assert_error(
        status,
        &resp.json().await.expect("json"),
        400,
        "INVALID_INPUT",
        "INVALID_API_KEYS",
    );

    let (status, v) = sb.plaid("/no/such/endpoint", json!({})).await;
    assert_error(status, &v, 404, "INVALID_REQUEST", "NOT_FOUND");
    let resp = sb
        .client
        .get(format!("{}/auth/get", sb.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn fields_missing_unknown_and_invalid() {
    let sb = Sandbox::start().await;
    let (status, v) = sb.plaid("/auth/get", json!({})).await;
    assert_error(status, &v, 400, "INVALID_REQUEST", "MISSING_FIELDS");
    assert!(
        v["error_message"]
            .as_str()
            .expect("msg")
            .contains("access_token")
    );

    let (status, v) = sb
        .plaid("/auth/get", json!({"access_token": "x", "bogus": 1}))
        .await;
    assert_error(status, &v, 400, "INVALID_REQUEST", "UNKNOWN_FIELDS");
    assert!(v["error_message"].as_str().expect("msg").contains("bogus"));

    let (status, v) = sb.plaid("/auth/get", json!({"access_token": 5})).await;
    assert_error(status, &v, 400, "INVALID_REQUEST", "INVALID_FIELD");
    assert!(
        v["error_message"]
            .as_str()
            .expect("msg")
            .contains("access_token")
    );

    let (status, v) = sb
        .plaid("/auth/get", json!({"access_token": "access-sandbox-nope"}))
        .await;
    assert_error(status, &v, 400, "INVALID_INPUT", "INVALID_ACCESS_TOKEN");

    let (access, _) = sb.instant_item(None).await;
    let (status, v) = sb
        .plaid(
            "/auth/get",
            json!({"access_token": access, "options": {"account_ids": ["nope"]}}),
        )
        .await;
    assert_error(status, &v, 400, "INVALID_INPUT", "INVALID_ACCOUNT_ID");
    let (status, v) = sb
        .plaid(
            "/accounts/get",
            json!({"access_token": access, "options": {"account_ids": "nope"}}),
        )
        .await;
    assert_error(status, &v, 400, "INVALID_REQUEST", "INVALID_FIELD");
    assert!(
        v["error_message"]
            .as_str()
            .expect("msg")
            .contains("options.account_ids")
    );

    let (status, v) = sb.plaid("/bank_transfer/event/sync", json!({})).await;
    assert_error(status, &v, 400, "INVALID_REQUEST", "MISSING_FIELDS");
    for body in [
        json!({"after_id": -1}),
        json!({"after_id": 0, "count": 26}),
        json!({"after_id": 0, "count": 0}),
    ] {
        let (status, v) = sb.plaid("/bank_transfer/event/sync", body).await;
        assert_error(status, &v, 400, "INVALID_REQUEST", "INVALID_FIELD");
    }
    let (status, v) = sb
        .plaid("/transfer/event/sync", json!({"after_id": 0, "count": 501}))
        .await;
    assert_error(status, &v, 400, "INVALID_REQUEST", "INVALID_FIELD");
    sb.ok("/transfer/event/sync", json!({"after_id": 0, "count": 500}))
        .await;

    let (status, v) = sb
        .plaid("/webhook_verification_key/get", json!({"key_id": "nope"}))
        .await;
    assert_error(
        status,
        &v,
        400,
        "INVALID_INPUT",
        "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
    );
}

#[tokio::test]
async fn link_token_create_rules() {
    let sb = Sandbox::start().await;
    let (status, v) = sb
        .plaid(
            "/link/token/create",
            json!({"user": {"client_user_id": "u"}}),
        )
        .await;
    assert_error(status, &v, 400, "INVALID_REQUEST", "MISSING_FIELDS");
    let msg = v["error_message"].as_str().expect("msg");
    for f in ["client_name", "language", "country_codes"] {
        assert!(msg.contains(f), "{msg}");
    }
    let cases = [
        ("country_codes", json!(["US", "GB"]), "INVALID_FIELD"),
        ("country_codes", json!(["XX"]), "INVALID_FIELD"),
        ("products", json!(["transactions"]), "INVALID_FIELD"),
        ("products", json!(["auth", "balance"]), "INVALID_FIELD"),
        ("language", json!("xx"), "INVALID_FIELD"),
        ("webhook", json!("not a url"), "INVALID_FIELD"),
        (
            "auth",
            json!({"automated_microdeposits_enabled": "yes"}),
            "INVALID_FIELD",
        ),
        ("auth", json!({"nope": true}), "UNKNOWN_FIELDS"),
        (
            "user",
            json!({"client_user_id": "a@b.com"}),
            "INVALID_FIELD",
        ),
        ("user", json!({"legal_name": "A"}), "MISSING_FIELDS"),
        (
            "access_token",
            json!("access-sandbox-nope"),
            "INVALID_ACCESS_TOKEN",
        ),
    ];
    for (field, value, code) in cases {
        let mut req = link_request("http://127.0.0.1:1/w");
        req[field] = value.clone();
        let (status, v) = sb.plaid("/link/token/create", req).await;
        assert_eq!(status, 400, "{field}={value}: {v}");
        assert_eq!(v["error_code"], code, "{field}={value}: {v}");
    }
    let mut req = link_request("http://127.0.0.1:1/w");
    req.as_object_mut().expect("obj").remove("user");
    let (status, v) = sb.plaid("/link/token/create", req.clone()).await;
    assert_error(status, &v, 400, "INVALID_REQUEST", "MISSING_FIELDS");
    req["user_id"] = json!("usr_123");
    sb.ok("/link/token/create", req).await;
}

#[tokio::test]
async fn public_tokens_and_link_tokens() {
    let sb = Sandbox::start().await;
    let (status, v) = sb
        .plaid(
            "/item/public_token/exchange",
            json!({"public_token": "public-sandbox-nope"}),
        )
        .await;
    assert_error(status, &v, 400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN");

    let p = sb
        .ok(
            "/sandbox/public_token/create",
            json!({"institution_id": "ins_109508", "initial_products": ["auth"]}),
        )
        .await;
    sb.exchange(&p["public_token"]).await;
    let (status, v) = sb
        .plaid(
            "/item/public_token/exchange",
            json!({"public_token": p["public_token"]}),
        )
        .await;
    assert_error(status, &v, 400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN");

    // Expired after 30 simulated minutes.
    let p = sb
        .ok(
            "/sandbox/public_token/create",
            json!({"institution_id": "ins_109508", "initial_products": ["auth"]}),
        )
        .await;
    let (status, _) = sb
        .post("/__sandbox/clock", json!({"advance_seconds": 31 * 60}))
        .await;
    assert_eq!(status, 200);
    let (status, v) = sb
        .plaid(
            "/item/public_token/exchange",
            json!({"public_token": p["public_token"]}),
        )
        .await;
    assert_error(status, &v, 400, "INVALID_INPUT", "INVALID_PUBLIC_TOKEN");
    assert!(
        v["error_message"]
            .as_str()
            .expect("msg")
            .contains("expired")
    );

    // Link token: unknown, then expired after 4 h.
    let (status, v) = sb
        .post(
            "/__sandbox/link/complete",
            json!({"link_token": "link-sandbox-nope"}),
        )
        .await;
    assert_error(status, &v, 400, "INVALID_INPUT", "INVALID_LINK_TOKEN");
    let link = sb
        .ok("/link/token/create", link_request("http://127.0.0.1:1/w"))
        .await;
    sb.post("/__sandbox/clock", json!({"advance_seconds": 4 * 3600 + 1}))
        .await;
    let (status, v) = sb
        .post(
            "/__sandbox/link/complete",
            json!({"link_token": link["link_token"]}),
        )
        .await;
    assert_error(status, &v, 400, "INVALID_INPUT", "INVALID_LINK_TOKEN");

    // Sandbox credentials and institutions.
    let (status, v) = sb
        .plaid("/sandbox/public_token/create", json!({"institution_id": "ins_109508", "initial_products": ["auth"], "options": {"override_password": "bad"}}))
        .await;
    assert_error(status, &v, 400, "ITEM_ERROR", "INVALID_CREDENTIALS");
    let (status, v) = sb
        .plaid(
            "/sandbox/public_token/create",
            json!({"institution_id": "bank", "initial_products": ["auth"]}),
        )
        .await;
    assert_error(status, &v, 400, "INVALID_INPUT", "INVALID_INSTITUTION");
    let (status, v) = sb
        .plaid(
            "/sandbox/public_token/create",
            json!({"institution_id": "ins_1", "initial_products": []}),
        )
        .await;
    assert_error(status, &v, 400, "INVALID_REQUEST", "INVALID_FIELD");
}

#[tokio::test]
async fn sandbox_endpoint_rules() {
    let sb = Sandbox::start().await;
    let (access, _) = sb.instant_item(None).await;
    let (status, v) = sb
        .plaid(
            "/sandbox/item/fire_webhook",
            json!({"access_token": access, "webhook_code": "AUTOMATICALLY_VERIFIED"}),
        )
        .await;
    assert_error(status, &v, 400, "INVALID_REQUEST", "INVALID_FIELD");
    let (status, v) = sb
        .plaid(
            "/sandbox/item/fire_webhook",
            json!({"access_token": access, "webhook_code": "LOGIN_REPAIRED"}),
        )
        .await;
    assert_error(status, &v, 400, "SANDBOX_ERROR", "SANDBOX_WEBHOOK_INVALID");
    let (status, v) = sb
        .plaid(
            "/sandbox/bank_transfer/fire_webhook",
            json!({"webhook": "nope"}),
        )
        .await;
    assert_error(status, &v, 400, "SANDBOX_ERROR", "SANDBOX_WEBHOOK_INVALID");
    let (status, v) = sb
        .plaid(
            "/sandbox/bank_transfer/simulate",
            json!({"bank_transfer_id": "x", "event_type": "exploded"}),
        )
        .await;
    assert_error(status, &v, 400, "INVALID_REQUEST", "INVALID_FIELD");
    let (status, v) = sb
        .plaid(
            "/sandbox/bank_transfer/simulate",
            json!({"bank_transfer_id": "x", "event_type": "posted"}),
        )
        .await;
    assert_error(status, &v, 400, "INVALID_REQUEST", "INVALID_FIELD");
    let accounts = sb
        .ok("/accounts/get", json!({"access_token": access}))
        .await;
    let (status, v) = sb
        .plaid("/sandbox/item/set_verification_status", json!({"access_token": access, "account_id": accounts["accounts"][0]["account_id"], "verification_status": "automatically_verified"}))
        .await;
    assert_error(status, &v, 400, "INVALID_REQUEST", "INVALID_FIELD");
    let (status, v) = sb
        .plaid("/sandbox/item/set_verification_status", json!({"access_token": access, "account_id": "nope", "verification_status": "verification_expired"}))
        .await;
    assert_error(status, &v, 400, "INVALID_INPUT", "INVALID_ACCOUNT_ID");
    let (status, v) = sb
        .plaid("/sandbox/item/set_verification_status", json!({"access_token": access, "account_id": "nope", "verification_status": "manually_verified"}))
        .await;
    assert_error(status, &v, 400, "INVALID_REQUEST", "INVALID_FIELD");
}
