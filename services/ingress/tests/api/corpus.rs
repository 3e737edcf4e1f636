//! The bad-input corpus: every case answers the exact status and error code, and nothing
//! reaches the stream.

use aws_lc_rs::signature::ECDSA_P384_SHA384_FIXED_SIGNING;
use jsonwebtoken::{Algorithm, EncodingKey};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::*;

struct Case {
    name: &'static str,
    method: Method,
    path: &'static str,
    content_type: Option<&'static str>,
    token: Option<String>,
    body: Vec<u8>,
    status: StatusCode,
    code: &'static str,
}

impl Case {
    fn post(name: &'static str, token: Option<String>, body: impl Into<Vec<u8>>) -> Self {
        Self {
            name,
            method: Method::POST,
            path: "/webhooks/plaid",
            content_type: Some("application/json"),
            token,
            body: body.into(),
            status: StatusCode::UNAUTHORIZED,
            code: "",
        }
    }

    fn expect(mut self, status: StatusCode, code: &'static str) -> Self {
        self.status = status;
        self.code = code;
        self
    }
}

async fn run(app: &TestApp, cases: Vec<Case>) {
    let before = app.stream_messages().await;
    let key = app.control.current_key().await.expect("current key");
    let coordinates = [key.x, key.y];
    let mut failures = Vec::new();
    for case in &cases {
        let mut req = app
            .http
            .request(case.method.clone(), format!("{}{}", app.base, case.path))
            .body(case.body.clone());
        if let Some(ct) = case.content_type {
            req = req.header("content-type", ct);
        }
        if let Some(t) = &case.token {
            req = req.header("Plaid-Verification", t.as_str());
        }
        let (status, body) = send(req).await;
        if status != case.status || code(&body) != case.code {
            failures.push(format!(
                "{}: expected {} {}, got {} {}",
                case.name, case.status, case.code, status, body
            ));
        }
        // The body is the small JSON error object and names nothing secret.
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.len() < 100, "{}: long message {message}", case.name);
        assert!(!message.contains("sha256") || case.code == "missing_body_hash");
        // Neither the hash the body should have had nor anything of the key leaks.
        let answer = body.to_string();
        let expected_hash = sha256_hex(&case.body);
        assert!(
            !answer.contains(&expected_hash),
            "{}: hash leaked",
            case.name
        );
        for c in &coordinates {
            assert!(!answer.contains(c.as_str()), "{}: key leaked", case.name);
        }
        let after = app.stream_messages().await;
        assert_eq!(after, before, "{}: something was published", case.name);
    }
    assert!(
        failures.is_empty(),
        "corpus failures:\n{}",
        failures.join("\n")
    );
    for case in &cases {
        if case.status != StatusCode::NOT_FOUND {
            let r = penny_ingress::Rejection::ALL
                .iter()
                .find(|r| r.code() == case.code)
                .expect("known code");
            assert!(
                app.metrics.rejected_total(*r) >= 1,
                "{} not counted",
                case.code
            );
        }
    }
}

