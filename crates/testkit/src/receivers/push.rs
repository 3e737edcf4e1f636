//! [`PushReceiver`]: a push endpoint checking Standard Webhooks signatures.

use std::collections::HashSet;
use std::sync::Arc;

use super::{Check, HttpReceiver, Recorded, Reply};

/// A push endpoint: verifies every request's Standard Webhooks signature with the
/// `standardwebhooks` crate (401 when it fails) and answers 204.
#[derive(Debug)]
pub struct PushReceiver {
    /// The receiver underneath.
    pub http: HttpReceiver,
}

impl PushReceiver {
    /// A receiver for messages signed with `secret` (`whsec_…`).
    pub async fn start(secret: &str) -> anyhow::Result<Self> {
        let webhook =
            Arc::new(standardwebhooks::Webhook::new(secret).map_err(|e| anyhow::anyhow!("{e}"))?);
        let check: Check = Arc::new(move |_, _, headers, body| {
            webhook
                .verify(body, headers)
                .map_err(|e| Reply::new(401, format!("bad signature: {e}")))
        });
        let http = HttpReceiver::with(check, Arc::new(|_, _| Reply::new(204, ""))).await?;
        Ok(Self { http })
    }

    /// The URL to register as a push endpoint.
    pub fn url(&self) -> String {
        format!("{}/push", self.http.url())
    }

    /// Every delivery that was verified and accepted, in order.
    pub fn accepted(&self) -> Vec<Recorded> {
        self.http
            .requests()
            .into_iter()
            .filter(is_accepted)
            .collect()
    }

    /// How many deliveries were verified and accepted (without copying them).
    pub fn accepted_count(&self) -> usize {
        self.http.count_where(is_accepted)
    }

    /// The distinct `webhook-id`s accepted: what a receiver that deduplicates (as Standard
    /// Webhooks asks) delivers to the person.
    pub fn distinct_ids(&self) -> HashSet<String> {
        self.accepted()
            .iter()
            .filter_map(|r| r.header("webhook-id").map(str::to_owned))
            .collect()
    }
}

/// Whether `r` was verified and answered with a 2xx.
fn is_accepted(r: &Recorded) -> bool {
    r.verified == Some(true) && (200..300).contains(&r.status)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[tokio::test]
    async fn accepts_signed_messages_and_refuses_the_rest() -> anyhow::Result<()> {
        let push = PushReceiver::start(SECRET).await?;
        let oracle = standardwebhooks::Webhook::new(SECRET).map_err(|e| anyhow::anyhow!("{e}"))?;
        let body = r#"{"kind":"account_verified"}"#;
        let now = chrono::Utc::now().timestamp();
        let signature = oracle
            .sign("msg_1", now, body.as_bytes())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let http = reqwest::Client::new();
        let post = |body: &'static str| {
            http.post(push.url())
                .header("webhook-id", "msg_1")
                .header("webhook-timestamp", now.to_string())
                .header("webhook-signature", signature.clone())
                .body(body)
                .send()
        };
        assert_eq!(post(r#"{"kind":"account_verified"}"#).await?.status(), 204);
        assert_eq!(post(r#"{"kind":"tampered"}"#).await?.status(), 401);
        assert_eq!(push.accepted().len(), 1);
        assert_eq!(push.accepted_count(), 1);
        assert_eq!(push.distinct_ids().len(), 1);
        Ok(())
    }
}
