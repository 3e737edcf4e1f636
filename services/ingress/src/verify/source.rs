//! Where verification keys come from: Plaid's `/webhook_verification_key/get`, behind a small
//! trait so the key cache's single-flight and negative-cache logic does not depend on HTTP.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::future::BoxFuture;

/// A webhook verification public key (JWK) as Plaid returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationKey {
    /// Key id, matched against the token header's `kid`.
    pub kid: String,
    /// Algorithm; must be `ES256`.
    pub alg: String,
    /// Curve; must be `P-256`.
    pub crv: String,
    /// Key type; must be `EC`.
    pub kty: String,
    /// base64url big-endian x coordinate.
    pub x: String,
    /// base64url big-endian y coordinate.
    pub y: String,
    /// Unix seconds the key was created.
    pub created_at: i64,
    /// Unix seconds the key was retired; `None` while it is current.
    pub expired_at: Option<i64>,
}

impl VerificationKey {
    /// The current ES256 key `kid` for an uncompressed P-256 public point (`0x04 ‖ x ‖ y`, 65
    /// bytes, as a signer reports it); `None` for any other length.
    pub fn es256(kid: &str, point: &[u8], created_at: i64) -> Option<Self> {
        let (x, y) = match point {
            [0x04, xy @ ..] if xy.len() == 64 => xy.split_at(32),
            _ => return None,
        };
        Some(Self {
            kid: kid.to_owned(),
            alg: "ES256".into(),
            crv: "P-256".into(),
            kty: "EC".into(),
            x: URL_SAFE_NO_PAD.encode(x),
            y: URL_SAFE_NO_PAD.encode(y),
            created_at,
            expired_at: None,
        })
    }
}

/// Why a key could not be fetched.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FetchError {
    /// Plaid answered that it does not know the key id (HTTP 400, e.g.
    /// `INVALID_WEBHOOK_VERIFICATION_KEY_ID`): the webhook is not authentic.
    #[error("key id rejected by Plaid")]
    Rejected,
    /// Plaid could not be asked or did not answer usefully (5xx, 429, timeout, network, or a
    /// credentials problem on our side): the webhook may be authentic, so Plaid should retry.
    #[error("key fetch failed: {0}")]
    Unavailable(String),
}

/// Fetches one verification key by id.
pub trait KeySource: Send + Sync + 'static {
    /// Fetches the key `kid`.
    fn fetch<'a>(&'a self, kid: &'a str) -> BoxFuture<'a, Result<VerificationKey, FetchError>>;
}
