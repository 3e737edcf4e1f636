//! `/webhook_verification_key/get`: the public key that verifies a webhook's `Plaid-Verification`
//! JWT (reference 2.9, 5).

use serde::{Deserialize, Serialize};

use crate::PlaidClient;
use crate::client::plaid_response;
use crate::error::PlaidError;
use crate::retry::Idempotency;

/// `JWKPublicKey`: an EC P-256 public key (ES256).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Algorithm, `"ES256"`.
    pub alg: String,
    /// Curve, `"P-256"`.
    pub crv: String,
    /// Key id (the JWT header's `kid`).
    pub kid: String,
    /// Key type, `"EC"`.
    pub kty: String,
    /// Use, `"sig"`.
    #[serde(rename = "use")]
    pub use_: String,
    /// Base64url big-endian x coordinate.
    pub x: String,
    /// Base64url big-endian y coordinate.
    pub y: String,
    /// Unix seconds when the key was created.
    pub created_at: i64,
    /// Unix seconds when the key expired; `None` while it is current. Reject webhooks signed
    /// with an expired key.
    #[serde(default)]
    pub expired_at: Option<i64>,
}

impl Jwk {
    /// True once Plaid has expired the key.
    pub fn is_expired(&self) -> bool {
        self.expired_at.is_some()
    }
}

/// `/webhook_verification_key/get` response.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct WebhookVerificationKeyGetResponse {
    /// The key.
    pub key: Jwk,
    /// Plaid's id for the request.
    pub request_id: String,
}

plaid_response!(WebhookVerificationKeyGetResponse);

#[derive(Serialize)]
struct KeyRequest<'a> {
    key_id: &'a str,
}

impl PlaidClient {
    /// `POST /webhook_verification_key/get` for the `kid` of a webhook's JWT. An unknown kid
    /// answers `INVALID_WEBHOOK_VERIFICATION_KEY_ID`. Read-only: retried.
    pub async fn webhook_verification_key_get(
        &self,
        key_id: &str,
    ) -> Result<WebhookVerificationKeyGetResponse, PlaidError> {
        let request = KeyRequest { key_id };
        self.call(
            "/webhook_verification_key/get",
            Idempotency::ReadOnly,
            &request,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_reference_key() {
        let response: WebhookVerificationKeyGetResponse = serde_json::from_str(
            r#"{"key":{"alg":"ES256","created_at":1560466150,"crv":"P-256",
               "expired_at":null,"kid":"bfbd5111-8e33-4643-8ced-b2e642a72f3c","kty":"EC",
               "use":"sig","x":"hKXLGIjWvCBv-cP5euCTxl8g9GLG9zHo_3pO5NN1DwQ",
               "y":"shhexqPB7YffGn6fR6h2UhTSuCtPmfzQJ6ENVIoO4Ys"},"request_id":"RZ6Omi1bzzwDaLo"}"#,
        )
        .unwrap();
        assert_eq!(response.key.use_, "sig");
        assert_eq!(response.key.created_at, 1560466150);
        assert!(!response.key.is_expired());
        let json = serde_json::to_value(&response.key).unwrap();
        assert_eq!(json["use"], "sig");
        assert!(json.get("use_").is_none());
    }
}
