//! Unit tests for error parsing, the retry table and secret-free messages.

use super::*;

fn api(status: u16, code: &str) -> PlaidError {
    PlaidError::Api {
        status,
        error: Box::new(PlaidApiError {
            error_type: "X".into(),
            error_code: code.into(),
            ..PlaidApiError::default()
        }),
    }
}

#[test]
fn parses_the_reference_product_not_ready_body() {
    let body = br#"{"error_type":"ITEM_ERROR","error_code":"PRODUCT_NOT_READY",
 "error_message":"the requested product is not yet ready. please provide a webhook or try the request again later",
 "display_message":null,"request_id":"HNTDNrA8F1shFEW"}"#;
    let err = PlaidError::from_error_response("/auth/get", 400, body);
    assert!(err.is_product_not_ready());
    assert_eq!(err.error_code(), Some("PRODUCT_NOT_READY"));
    assert_eq!(err.error_type(), Some("ITEM_ERROR"));
    assert_eq!(err.http_status(), Some(400));
    assert_eq!(err.request_id(), Some("HNTDNrA8F1shFEW"));
    assert!(!err.is_retryable());
    let api = err.api_error().unwrap();
    assert_eq!(api.display_message, None);
    assert!(err.to_string().contains("ITEM_ERROR/PRODUCT_NOT_READY"));
}

#[test]
fn parses_every_documented_field_and_ignores_unknown_ones() {
    let body = br#"{"error_type":"ITEM_ERROR","error_code":"ITEM_LOGIN_REQUIRED",
 "error_code_reason":"OAUTH_INVALID_TOKEN","error_message":"m","display_message":"d",
 "request_id":"r","documentation_url":"https://plaid.com/docs","suggested_action":null,
 "status":400,"causes":[],"brand_new_field":{"x":1}}"#;
    let err = PlaidError::from_error_response("/item/get", 400, body);
    let api = err.api_error().unwrap();
    assert_eq!(
        api.error_code_reason.as_deref(),
        Some("OAUTH_INVALID_TOKEN")
    );
    assert_eq!(api.display_message.as_deref(), Some("d"));
    assert_eq!(
        api.documentation_url.as_deref(),
        Some("https://plaid.com/docs")
    );
    assert_eq!(api.suggested_action, None);
    assert_eq!(api.status, Some(400));
}

#[test]
fn a_non_json_error_body_becomes_http_with_a_short_snippet() {
    let body = format!(
        "<html>\n<h1>502 Bad Gateway</h1>{}</html>",
        "x".repeat(1000)
    );
    let err = PlaidError::from_error_response("/auth/get", 502, body.as_bytes());
    match &err {
        PlaidError::Http { status, body, .. } => {
            assert_eq!(*status, 502);
            assert!(body.starts_with("<html><h1>502 Bad Gateway"), "{body}");
            assert_eq!(body.chars().count(), 200);
        }
        other => panic!("expected Http, got {other:?}"),
    }
    assert!(err.is_retryable());
    assert_eq!(err.error_code(), None);
    assert_eq!(err.http_status(), Some(502));
}

#[test]
fn json_without_an_error_code_is_not_an_api_error() {
    let err = PlaidError::from_error_response("/auth/get", 500, br#"{"message":"oops"}"#);
    assert!(matches!(err, PlaidError::Http { status: 500, .. }));
    assert!(err.is_retryable());
}

#[test]
fn retry_table() {
    let cases = [
        (429, "RATE_LIMIT", true),
        (500, "INTERNAL_SERVER_ERROR", true),
        (502, "X", true),
        (503, "PLANNED_MAINTENANCE", true),
        (504, "X", true),
        (400, "PRODUCT_NOT_READY", false),
        (400, "INVALID_ACCESS_TOKEN", false),
        (400, "INVALID_API_KEYS", false),
        (401, "X", false),
        (403, "INVALID_USER_IDENTITY_DATA", false),
        (404, "NOT_FOUND", false),
        (409, "X", false),
        (501, "X", false),
    ];
    for (status, code, retryable) in cases {
        assert_eq!(
            api(status, code).is_retryable(),
            retryable,
            "{status} {code}"
        );
        let http = PlaidError::Http {
            endpoint: "/x",
            status,
            body: String::new(),
        };
        assert_eq!(http.is_retryable(), retryable, "http {status}");
    }
    assert!(PlaidError::Timeout { endpoint: "/x" }.is_retryable());
    assert!(
        !PlaidError::Decode {
            endpoint: "/x",
            message: String::new()
        }
        .is_retryable()
    );
    assert!(!PlaidError::InvalidConfig("x".into()).is_retryable());
}

#[test]
fn decode_errors_never_quote_the_offending_value() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Numbers {
        account: String,
    }
    let err = serde_json::from_str::<Numbers>(r#"{"account":1111222233330000}"#).unwrap_err();
    let plaid = PlaidError::decode("/auth/get", &err);
    let shown = format!("{plaid} {plaid:?}");
    assert!(!shown.contains("1111222233330000"), "{shown}");
    assert!(shown.contains("expected a string"), "{shown}");

    let err = serde_json::from_str::<Numbers>("{}").unwrap_err();
    assert!(
        PlaidError::decode("/auth/get", &err)
            .to_string()
            .contains("missing field `account`")
    );
}
