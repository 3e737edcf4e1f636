//! The Automated Micro-deposits timeline on a fast clock, and bank transfer events.

mod common;

use std::time::Duration;

use common::{Receiver, Sandbox, keys, poll_until};
use penny_sandbox::{Config, Delay};
use serde_json::json;

#[tokio::test]
async fn microdeposit_item_verifies_by_itself() {
    let sb = Sandbox::start().await;
    let rx = Receiver::start().await;
    let (access, item_id, account_id) = sb.microdeposit_item(&rx.url).await;

    let accounts = sb
        .ok("/accounts/get", json!({"access_token": access}))
        .await;
    let a = &accounts["accounts"][0];
    assert_eq!(
        (
            a["name"].as_str(),
            a["mask"].as_str(),
            a["subtype"].as_str()
        ),
        (Some("Plaid Checking"), Some("0000"), Some("checking"))
    );
    assert_eq!(a["verification_status"], "pending_automatic_verification");
    assert_eq!(accounts["item"]["auth_method"], "AUTOMATED_MICRODEPOSITS");
    assert_eq!(accounts["item"]["institution_id"], "ins_109512");
    assert_eq!(accounts["item"]["webhook"], rx.url.as_str());

    let (status, err) = sb.plaid("/auth/get", json!({"access_token": access})).await;
    assert_eq!(
        (
            status,
            err["error_type"].as_str(),
            err["error_code"].as_str()
        ),
        (400, Some("ITEM_ERROR"), Some("PRODUCT_NOT_READY"))
    );

    // The exchange recorded one pending $0.01 credit.
    let sync = sb
        .ok("/bank_transfer/event/sync", json!({"after_id": 0}))
        .await;
    assert_eq!(keys(&sync), ["bank_transfer_events", "request_id"]);
    let ev = &sync["bank_transfer_events"][0];
    assert_eq!(
        keys(ev),
        [
            "account_id",
            "bank_transfer_amount",
            "bank_transfer_id",
            "bank_transfer_iso_currency_code",
            "bank_transfer_type",
            "direction",
            "event_id",
            "event_type",
            "failure_reason",
            "origination_account_id",
            "receiver_details",
            "timestamp"
        ]
    );
    assert_eq!(ev["event_id"], 1);
    assert_eq!(ev["event_type"], "pending");
    assert_eq!(ev["account_id"], account_id.as_str());
    assert_eq!(
        (
            ev["bank_transfer_amount"].as_str(),
            ev["bank_transfer_type"].as_str()
        ),
        (Some("0.01"), Some("credit"))
    );
    assert_eq!(
        (
            ev["direction"].as_str(),
            ev["bank_transfer_iso_currency_code"].as_str()
        ),
        (Some("outbound"), Some("USD"))
    );
    assert!(ev["origination_account_id"].is_null() && ev["failure_reason"].is_null());
    assert!(rx.received().is_empty(), "no webhook for pending events");

    // 24 simulated hours pass in about a quarter of a second.
    let (status, _) = sb.post("/__sandbox/clock", json!({"speed": 400_000})).await;
    assert_eq!(status, 200);
    let got = rx.wait_for(1).await;
    let w = got[0].json();
    assert_eq!(
        keys(&w),
        [
            "account_id",
            "environment",
            "error",
            "item_id",
            "webhook_code",
            "webhook_type"
        ]
    );
    assert_eq!(
        (w["webhook_type"].as_str(), w["webhook_code"].as_str()),
        (Some("AUTH"), Some("AUTOMATICALLY_VERIFIED"))
    );
    assert_eq!(
        (w["item_id"].as_str(), w["account_id"].as_str()),
        (Some(item_id.as_str()), Some(account_id.as_str()))
    );
    assert_eq!(w["environment"], "sandbox");
    assert!(
        std::str::from_utf8(&got[0].body)
            .expect("utf8")
            .contains("\n  \""),
        "2-space indented body"
    );

    let auth = sb.ok("/auth/get", json!({"access_token": access})).await;
    let ach = &auth["numbers"]["ach"][0];
    assert_eq!(
        (
            ach["account"].as_str(),
            ach["routing"].as_str(),
            ach["wire_routing"].as_str()
        ),
        (
            Some("1111222233330000"),
            Some("021000021"),
            Some("021000021")
        )
    );
    assert_eq!(
        auth["accounts"][0]["verification_status"],
        "automatically_verified"
    );

    // The expiry timer later finds nothing to do: exactly one AUTH webhook.
    sb.post("/__sandbox/clock", json!({"advance_seconds": 8 * 86_400}))
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(rx.received().len(), 1);
}

#[tokio::test]
async fn verification_expires_after_seven_days() {
    let cfg = Config {
        verify_after: Delay::Never,
        ..Config::default()
    };
    let sb = Sandbox::start_with(cfg).await;
    let rx = Receiver::start().await;
    let (access, _, account_id) = sb.microdeposit_item(&rx.url).await;
    sb.post("/__sandbox/clock", json!({"advance_seconds": 6 * 86_400}))
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(rx.received().is_empty(), "not expired after 6 days");
    sb.post("/__sandbox/clock", json!({"advance_seconds": 86_400}))
        .await;
    let w = rx.wait_for(1).await[0].json();
    assert_eq!(w["webhook_code"], "VERIFICATION_EXPIRED");
    assert_eq!(w["account_id"], account_id.as_str());
    let (status, err) = sb.plaid("/auth/get", json!({"access_token": access})).await;
    assert_eq!(
        (
            status,
            err["error_type"].as_str(),
            err["error_code"].as_str()
        ),
        (400, Some("ITEM_ERROR"), Some("NO_AUTH_ACCOUNTS"))
    );
    let accounts = sb
        .ok("/accounts/get", json!({"access_token": access}))
        .await;
    assert_eq!(
        accounts["accounts"][0]["verification_status"],
        "verification_expired"
    );
}

