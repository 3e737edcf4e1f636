//! Standard Webhooks signing (<https://www.standardwebhooks.com>), the scheme of the push
//! channel: `webhook-id`, `webhook-timestamp` (Unix seconds) and
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed by the
//! base64 part of a `whsec_…` secret. Any Standard Webhooks library verifies it (the tests use
//! the `standardwebhooks` crate). HMAC from aws-lc-rs, the project's one crypto provider.

use std::fmt;

use aws_lc_rs::hmac;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// The secret prefix.
pub const SECRET_PREFIX: &str = "whsec_";

/// A signing key. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct Signer {
    key: hmac::Key,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signer([redacted])")
    }
}

/// The secret does not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the push signing secret must be whsec_ followed by base64 of 24 to 64 bytes")]
pub struct BadSecret;

/// The three headers of one signed message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature {
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp`.
    pub timestamp: i64,
    /// `webhook-signature`.
    pub signature: String,
}

impl Signer {
    /// A signer from a `whsec_<base64>` secret.
    pub fn from_secret(secret: &str) -> Result<Self, BadSecret> {
        let encoded = secret.strip_prefix(SECRET_PREFIX).ok_or(BadSecret)?;
        let key = STANDARD.decode(encoded).map_err(|_| BadSecret)?;
        if !(24..=64).contains(&key.len()) {
            return Err(BadSecret);
        }
        Ok(Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, &key),
        })
    }

    /// Signs `body` sent as message `id` at Unix time `timestamp`.
    pub fn sign(&self, id: &str, timestamp: i64, body: &[u8]) -> Signature {
        let mut context = hmac::Context::with_key(&self.key);
        context.update(id.as_bytes());
        context.update(b".");
        context.update(timestamp.to_string().as_bytes());
        context.update(b".");
        context.update(body);
        let tag = context.sign();
        Signature {
            id: id.to_owned(),
            timestamp,
            signature: format!("v1,{}", STANDARD.encode(tag.as_ref())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    #[test]
    fn an_independent_library_verifies_our_signature() {
        let signer = Signer::from_secret(SECRET).unwrap();
        let body = br#"{"type":"penny.alert","title":"Your account \u2022\u2022\u2022\u20220000 is ready"}"#;
        let now = chrono::Utc::now().timestamp();
        let sig = signer.sign("msg_alert-1", now, body);
        let mut headers = http::HeaderMap::new();
        headers.insert("webhook-id", sig.id.parse().unwrap());
        headers.insert(
            "webhook-timestamp",
            sig.timestamp.to_string().parse().unwrap(),
        );
        headers.insert("webhook-signature", sig.signature.parse().unwrap());
        let oracle = standardwebhooks::Webhook::new(SECRET).unwrap();
        oracle.verify(body, &headers).unwrap();
        assert_eq!(
            oracle.sign("msg_alert-1", now, body).unwrap(),
            sig.signature
        );
        assert!(oracle.verify(b"{\"tampered\":true}", &headers).is_err());
    }

    #[test]
    fn secrets_must_be_whsec_base64_and_never_shown() {
        assert_eq!(
            Signer::from_secret("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap_err(),
            BadSecret
        );
        assert_eq!(Signer::from_secret("whsec_%%%").unwrap_err(), BadSecret);
        assert_eq!(
            Signer::from_secret("whsec_c2hvcnQ=").unwrap_err(),
            BadSecret
        );
        let shown = format!("{:?}", Signer::from_secret(SECRET).unwrap());
        assert!(!shown.contains("MfKQ"), "{shown}");
    }
}
