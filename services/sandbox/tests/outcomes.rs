//! Per-account outcomes an app backend can cause without an access token: an Automated
//! Micro-deposits Item whose deposit is never matched (`microdeposits_unmatched`) or bounced is
//! not verified at `--verify-after` and expires at `--expire-after`; `reset_login` by account id.

mod common;

use std::time::Duration;

use common::{Receiver, Sandbox, link_request};
use serde_json::{Value, json};

/// Completes Link with `password` and exchanges: (access_token, account_id).
async fn linked_with(sb: &Sandbox, webhook: &str, password: &str) -> (String, String) {
    let link = sb.ok("/link/token/create", link_request(webhook)).await;
    let (status, done) = sb
        .post(
            "/__sandbox/link/complete",
            json!({"link_token": link["link_token"], "password": password}),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    let account_id = done["accounts"][0]["id"].as_str().expect("id").to_owned();
    let (access, _) = sb.exchange(&done["public_token"]).await;
    (access, account_id)
}

async fn advance_days(sb: &Sandbox, days: u64) {
    let (status, body) = sb
        .post(
            "/__sandbox/clock",
            json!({"advance_seconds": days * 86_400}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

fn codes(received: &[Value]) -> Vec<(String, String)> {
    received
        .iter()
        .map(|w| {
            (
                w["account_id"].as_str().unwrap_or_default().to_owned(),
                w["webhook_code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn unmatched_and_bounced_deposits_expire_instead_of_verifying() {
    let sb = Sandbox::start().await;
    let rx = Receiver::start().await;
    let (_, good) = linked_with(&sb, &rx.url, "microdeposits_good").await;
    let (_, unmatched) = linked_with(&sb, &rx.url, "microdeposits_unmatched").await;
    let (_, bounced) = linked_with(&sb, &rx.url, "microdeposits_good").await;
    // The bank returns the bounced account's deposit (R03) before Plaid could match it.
    let (status, body) = sb
        .post(
            "/__sandbox/transfers/advance",
            json!({"to": "posted", "account_ids": [bounced]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = sb
        .post(
            "/__sandbox/transfers/advance",
            json!({"to": "reversed", "account_ids": [bounced],
                   "failure_reason": {"ach_return_code": "R03"}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    advance_days(&sb, 1).await;
    let day_one: Vec<Value> = rx.wait_for(1).await.iter().map(|r| r.json()).collect();
    assert_eq!(
        codes(&day_one),
        [(good.clone(), "AUTOMATICALLY_VERIFIED".into())]
    );

    advance_days(&sb, 7).await;
    let all: Vec<Value> = rx.wait_for(3).await.iter().map(|r| r.json()).collect();
    let mut later = codes(&all[1..]);
    later.sort();
    let mut expected = vec![
        (unmatched, "VERIFICATION_EXPIRED".to_owned()),
        (bounced, "VERIFICATION_EXPIRED".to_owned()),
    ];
    expected.sort();
    assert_eq!(later, expected);
    // Nothing else arrives: the good account is not expired as well.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(rx.received().len(), 3);
}

#[tokio::test]
async fn unmatched_needs_a_token_with_automated_micro_deposits() {
    let sb = Sandbox::start().await;
    let mut request = link_request("http://127.0.0.1:9/hook");
    request["auth"] = json!({"automated_microdeposits_enabled": false});
    let link = sb.ok("/link/token/create", request).await;
    let (status, body) = sb
        .post(
            "/__sandbox/link/complete",
            json!({"link_token": link["link_token"], "password": "microdeposits_unmatched"}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("automated_microdeposits_enabled")),
        "{body}"
    );
}

#[tokio::test]
async fn reset_login_by_account_requires_a_new_login() {
    let sb = Sandbox::start().await;
    let rx = Receiver::start().await;
    let (access, account_id) = linked_with(&sb, &rx.url, "microdeposits_good").await;
    let (status, body) = sb
        .post(
            "/__sandbox/items/reset_login",
            json!({"account_id": account_id}),
        )
        .await;
    assert_eq!((status, body), (200, json!({"reset_login": true})));
    let webhook = rx.wait_for(1).await[0].json();
    assert_eq!(
        (
            webhook["webhook_type"].as_str(),
            webhook["webhook_code"].as_str()
        ),
        (Some("ITEM"), Some("ERROR"))
    );
    assert_eq!(webhook["error"]["error_code"], "ITEM_LOGIN_REQUIRED");
    let (status, err) = sb
        .plaid("/accounts/get", json!({"access_token": access}))
        .await;
    assert_eq!(
        (status, err["error_code"].as_str()),
        (400, Some("ITEM_LOGIN_REQUIRED"))
    );

    // Bad input changes nothing and says what was wrong.
    let (status, body) = sb
        .post(
            "/__sandbox/items/reset_login",
            json!({"account_id": "nope"}),
        )
        .await;
    assert_eq!(status, 400);
    assert!(
        body["error"]
            .as_str()
            .is_some_and(|e| e.contains("\"nope\"")),
        "{body}"
    );
    let (status, _) = sb
        .post("/__sandbox/items/reset_login", json!({"item": "x"}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(rx.received().len(), 1);
}
