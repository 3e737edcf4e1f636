//! SMS in the common provider shape (Twilio's and its look-alikes'): `POST
//! {base}/Accounts/{sid}/Messages.json` with a form body (`To`, `From`, `Body`) and HTTP basic
//! auth (`sid:token`); the answer's `sid` is the provider's message id.
//!
//! - 2xx → sent; 429 → transient with the provider's `Retry-After`; 408 → transient;
//! - other 4xx → rejected (a bad number, an unsubscribed recipient), with the provider's
//!   numeric error code but never its message (it repeats the phone number);
//! - 5xx → **ambiguous**: such APIs are not idempotent and may have sent it (Twilio says a
//!   retry after a 500 can deliver twice), so it is `unknown`, never resent by itself;
//! - no connection → transient; a timeout after the request was sent → ambiguous.
//!
//! An `Idempotency-Key` header with the alert id goes along for providers that honour one.

use std::time::Duration;

use futures::future::BoxFuture;
use penny_config::Secret;
use reqwest::StatusCode;

use super::push::http_client;
use super::{Outgoing, SendOutcome, Transport, retry_after};
use crate::domain::Channel;

/// Where and how to reach the provider.
#[derive(Clone, Debug)]
pub struct SmsSettings {
    /// API base URL, e.g. `https://api.twilio.com/2010-04-01`.
    pub base_url: String,
    /// Account id (the basic-auth user).
    pub account_sid: String,
    /// Auth token (the basic-auth password).
    pub auth_token: Secret<String>,
    /// The sender number.
    pub from: String,
    /// Whole-call limit.
    pub timeout: Duration,
}

/// The SMS channel.
#[derive(Debug)]
pub struct SmsTransport {
    client: reqwest::Client,
    settings: SmsSettings,
    url: String,
}

impl SmsTransport {
    /// A transport for `settings`.
    pub fn new(settings: SmsSettings) -> anyhow::Result<Self> {
        let url = format!(
            "{}/Accounts/{}/Messages.json",
            settings.base_url.trim_end_matches('/'),
            settings.account_sid
        );
        Ok(Self {
            client: http_client(settings.timeout)?,
            settings,
            url,
        })
    }

    /// One POST to the SMS API (the span `sms.post`, a child of the alert's `notifier.send`).
    #[tracing::instrument(name = "sms.post", skip_all, fields(otel.kind = "client"))]
    async fn deliver(&self, out: &Outgoing) -> SendOutcome {
        let form = [
            ("To", out.address.as_str()),
            ("From", self.settings.from.as_str()),
            ("Body", out.rendered.short.as_str()),
        ];
        let request = self
            .client
            .post(&self.url)
            .basic_auth(
                &self.settings.account_sid,
                Some(self.settings.auth_token.expose()),
            )
            .header("Idempotency-Key", &out.alert_id)
            .form(&form);
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) if e.is_connect() => {
                return SendOutcome::Transient {
                    reason: "could not connect to the SMS API".into(),
                    retry_after: None,
                };
            }
            Err(e) if e.is_timeout() => {
                return SendOutcome::Ambiguous {
                    reason: "no answer from the SMS API in time: it may have sent the message"
                        .into(),
                };
            }
            Err(_) => {
                return SendOutcome::Ambiguous {
                    reason: "the SMS request failed after it started: it may have sent the message"
                        .into(),
                };
            }
        };
        let status = response.status();
        let wait = retry_after(response.headers().get(reqwest::header::RETRY_AFTER));
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        classify(status, wait, &body)
    }
}

fn classify(status: StatusCode, wait: Option<Duration>, body: &serde_json::Value) -> SendOutcome {
    let code = status.as_u16();
    match code {
        200..=299 => SendOutcome::Accepted {
            provider_id: body
                .get("sid")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        },
        429 => SendOutcome::Transient {
            reason: "the SMS API answered 429 (rate limited)".into(),
            retry_after: wait,
        },
        408 => SendOutcome::Transient {
            reason: "the SMS API answered 408".into(),
            retry_after: wait,
        },
        500..=599 => SendOutcome::Ambiguous {
            reason: format!("the SMS API answered {code}: it may have sent the message"),
        },
        _ => {
            let detail = body
                .get("code")
                .and_then(serde_json::Value::as_i64)
                .map(|c| format!(", error code {c}"))
                .unwrap_or_default();
            SendOutcome::Rejected {
                reason: format!("the SMS API refused it ({code}{detail})"),
            }
        }
    }
}

impl Transport for SmsTransport {
    fn channel(&self) -> Channel {
        Channel::Sms
    }

    fn send<'a>(&'a self, message: &'a Outgoing) -> BoxFuture<'a, SendOutcome> {
        Box::pin(self.deliver(message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes() {
        let c = |code, body: serde_json::Value| {
            classify(
                StatusCode::from_u16(code).unwrap(),
                Some(Duration::from_secs(2)),
                &body,
            )
        };
        assert_eq!(
            c(201, serde_json::json!({"sid": "SM123"})),
            SendOutcome::Accepted {
                provider_id: "SM123".into()
            }
        );
        assert_eq!(
            c(429, serde_json::json!({})),
            SendOutcome::Transient {
                reason: "the SMS API answered 429 (rate limited)".into(),
                retry_after: Some(Duration::from_secs(2))
            }
        );
        assert!(matches!(
            c(500, serde_json::json!({})),
            SendOutcome::Ambiguous { .. }
        ));
        let rejected = c(
            400,
            serde_json::json!({"code": 21211, "message": "The 'To' number +14155550123 is not valid"}),
        );
        let SendOutcome::Rejected { reason } = rejected else {
            panic!()
        };
        assert_eq!(reason, "the SMS API refused it (400, error code 21211)");
    }
}
