//! The binary's log: JSON lines on stdout, each line of a webhook carrying that webhook's trace
//! id (continued from the caller's `traceparent`), and nothing secret in any line.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;

use crate::binary::IngressBinary;
use crate::helpers::*;

/// Posts `body` to the binary with `token` and a `traceparent` in trace `trace_id`.
async fn post_traced(
    binary: &IngressBinary,
    body: &str,
    token: Option<&str>,
    trace_id: &str,
) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}/webhooks/plaid", binary.base))
        .header("content-type", "application/json")
        .header("traceparent", format!("00-{trace_id}-b7ad6b7169203331-01"))
        .body(body.to_owned());
    if let Some(t) = token {
        req = req.header("Plaid-Verification", t);
    }
    send(req).await
}

#[tokio::test]
async fn log_lines_are_json_carry_the_webhook_trace_and_leak_nothing() {
    let app = spawn_app().await;
    // Debug for penny-ingress: accepted webhooks are logged at debug only.
    let binary =
        IngressBinary::start(&app, &[("PENNY_LOG_FILTER", "info,penny_ingress=debug")]).await;

    let accepted_trace = "0af7651916cd43dd8448eb211c80319c";
    let body = auth_body("item-logs");
    let signed = app.sign(&body).await;
    let (status, reply) = post_traced(&binary, &body, Some(&signed.token), accepted_trace).await;
    assert_eq!(status, StatusCode::OK, "{reply}");

    let rejected_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let tampered = body.replacen("item-logs", "item-logz", 1);
    let (status, reply) =
        post_traced(&binary, &tampered, Some(&signed.token), rejected_trace).await;
    assert_eq!(
        (status, code(&reply)),
        (StatusCode::UNAUTHORIZED, "body_hash_mismatch")
    );

    let line_of = |lines: &[Value], message: &str, trace_id: &str| {
        lines
            .iter()
            .find(|l| l["fields"]["message"] == message && l["trace_id"] == trace_id)
            .cloned()
    };
    let (lines, text) = penny_testkit::poll_until(Duration::from_secs(10), || async {
        let text = binary.stdout();
        let lines: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or(Value::Null))
            .collect();
        let both = line_of(&lines, "webhook accepted", accepted_trace).is_some()
            && line_of(&lines, "webhook rejected", rejected_trace).is_some();
        both.then_some((lines, text))
    })
    .await
    .unwrap_or_else(|_| panic!("both webhooks logged in their traces:\n{}", binary.stdout()));

    for (line, raw) in lines.iter().zip(text.lines()) {
        assert!(line.is_object(), "not a JSON object: {raw}");
        assert!(
            line["level"].is_string() && line["timestamp"].is_string(),
            "{raw}"
        );
    }
    let rejected = line_of(&lines, "webhook rejected", rejected_trace).expect("rejected line");
    assert_eq!(rejected["fields"]["reason"], "body_hash_mismatch");
    assert_eq!(rejected["span_id"].as_str().map(str::len), Some(16));
    assert!(
        lines
            .iter()
            .any(|l| l["fields"]["message"] == "penny-ingress ready to serve"),
        "start-up line"
    );

    // Nothing secret: not the token, not its signature, not Plaid's API secret.
    let signature = signed.token.rsplit('.').next().expect("signature segment");
    for (what, secret) in [
        ("the token", signed.token.as_str()),
        ("the token's signature", signature),
        ("the Plaid secret", app.sandbox.secret()),
    ] {
        assert!(!text.contains(secret), "{what} is in the log:\n{text}");
    }
}