#[tokio::test]
async fn every_bad_input_is_rejected_with_its_reason_and_nothing_is_published() {
    let app = spawn_app().await;
    let body = auth_body("item-corpus");
    // Signed with the first key, which is rotated away below (never seen by the ingress).
    let old = app.sign(&body).await;
    let (kid, old_kid) = app.rotate().await;
    assert_eq!(old.kid, old_kid);

    let good = app.sign(&body).await;
    assert_eq!(good.kid, kid);
    let key = app.control.current_key().await.expect("current key");
    let public_point = {
        use base64::Engine as _;
        let d = |s: &str| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(s)
                .expect("b64")
        };
        let mut p = vec![4u8];
        p.extend(d(&key.x));
        p.extend(d(&key.y));
        p
    };
    let parts: Vec<String> = good.token.split('.').map(str::to_owned).collect();
    let mine = own_p256();
    let p384 = own_key(&ECDSA_P384_SHA384_FIXED_SIGNING);
    let t = now();

    let non_json = "this is not json";
    let array = "[\"AUTH\", \"AUTOMATICALLY_VERIFIED\"]";
    let no_type =
        "{\n  \"webhook_code\": \"AUTOMATICALLY_VERIFIED\",\n  \"environment\": \"sandbox\"\n}";
    let no_code = "{\n  \"webhook_type\": \"AUTH\",\n  \"environment\": \"sandbox\"\n}";
    let numeric_type = "{\"webhook_type\": 7, \"webhook_code\": \"X\"}";
    let production = "{\n  \"webhook_type\": \"AUTH\",\n  \"webhook_code\": \"AUTOMATICALLY_VERIFIED\",\n  \"environment\": \"production\"\n}";
    let huge = format!(
        "{{\"webhook_type\": \"AUTH\", \"webhook_code\": \"X\", \"pad\": \"{}\"}}",
        "x".repeat(64 * 1024)
    );
    let one_byte = body.replacen("item-corpus", "item-corpuz", 1);
    let reindented =
        serde_json::to_string(&serde_json::from_str::<Value>(&body).expect("json")).expect("json");

    use StatusCode as S;
    let cases = vec![
        // Algorithm confusion and header problems.
        Case::post(
            "alg none",
            Some(format!(
                "{}.{}.",
                b64(&format!(r#"{{"alg":"none","kid":"{kid}","typ":"JWT"}}"#)),
                parts[1]
            )),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "unsupported_alg"),
        Case::post(
            "alg None",
            Some(with_header(
                &good.token,
                &format!(r#"{{"alg":"None","kid":"{kid}"}}"#),
            )),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "unsupported_alg"),
        Case::post(
            "HS256 with the public key as HMAC secret",
            Some(forge(
                &EncodingKey::from_secret(&public_point),
                Algorithm::HS256,
                &kid,
                &body,
                t,
            )),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "unsupported_alg"),
        Case::post(
            "RS256",
            Some(format!(
                "{}.{}.{}",
                b64(&format!(r#"{{"alg":"RS256","kid":"{kid}"}}"#)),
                parts[1],
                b64(&"s".repeat(256))
            )),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "unsupported_alg"),
        Case::post(
            "ES384",
            Some(forge(&p384.encoding, Algorithm::ES384, &kid, &body, t)),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "unsupported_alg"),
        Case::post(
            "missing alg",
            Some(with_header(
                &good.token,
                &format!(r#"{{"kid":"{kid}","typ":"JWT"}}"#),
            )),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "unsupported_alg"),
        Case::post(
            "missing kid",
            Some(with_header(&good.token, r#"{"alg":"ES256","typ":"JWT"}"#)),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "missing_kid"),
        Case::post("missing header", None, body.clone())
            .expect(S::UNAUTHORIZED, "missing_signature"),
        Case::post("empty header", Some(String::new()), body.clone())
            .expect(S::UNAUTHORIZED, "missing_signature"),
        Case::post("garbled base64", Some("!!!.@@@.###".into()), body.clone())
            .expect(S::UNAUTHORIZED, "malformed_token"),
        Case::post(
            "header not JSON",
            Some(format!("{}.{}.{}", b64("not json"), parts[1], parts[2])),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "malformed_token"),
        Case::post(
            "two segments",
            Some(format!("{}.{}", parts[0], parts[1])),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "malformed_token"),
        Case::post(
            "four segments",
            Some(format!("{}.x", good.token)),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "malformed_token"),
        Case::post(
            "Bearer prefix",
            Some(format!("Bearer {}", good.token)),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "malformed_token"),
        // Keys and signatures.
        Case::post(
            "wrong signature (own key, sandbox kid)",
            Some(forge(&mine.encoding, Algorithm::ES256, &kid, &body, t)),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "bad_signature"),
        Case::post(
            "truncated signature",
            Some(format!("{}.{}.{}", parts[0], parts[1], &parts[2][..40])),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "bad_signature"),
        Case::post(
            "empty signature",
            Some(format!("{}.{}.", parts[0], parts[1])),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "bad_signature"),
        Case::post(
            "signature moved onto other claims",
            Some(format!(
                "{}.{}.{}",
                parts[0],
                b64(&json!({"iat": t, "request_body_sha256": sha256_hex(b"{}")}).to_string()),
                parts[2]
            )),
            "{}",
        )
        .expect(S::UNAUTHORIZED, "bad_signature"),
        Case::post(
            "unknown kid",
            Some(forge(
                &mine.encoding,
                Algorithm::ES256,
                &uuid::Uuid::new_v4().to_string(),
                &body,
                t,
            )),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "unknown_key"),
        Case::post(
            "expired key (signed by the sandbox before rotation)",
            Some(old.token.clone()),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "key_expired"),
        // Freshness.
        Case::post(
            "stale iat",
            Some(app.sign_at(&body, t - 301).await.token),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "stale_iat"),
        Case::post(
            "very old iat",
            Some(app.sign_at(&body, 1_560_211_755).await.token),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "stale_iat"),
        Case::post(
            "future iat",
            Some(app.sign_at(&body, t + 120).await.token),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "future_iat"),
        // Body binding.
        Case::post(
            "body changed by one byte",
            Some(good.token.clone()),
            one_byte,
        )
        .expect(S::UNAUTHORIZED, "body_hash_mismatch"),
        Case::post("body re-indented", Some(good.token.clone()), reindented)
            .expect(S::UNAUTHORIZED, "body_hash_mismatch"),
        Case::post(
            "body with a trailing newline",
            Some(good.token.clone()),
            format!("{body}\n"),
        )
        .expect(S::UNAUTHORIZED, "body_hash_mismatch"),
        Case::post(
            "token of another body",
            Some(app.sign(&auth_body("other")).await.token),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "body_hash_mismatch"),
        Case::post(
            "oversized body (413)",
            Some(app.sign(&huge).await.token),
            huge.clone(),
        )
        .expect(S::PAYLOAD_TOO_LARGE, "body_too_large"),
        // Content, validly signed.
        Case::post(
            "non-JSON body",
            Some(app.sign(non_json).await.token),
            non_json,
        )
        .expect(S::BAD_REQUEST, "invalid_json"),
        Case::post("JSON array", Some(app.sign(array).await.token), array)
            .expect(S::BAD_REQUEST, "invalid_json"),
        Case::post("empty body", Some(app.sign("").await.token), "")
            .expect(S::BAD_REQUEST, "invalid_json"),
        Case::post(
            "no webhook_type",
            Some(app.sign(no_type).await.token),
            no_type,
        )
        .expect(S::BAD_REQUEST, "missing_webhook_type"),
        Case::post(
            "no webhook_code",
            Some(app.sign(no_code).await.token),
            no_code,
        )
        .expect(S::BAD_REQUEST, "missing_webhook_code"),
        Case::post(
            "numeric webhook_type",
            Some(app.sign(numeric_type).await.token),
            numeric_type,
        )
        .expect(S::BAD_REQUEST, "invalid_json"),
        Case::post(
            "wrong environment",
            Some(app.sign(production).await.token),
            production,
        )
        .expect(S::BAD_REQUEST, "environment_mismatch"),
        // HTTP.
        Case {
            method: Method::GET,
            ..Case::post("GET", Some(good.token.clone()), "")
        }
        .expect(S::METHOD_NOT_ALLOWED, "method_not_allowed"),
        Case {
            method: Method::PUT,
            ..Case::post("PUT", Some(good.token.clone()), body.clone())
        }
        .expect(S::METHOD_NOT_ALLOWED, "method_not_allowed"),
        Case {
            content_type: Some("text/plain"),
            ..Case::post("text/plain", Some(good.token.clone()), body.clone())
        }
        .expect(S::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        Case {
            content_type: Some("application/x-www-form-urlencoded"),
            ..Case::post("form", Some(good.token.clone()), body.clone())
        }
        .expect(S::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        Case {
            content_type: None,
            ..Case::post("no content type", Some(good.token.clone()), body.clone())
        }
        .expect(S::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
        Case {
            path: "/webhooks/plaid/extra",
            ..Case::post("unknown path", Some(good.token.clone()), body.clone())
        }
        .expect(S::NOT_FOUND, "not_found"),
    ];
    assert!(cases.len() >= 30);
    run(&app, cases).await;

    // And the genuine article still goes through.
    let (status, reply) = app.post(body.clone(), Some(&good.token)).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply, json!({"received": true}));
    assert_eq!(app.stream_messages().await, 1);
}

/// Cases that need the sandbox to sign claims of our choosing (`"claims"` in the sign request).
#[tokio::test]
async fn tokens_with_bad_claims_are_rejected() {
    let app = spawn_app().await;
    let body = auth_body("item-claims");
    let hash = sha256_hex(body.as_bytes());
    let t = now();
    let signed = |claims: Value| {
        let app = &app;
        let body = body.clone();
        async move {
            let request = SignRequest {
                body,
                claims: Some(claims),
                ..SignRequest::default()
            };
            app.control
                .sign_with(&request)
                .await
                .expect("the sandbox signs")
                .token
        }
    };
    let probe = signed(json!({ "iat": t })).await;
    let claims_honoured = !jsonwebtoken::dangerous::insecure_decode::<Value>(&probe)
        .map(|d| d.claims.get("request_body_sha256").is_some())
        .unwrap_or(true);
    assert!(
        claims_honoured,
        "the sandbox's /__sandbox/webhooks/sign ignores \"claims\"; these cases need it"
    );
    use StatusCode as S;
    let cases = vec![
        Case::post(
            "missing iat",
            Some(signed(json!({ "request_body_sha256": hash })).await),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "missing_iat"),
        Case::post(
            "missing request_body_sha256",
            Some(signed(json!({ "iat": t })).await),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "missing_body_hash"),
        Case::post(
            "body hash in upper-case hex",
            Some(signed(json!({ "iat": t, "request_body_sha256": hash.to_uppercase() })).await),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "body_hash_mismatch"),
        Case::post(
            "iat as a string",
            Some(signed(json!({ "iat": t.to_string(), "request_body_sha256": hash })).await),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "invalid_claims"),
        Case::post(
            "body hash of another body",
            Some(signed(json!({ "iat": t, "request_body_sha256": sha256_hex(b"{}") })).await),
            body.clone(),
        )
        .expect(S::UNAUTHORIZED, "body_hash_mismatch"),
    ];
    run(&app, cases).await;
}
