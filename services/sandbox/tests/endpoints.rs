//! Success shapes of every Plaid endpoint (exact JSON keys) and the main flows.

mod common;

use common::{Receiver, Sandbox, keys, link_request};
use serde_json::json;

#[tokio::test]
async fn link_token_create_shape() {
    let sb = Sandbox::start().await;
    let v = sb
        .ok("/link/token/create", link_request("http://127.0.0.1:1/w"))
        .await;
    assert_eq!(keys(&v), ["expiration", "link_token", "request_id"]);
    assert!(
        v["link_token"]
            .as_str()
            .expect("token")
            .starts_with("link-sandbox-")
    );
    let exp = chrono::DateTime::parse_from_rfc3339(v["expiration"].as_str().expect("exp"))
        .expect("rfc3339");
    let hours = (exp.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_minutes();
    assert!(
        (235..=240).contains(&hours),
        "expires in 4 h, got {hours} min"
    );
}

#[tokio::test]
async fn instant_item_accounts_auth_item_get_and_remove() {
    let sb = Sandbox::start().await;
    let public = sb
        .ok(
            "/sandbox/public_token/create",
            json!({"institution_id": "ins_109508", "initial_products": ["auth"]}),
        )
        .await;
    assert_eq!(keys(&public), ["public_token", "request_id"]);
    assert!(
        public["public_token"]
            .as_str()
            .expect("pt")
            .starts_with("public-sandbox-")
    );
    let ex = sb
        .ok(
            "/item/public_token/exchange",
            json!({"public_token": public["public_token"]}),
        )
        .await;
    assert_eq!(keys(&ex), ["access_token", "item_id", "request_id"]);
    let access = ex["access_token"].as_str().expect("at");
    assert!(access.starts_with("access-sandbox-"));

    let accounts = sb
        .ok("/accounts/get", json!({"access_token": access}))
        .await;
    assert_eq!(keys(&accounts), ["accounts", "item", "request_id"]);
    let a = &accounts["accounts"][0];
    assert_eq!(
        keys(a),
        [
            "account_id",
            "balances",
            "mask",
            "name",
            "official_name",
            "subtype",
            "type"
        ]
    );
    assert_eq!(
        keys(&a["balances"]),
        [
            "available",
            "current",
            "iso_currency_code",
            "limit",
            "unofficial_currency_code"
        ]
    );
    assert_eq!(a["type"], "depository");
    assert!(
        a.get("verification_status").is_none(),
        "absent for instant auth"
    );
    assert_eq!(
        keys(&accounts["item"]),
        [
            "auth_method",
            "available_products",
            "billed_products",
            "consent_expiration_time",
            "consented_products",
            "error",
            "institution_id",
            "institution_name",
            "item_id",
            "products",
            "update_type",
            "webhook"
        ]
    );
    assert_eq!(accounts["item"]["item_id"], ex["item_id"]);
    assert_eq!(accounts["item"]["auth_method"], "INSTANT_AUTH");

    let auth = sb.ok("/auth/get", json!({"access_token": access})).await;
    assert_eq!(keys(&auth), ["accounts", "item", "numbers", "request_id"]);
    assert_eq!(
        keys(&auth["numbers"]),
        ["ach", "bacs", "eft", "international"]
    );
    let ach = &auth["numbers"]["ach"][0];
    assert_eq!(
        keys(ach),
        [
            "account",
            "account_id",
            "can_transfer_in",
            "can_transfer_out",
            "is_tokenized_account_number",
            "routing",
            "wire_routing"
        ]
    );
    assert_eq!(ach["account"], "1111222233330000");
    assert_eq!(ach["routing"], "011401533");
    assert_eq!(ach["wire_routing"], "021000021");

    // options.account_ids narrows the result.
    let second = auth["accounts"][1]["account_id"].clone();
    let one = sb
        .ok(
            "/auth/get",
            json!({"access_token": access, "options": {"account_ids": [second]}}),
        )
        .await;
    assert_eq!(one["accounts"].as_array().expect("array").len(), 1);
    assert_eq!(one["numbers"]["ach"][0]["account_id"], second);

    let item = sb.ok("/item/get", json!({"access_token": access})).await;
    assert_eq!(keys(&item), ["item", "request_id", "status"]);
    assert_eq!(
        keys(&item["status"]),
        ["investments", "last_webhook", "transactions"]
    );
    for k in ["created_at", "consented_use_cases", "consented_data_scopes"] {
        assert!(item["item"].get(k).is_some(), "item/get has {k}");
    }

    let removed = sb.ok("/item/remove", json!({"access_token": access})).await;
    assert_eq!(keys(&removed), ["request_id"]);
    let (status, err) = sb.plaid("/auth/get", json!({"access_token": access})).await;
    assert_eq!(
        (status, err["error_code"].as_str()),
        (400, Some("INVALID_ACCESS_TOKEN"))
    );
}

#[tokio::test]
async fn credentials_in_body_work() {
    let sb = Sandbox::start().await;
    let resp = sb
        .client
        .post(format!("{}/transfer/event/sync", sb.base))
        .json(&json!({"client_id": "penny-sandbox-client", "secret": "penny-sandbox-secret", "after_id": 0}))
        .send()
        .await
        .expect("sent");
    assert_eq!(resp.status(), 200);
    let v: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(keys(&v), ["has_more", "request_id", "transfer_events"]);
}

#[tokio::test]
async fn webhook_verification_key_shape() {
    let sb = Sandbox::start().await;
    let listed = sb.get("/__sandbox/keys").await;
    let kid = listed["keys"][0]["kid"].clone();
    let v = sb
        .ok("/webhook_verification_key/get", json!({"key_id": kid}))
        .await;
    assert_eq!(keys(&v), ["key", "request_id"]);
    assert_eq!(
        keys(&v["key"]),
        [
            "alg",
            "created_at",
            "crv",
            "expired_at",
            "kid",
            "kty",
            "use",
            "x",
            "y"
        ]
    );
    assert_eq!(
        (v["key"]["alg"].as_str(), v["key"]["crv"].as_str()),
        (Some("ES256"), Some("P-256"))
    );
    assert!(v["key"]["expired_at"].is_null());
}

#[tokio::test]
async fn sandbox_item_endpoints_shapes() {
    let sb = Sandbox::start().await;
    let rx = Receiver::start().await;
    let (access, item_id) = sb.instant_item(Some(&rx.url)).await;

    let fired = sb
        .ok(
            "/sandbox/item/fire_webhook",
            json!({"access_token": access, "webhook_code": "NEW_ACCOUNTS_AVAILABLE"}),
        )
        .await;
    assert_eq!(keys(&fired), ["request_id", "webhook_fired"]);
    let got = rx.wait_for(1).await;
    let w = got[0].json();
    assert_eq!(
        (w["webhook_type"].as_str(), w["webhook_code"].as_str()),
        (Some("ITEM"), Some("NEW_ACCOUNTS_AVAILABLE"))
    );
    assert_eq!(w["item_id"], item_id.as_str());

    let reset = sb
        .ok("/sandbox/item/reset_login", json!({"access_token": access}))
        .await;
    assert_eq!(keys(&reset), ["request_id", "reset_login"]);
    let got = rx.wait_for(2).await;
    let w = got[1].json();
    assert_eq!(
        (w["webhook_type"].as_str(), w["webhook_code"].as_str()),
        (Some("ITEM"), Some("ERROR"))
    );
    assert_eq!(w["error"]["error_code"], "ITEM_LOGIN_REQUIRED");
    assert_eq!(w["error"]["status"], 400);
    assert_eq!(w["environment"], "sandbox");

    let (status, err) = sb.plaid("/auth/get", json!({"access_token": access})).await;
    assert_eq!(
        (status, err["error_code"].as_str()),
        (400, Some("ITEM_LOGIN_REQUIRED"))
    );
    let item = sb.ok("/item/get", json!({"access_token": access})).await;
    assert_eq!(item["item"]["error"]["error_code"], "ITEM_LOGIN_REQUIRED");
    assert_eq!(item["status"]["last_webhook"]["code_sent"], "ERROR");

    // Update mode repairs the Item.
    let mut req = link_request(&rx.url);
    req.as_object_mut().expect("obj").remove("products");
    req.as_object_mut().expect("obj").remove("auth");
    req["access_token"] = json!(access);
    let link = sb.ok("/link/token/create", req).await;
    let (status, done) = sb
        .post(
            "/__sandbox/link/complete",
            json!({"link_token": link["link_token"]}),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    let (again, same_item) = sb.exchange(&done["public_token"]).await;
    assert_eq!(
        (again.as_str(), same_item.as_str()),
        (access.as_str(), item_id.as_str())
    );
    sb.ok("/auth/get", json!({"access_token": access})).await;
}
