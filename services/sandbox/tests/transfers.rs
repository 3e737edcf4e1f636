//! Micro-deposits in both feeds: the legacy same-day shape, Plaid Transfer's event sync with
//! `has_more`, `/sandbox/transfer/*`, TRANSFER_EVENTS_UPDATE pokes and the bulk control API.

mod common;

use common::{Receiver, Sandbox, keys};
use serde_json::{Value, json};

fn events(v: &Value, key: &str) -> Vec<Value> {
    v[key].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn legacy_same_day_shape_is_two_credits_and_their_clawback() {
    let sb = Sandbox::start().await;
    let link = sb
        .ok(
            "/link/token/create",
            common::link_request("http://127.0.0.1:9/x"),
        )
        .await;
    let (status, done) = sb
        .post(
            "/__sandbox/link/complete",
            json!({"link_token": link["link_token"], "deposit_shape": "legacy_same_day"}),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    sb.exchange(&done["public_token"]).await;
    let sync = sb
        .ok("/bank_transfer/event/sync", json!({"after_id": 0}))
        .await;
    let evs = events(&sync, "bank_transfer_events");
    assert_eq!(evs.len(), 3);
    let types: Vec<_> = evs
        .iter()
        .map(|e| e["bank_transfer_type"].as_str())
        .collect();
    assert_eq!(types, [Some("credit"), Some("credit"), Some("debit")]);
    let ids: std::collections::BTreeSet<String> = evs
        .iter()
        .map(|e| e["bank_transfer_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 3, "each its own transfer");
    let cents = |e: &Value| -> u32 {
        let (w, f) = e["bank_transfer_amount"]
            .as_str()
            .unwrap()
            .split_once('.')
            .unwrap();
        w.parse::<u32>().unwrap() * 100 + f.parse::<u32>().unwrap()
    };
    assert_eq!(cents(&evs[0]) + cents(&evs[1]), cents(&evs[2]));
    let (status, bad) = sb
        .post(
            "/__sandbox/link/complete",
            json!({"link_token": link["link_token"], "deposit_shape": "triple"}),
        )
        .await;
    assert_eq!(status, 400, "{bad}");
}

#[tokio::test]
async fn transfer_feed_pages_with_has_more_and_validates() {
    let rx = Receiver::start().await;
    let sb = Sandbox::start().await;
    let (status, made) = sb
        .post(
            "/__sandbox/transfers/items",
            json!({"count": 3, "feed": "transfer"}),
        )
        .await;
    assert_eq!(status, 200, "{made}");
    let items = made["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    let first = items[0]["transfers"][0]["transfer_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Nothing in the Bank Transfers feed.
    let bank = sb
        .ok("/bank_transfer/event/sync", json!({"after_id": 0}))
        .await;
    assert!(events(&bank, "bank_transfer_events").is_empty());

    let page = sb
        .ok("/transfer/event/sync", json!({"after_id": 0, "count": 2}))
        .await;
    assert_eq!(keys(&page), ["has_more", "request_id", "transfer_events"]);
    assert_eq!(page["has_more"], true);
    let evs = events(&page, "transfer_events");
    assert_eq!(evs.len(), 2);
    assert_eq!(evs[0]["event_type"], "pending");
    assert_eq!(evs[0]["transfer_type"], "credit");
    assert_eq!(evs[0]["transfer_amount"], "0.01");
    assert_eq!(evs[0]["failure_reason"], Value::Null);
    let last = sb
        .ok("/transfer/event/sync", json!({"after_id": 2, "count": 2}))
        .await;
    assert_eq!(last["has_more"], false);
    assert_eq!(events(&last, "transfer_events").len(), 1);
    let filtered = sb
        .ok(
            "/transfer/event/sync",
            json!({"after_id": 0, "funding_account_id": "fa"}),
        )
        .await;
    assert!(events(&filtered, "transfer_events").is_empty());

    // Plaid's lifecycle through /sandbox/transfer/simulate.
    for step in ["posted", "settled"] {
        sb.ok(
            "/sandbox/transfer/simulate",
            json!({"transfer_id": first, "event_type": step}),
        )
        .await;
    }
    let (status, err) = sb
        .plaid(
            "/sandbox/transfer/simulate",
            json!({"transfer_id": first, "event_type": "posted"}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        err["error_code"],
        "SANDBOX_TRANSFER_EVENT_TRANSITION_INVALID"
    );
    sb.ok(
        "/sandbox/transfer/simulate",
        json!({"transfer_id": first, "event_type": "returned",
               "failure_reason": {"failure_code": "R03", "description": "No account"}}),
    )
    .await;
    let tail = sb.ok("/transfer/event/sync", json!({"after_id": 3})).await;
    let evs = events(&tail, "transfer_events");
    let types: Vec<_> = evs.iter().map(|e| e["event_type"].as_str()).collect();
    assert_eq!(types, [Some("posted"), Some("settled"), Some("returned")]);
    assert_eq!(
        evs[2]["failure_reason"],
        json!({"failure_code": "R03", "ach_return_code": "R03", "description": "No account"})
    );
    let (status, err) = sb
        .plaid(
            "/sandbox/transfer/simulate",
            json!({"transfer_id": "nope", "event_type": "posted"}),
        )
        .await;
    assert_eq!(
        (status, err["error_code"].as_str()),
        (400, Some("INVALID_FIELD"))
    );
    let (status, err) = sb
        .plaid(
            "/sandbox/transfer/simulate",
            json!({"transfer_id": first, "event_type": "reversed"}),
        )
        .await;
    assert_eq!(
        (status, err["error_code"].as_str()),
        (400, Some("INVALID_FIELD"))
    );

    // A sweep is recorded in the Transfer feed without a transfer.
    let (status, swept) = sb
        .post("/__sandbox/transfers/sweep", json!({"amount": "-0.03"}))
        .await;
    assert_eq!(status, 200, "{swept}");
    let sweep = sb
        .ok(
            "/transfer/event/sync",
            json!({"after_id": swept["event_id"].as_u64().unwrap() - 1}),
        )
        .await;
    let ev = &events(&sweep, "transfer_events")[0];
    assert_eq!(ev["event_type"], "sweep.posted");
    assert_eq!(ev["sweep_amount"], "-0.03");
    assert_eq!(ev["transfer_id"], "");

    // TRANSFER_EVENTS_UPDATE, signed like every webhook.
    sb.ok("/sandbox/transfer/fire_webhook", json!({"webhook": rx.url}))
        .await;
    let got = rx.wait_for(1).await;
    assert_eq!(
        got[0].json(),
        json!({"webhook_type": "TRANSFER", "webhook_code": "TRANSFER_EVENTS_UPDATE", "environment": "sandbox"})
    );
    assert!(got[0].headers.contains_key("plaid-verification"));
}

#[tokio::test]
async fn bulk_items_advance_and_poke() {
    let rx = Receiver::start().await;
    let sb = Sandbox::start().await;
    let (status, _) = sb
        .post("/__sandbox/transfers/poke", json!({"count": 2}))
        .await;
    assert_eq!(status, 400, "no webhook URL yet");
    sb.post("/__sandbox/bank_transfers_webhook", json!({"url": rx.url}))
        .await;
    let (status, made) = sb
        .post(
            "/__sandbox/transfers/items",
            json!({"count": 1000, "deposit_shape": "legacy_same_day",
                   "credits": ["0.10", "0.20"], "ids": false}),
        )
        .await;
    assert_eq!(status, 200, "{made}");
    assert_eq!(made, json!({"count": 1000}));
    let counts = sb.get("/__sandbox/transfers").await;
    assert_eq!(
        counts["bank_transfer"],
        json!({"events": 3000, "transfers": 3000})
    );

    let (status, done) = sb
        .post(
            "/__sandbox/transfers/advance",
            json!({"to": "posted", "direction": "credit", "poke": true}),
        )
        .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["advanced"], 2000);
    assert_eq!(
        rx.wait_for(1).await[0].json()["webhook_code"],
        "BANK_TRANSFERS_EVENTS_UPDATE"
    );
    let (_, done) = sb
        .post(
            "/__sandbox/transfers/advance",
            json!({"to": "reversed", "limit": 5, "failure_reason": {"ach_return_code": "R16"}}),
        )
        .await;
    assert_eq!(done["advanced"], 5);
    let tail = sb
        .ok("/bank_transfer/event/sync", json!({"after_id": 5000}))
        .await;
    let evs = events(&tail, "bank_transfer_events");
    assert_eq!(evs.len(), 5);
    assert_eq!(evs[0]["failure_reason"]["ach_return_code"], "R16");
    assert_eq!(evs[0]["failure_reason"]["description"], "ACH return R16");
    assert_eq!(evs[0]["bank_transfer_amount"], "0.10");

    let (status, sent) = sb
        .post("/__sandbox/transfers/poke", json!({"count": 20}))
        .await;
    assert_eq!((status, sent["sent"].as_u64()), (200, Some(20)));
    assert!(rx.wait_for(21).await.len() >= 21);

    for bad in [
        json!({"count": 0}),
        json!({"count": 1, "credits": ["1.50", "0.20"]}),
        json!({"count": 1, "deposit_shape": "triple"}),
    ] {
        let (status, v) = sb.post("/__sandbox/transfers/items", bad.clone()).await;
        assert_eq!(status, 400, "{bad}: {v}");
    }
    let (status, _) = sb
        .post("/__sandbox/transfers/advance", json!({"to": "sideways"}))
        .await;
    assert_eq!(status, 400);
    let (status, _) = sb
        .post("/__sandbox/transfers/sweep", json!({"amount": "lots"}))
        .await;
    assert_eq!(status, 400);
}
