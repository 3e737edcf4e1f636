//! Push: an HTTP POST of a small JSON document to the person's endpoint, signed by the
//! Standard Webhooks scheme. `webhook-id` is the alert id on every attempt, so the receiver
//! deduplicates retries and resends by it (the scheme asks receivers to).
//!
//! - 2xx → sent; 429 → transient with its `Retry-After`; 408 and 5xx → transient (the
//!   receiver said it did not process it; a retry carries the same id anyway);
//! - 410 → rejected (the endpoint is gone); other 3xx/4xx → rejected (redirects are not
//!   followed: the signed message goes where the person said, nowhere else);
//! - no connection → transient; a timeout after the request was sent → ambiguous.

use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::StatusCode;
use serde::Serialize;

use super::signing::Signer;
use super::{Outgoing, SendOutcome, Transport, retry_after};
use crate::domain::Channel;

/// The push channel.
#[derive(Debug)]
pub struct PushTransport {
    client: reqwest::Client,
    signer: Signer,
}

/// The JSON a push endpoint receives.
#[derive(Debug, Serialize)]
pub struct PushPayload<'a> {
    /// Always `penny.alert`.
    #[serde(rename = "type")]
    pub kind_of_message: &'static str,
    /// The alert id (also the `webhook-id`).
    pub alert_id: &'a str,
    /// `account_verified`, ...
    pub kind: &'static str,
    /// The domain event it answers.
    pub event_id: &'a str,
    /// The app's user id.
    pub user_id: &'a str,
    /// The language of `title` and `body`.
    pub language: &'static str,
    /// A title (the email subject).
    pub title: &'a str,
    /// The text (the SMS text).
    pub body: &'a str,
}

impl PushTransport {
    /// A transport signing with `signer`, giving up on a call after `timeout`.
    pub fn new(signer: Signer, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            client: http_client(timeout)?,
            signer,
        })
    }

    /// One signed POST to the push endpoint (the span `push.post`, a child of the alert's
    /// `notifier.send`).
    #[tracing::instrument(name = "push.post", skip_all, fields(otel.kind = "client"))]
    async fn deliver(&self, out: &Outgoing) -> SendOutcome {
        let payload = PushPayload {
            kind_of_message: "penny.alert",
            alert_id: &out.alert_id,
            kind: out.kind.as_str(),
            event_id: &out.event_id,
            user_id: &out.user_id,
            language: out.rendered.language,
            title: &out.rendered.subject,
            body: &out.rendered.short,
        };
        let body = match serde_json::to_vec(&payload) {
            Ok(body) => body,
            Err(e) => {
                return SendOutcome::Rejected {
                    reason: format!("encoding the push payload: {e}"),
                };
            }
        };
        // The receiver checks the timestamp against its own clock: real time, not business time.
        let signature = self
            .signer
            .sign(&out.alert_id, chrono::Utc::now().timestamp(), &body);
        let request = self
            .client
            .post(out.address.as_str())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &signature.id)
            .header("webhook-timestamp", signature.timestamp.to_string())
            .header("webhook-signature", &signature.signature)
            .body(body);
        match request.send().await {
            Ok(response) => classify(response.status(), response.headers(), &out.alert_id),
            Err(e) if e.is_connect() => SendOutcome::Transient {
                reason: "could not connect to the push endpoint".into(),
                retry_after: None,
            },
            Err(e) if e.is_timeout() => SendOutcome::Ambiguous {
                reason: "no answer from the push endpoint in time: it may have the message".into(),
            },
            Err(_) => SendOutcome::Ambiguous {
                reason: "the push request failed after it started: it may have the message".into(),
            },
        }
    }
}

fn classify(
    status: StatusCode,
    headers: &reqwest::header::HeaderMap,
    alert_id: &str,
) -> SendOutcome {
    match status.as_u16() {
        200..=299 => SendOutcome::Accepted {
            provider_id: alert_id.to_owned(),
        },
        429 => SendOutcome::Transient {
            reason: "the push endpoint answered 429".into(),
            retry_after: retry_after(headers.get(reqwest::header::RETRY_AFTER)),
        },
        408 | 500..=599 => SendOutcome::Transient {
            reason: format!("the push endpoint answered {}", status.as_u16()),
            retry_after: retry_after(headers.get(reqwest::header::RETRY_AFTER)),
        },
        410 => SendOutcome::Rejected {
            reason: "the push endpoint is gone (410)".into(),
        },
        code => SendOutcome::Rejected {
            reason: format!("the push endpoint refused it ({code})"),
        },
    }
}

/// The HTTP client of the HTTP channels: rustls, no redirects, a whole-call timeout.
pub fn http_client(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(5)))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("penny-notifier/", env!("CARGO_PKG_VERSION")))
        .build()?)
}

impl Transport for PushTransport {
    fn channel(&self) -> Channel {
        Channel::Push
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
        let h = reqwest::header::HeaderMap::new();
        let c = |code| classify(StatusCode::from_u16(code).unwrap(), &h, "a1");
        assert_eq!(
            c(204),
            SendOutcome::Accepted {
                provider_id: "a1".into()
            }
        );
        assert!(matches!(c(429), SendOutcome::Transient { .. }));
        assert!(matches!(c(503), SendOutcome::Transient { .. }));
        assert!(matches!(c(410), SendOutcome::Rejected { .. }));
        assert!(matches!(c(400), SendOutcome::Rejected { .. }));
        assert!(matches!(c(302), SendOutcome::Rejected { .. }));
    }
}
