//! The few fields ingress reads from a verified webhook body: `webhook_type`, `webhook_code` and
//! `environment`. The body itself is published untouched; this parse only routes it.

use std::borrow::Cow;

use serde::Deserialize;

use crate::error::Rejection;

/// Routing fields of a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// `webhook_type`, e.g. `AUTH`.
    pub webhook_type: Cow<'a, str>,
    /// `webhook_code`, e.g. `AUTOMATICALLY_VERIFIED`.
    pub webhook_code: Cow<'a, str>,
}

#[derive(Deserialize)]
struct Raw<'a> {
    #[serde(borrow, default)]
    webhook_type: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    webhook_code: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    environment: Option<Cow<'a, str>>,
}

/// Reads the routing fields of `body` and checks its `environment` against `expected_env`.
///
/// A missing `environment` is accepted: older payloads and some codes omit it (plaid-api.md
/// §4.1, the lenient reading); a present one that differs is rejected.
pub fn parse<'a>(body: &'a [u8], expected_env: &str) -> Result<Envelope<'a>, Rejection> {
    // serde would also build a struct from a JSON array; a webhook is always an object.
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(Rejection::InvalidJson);
    }
    let raw: Raw<'a> = serde_json::from_slice(body).map_err(|_| Rejection::InvalidJson)?;
    let webhook_type = raw
        .webhook_type
        .filter(|s| !s.trim().is_empty())
        .ok_or(Rejection::MissingWebhookType)?;
    let webhook_code = raw
        .webhook_code
        .filter(|s| !s.trim().is_empty())
        .ok_or(Rejection::MissingWebhookCode)?;
    if let Some(env) = raw.environment
        && env != expected_env
    {
        return Err(Rejection::EnvironmentMismatch);
    }
    Ok(Envelope {
        webhook_type,
        webhook_code,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_routing_fields() {
        let body = br#"{
  "webhook_type": "AUTH",
  "webhook_code": "AUTOMATICALLY_VERIFIED",
  "item_id": "i",
  "environment": "sandbox",
  "error": null
}"#;
        let e = parse(body, "sandbox").expect("valid");
        assert_eq!(e.webhook_type, "AUTH");
        assert_eq!(e.webhook_code, "AUTOMATICALLY_VERIFIED");
    }

    #[test]
    fn rejections() {
        let p = |b: &str| parse(b.as_bytes(), "sandbox").map(|_| ());
        assert_eq!(p(""), Err(Rejection::InvalidJson));
        assert_eq!(p("not json"), Err(Rejection::InvalidJson));
        assert_eq!(p(r#"["AUTH","X"]"#), Err(Rejection::InvalidJson));
        assert_eq!(p(r#"{"webhook_type":"AUTH""#), Err(Rejection::InvalidJson));
        assert_eq!(
            p(r#"{"webhook_code":"X"}"#),
            Err(Rejection::MissingWebhookType)
        );
        assert_eq!(
            p(r#"{"webhook_type":"AUTH"}"#),
            Err(Rejection::MissingWebhookCode)
        );
        assert_eq!(
            p(r#"{"webhook_type":1,"webhook_code":"X"}"#),
            Err(Rejection::InvalidJson)
        );
        assert_eq!(
            p(r#"{"webhook_type":" ","webhook_code":"X"}"#),
            Err(Rejection::MissingWebhookType)
        );
        assert_eq!(
            p(r#"{"webhook_type":"AUTH","webhook_code":"X","environment":"production"}"#),
            Err(Rejection::EnvironmentMismatch)
        );
        assert_eq!(p(r#"{"webhook_type":"AUTH","webhook_code":"X"}"#), Ok(()));
        assert_eq!(
            p(r#"{"webhook_type":"A\u0055TH","webhook_code":"X","environment":"sandbox"}"#),
            Ok(())
        );
    }
}