#[tokio::test]
async fn set_verification_status_applies_at_once() {
    let sb = Sandbox::start().await;
    let rx = Receiver::start().await;
    let (access, _, account_id) = sb.microdeposit_item(&rx.url).await;
    let v = sb
        .ok("/sandbox/item/set_verification_status", json!({"access_token": access, "account_id": account_id, "verification_status": "automatically_verified"}))
        .await;
    assert_eq!(keys(&v), ["request_id"]);
    assert_eq!(
        rx.wait_for(1).await[0].json()["webhook_code"],
        "AUTOMATICALLY_VERIFIED"
    );
    sb.ok("/auth/get", json!({"access_token": access})).await;
}

#[tokio::test]
async fn bank_transfer_simulate_and_sync() {
    let sb = Sandbox::start().await;
    let rx = Receiver::start().await;
    for _ in 0..3 {
        sb.microdeposit_item(&rx.url).await;
    }
    let sync = sb
        .ok(
            "/bank_transfer/event/sync",
            json!({"after_id": 0, "count": 2}),
        )
        .await;
    let events = sync["bank_transfer_events"].as_array().expect("events");
    assert_eq!(
        events
            .iter()
            .map(|e| e["event_id"].as_u64())
            .collect::<Vec<_>>(),
        [Some(1), Some(2)]
    );
    let id = events[0]["bank_transfer_id"].clone();

    let (status, err) = sb
        .plaid(
            "/sandbox/bank_transfer/simulate",
            json!({"bank_transfer_id": id, "event_type": "reversed"}),
        )
        .await;
    assert_eq!(
        (
            status,
            err["error_type"].as_str(),
            err["error_code"].as_str()
        ),
        (
            400,
            Some("SANDBOX_ERROR"),
            Some("SANDBOX_TRANSFER_EVENT_TRANSITION_INVALID")
        )
    );
    let v = sb
        .ok(
            "/sandbox/bank_transfer/simulate",
            json!({"bank_transfer_id": id, "event_type": "posted"}),
        )
        .await;
    assert_eq!(keys(&v), ["request_id"]);
    sb.ok(
        "/sandbox/bank_transfer/simulate",
        json!({"bank_transfer_id": id, "event_type": "reversed", "failure_reason": {"ach_return_code": "R03", "description": "No account"}}),
    )
    .await;
    let sync = sb
        .ok("/bank_transfer/event/sync", json!({"after_id": 3}))
        .await;
    let events = sync["bank_transfer_events"].as_array().expect("events");
    assert_eq!(events.len(), 2);
    assert_eq!(
        (
            events[0]["event_id"].as_u64(),
            events[0]["event_type"].as_str()
        ),
        (Some(4), Some("posted"))
    );
    assert_eq!(
        (
            events[1]["event_id"].as_u64(),
            events[1]["event_type"].as_str()
        ),
        (Some(5), Some("reversed"))
    );
    assert_eq!(
        events[1]["failure_reason"],
        json!({"ach_return_code": "R03", "description": "No account"})
    );
    assert!(
        sb.ok("/bank_transfer/event/sync", json!({"after_id": 5}))
            .await["bank_transfer_events"]
            .as_array()
            .expect("events")
            .is_empty()
    );

    // simulate sent nothing; fire_webhook sends the bare poke.
    assert!(rx.received().is_empty());
    let v = sb
        .ok(
            "/sandbox/bank_transfer/fire_webhook",
            json!({"webhook": rx.url}),
        )
        .await;
    assert_eq!(keys(&v), ["request_id"]);
    let w = rx.wait_for(1).await[0].json();
    assert_eq!(
        w,
        json!({"webhook_type": "BANK_TRANSFERS", "webhook_code": "BANK_TRANSFERS_EVENTS_UPDATE", "environment": "sandbox"})
    );
}

#[tokio::test]
async fn auto_post_posts_and_pokes() {
    let rx = Receiver::start().await;
    let item_rx = Receiver::start().await;
    let cfg = Config {
        verify_after: Delay::Never,
        auto_post_after: Delay::After(Duration::from_secs(3600)),
        bank_transfers_webhook: Some(rx.url.clone()),
        ..Config::default()
    };
    let sb = Sandbox::start_with(cfg).await;
    sb.microdeposit_item(&item_rx.url).await;
    sb.post("/__sandbox/clock", json!({"advance_seconds": 3601}))
        .await;
    let w = rx.wait_for(1).await[0].json();
    assert_eq!(w["webhook_code"], "BANK_TRANSFERS_EVENTS_UPDATE");
    let events = poll_until(Duration::from_secs(5), || async {
        let v = sb
            .ok("/bank_transfer/event/sync", json!({"after_id": 0}))
            .await;
        let e = v["bank_transfer_events"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        (e.len() == 2).then_some(e)
    })
    .await;
    assert_eq!(events[1]["event_type"], "posted");
}
