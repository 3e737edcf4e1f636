//! Verification of Plaid's `Plaid-Verification` header (plaid-api.md §5): ES256 pinned, key by
//! `kid` from a cache in front of `/webhook_verification_key/get`, key not expired, `iat` fresh,
//! and the SHA-256 of the exact body bytes equal (constant time) to `request_body_sha256`. The
//! signature itself is checked on the async workers or on the threads of a [`pool`], as
//! [`VerifyMode`] says.

mod keys;
mod mode;
mod negative;
mod plaid;
mod pool;
mod source;
mod token;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

pub use keys::{KeyCache, KeyCacheSettings};
pub use plaid::PlaidKeySource;
pub use source::{FetchError, KeySource, VerificationKey};

use crate::error::Rejection;
use keys::LookupError;
pub use mode::VerifyMode;
use pool::VerifyPool;

/// Freshness rules for `iat`.
#[derive(Debug, Clone, Copy)]
pub struct FreshnessSettings {
    /// Oldest accepted token age (Plaid: 5 minutes).
    pub max_age: Duration,
    /// How far in the future `iat` may be, for clock skew.
    pub max_future_skew: Duration,
}

impl Default for FreshnessSettings {
    fn default() -> Self {
        Self {
            max_age: Duration::from_secs(300),
            max_future_skew: Duration::from_secs(30),
        }
    }
}

/// What a successful verification proves.
#[derive(Debug, Clone)]
pub struct Verified {
    /// SHA-256 of the body, as signed by Plaid.
    pub body_sha256: [u8; 32],
    /// The key id that signed it.
    pub kid: String,
}

/// Verifies `Plaid-Verification` tokens against request bodies.
#[derive(Debug, Clone)]
pub struct SignatureVerifier {
    keys: Arc<KeyCache>,
    freshness: FreshnessSettings,
    /// `None`: signatures are checked on the async workers.
    pool: Option<Arc<VerifyPool>>,
}

impl SignatureVerifier {
    /// A verifier using `keys` and the `freshness` rules, checking signatures where `mode`
    /// says (`Auto` is decided here, by timing a verify).
    pub fn new(
        keys: Arc<KeyCache>,
        freshness: FreshnessSettings,
        mode: VerifyMode,
    ) -> std::io::Result<Self> {
        let (threads, cost) = mode.threads();
        let cost_us = cost.map(|c| c.as_secs_f64() * 1e6);
        let pool = if threads == 0 {
            tracing::info!(verify_cost_us = ?cost_us, "signatures checked on the async workers");
            None
        } else {
            tracing::info!(threads, verify_cost_us = ?cost_us, "signatures checked on a thread pool");
            Some(Arc::new(VerifyPool::start(threads)?))
        };
        Ok(Self {
            keys,
            freshness,
            pool,
        })
    }

    /// Checks `token` (the header value, `None` when absent) against the exact `body` bytes at
    /// time `now` (Unix seconds).
    pub async fn verify(
        &self,
        token: Option<&[u8]>,
        body: &[u8],
        now: i64,
    ) -> Result<Verified, Rejection> {
        let token = token.ok_or(Rejection::MissingSignature)?;
        let token = std::str::from_utf8(token).map_err(|_| Rejection::MalformedToken)?;
        let raw = token::parse(token)?;
        let key = self.keys.get(&raw.kid).await.map_err(|e| match e {
            LookupError::Unknown => Rejection::UnknownKey,
            LookupError::Unusable => Rejection::UnusableKey,
            LookupError::Unavailable => Rejection::KeyFetchUnavailable,
            LookupError::Throttled => Rejection::KeyFetchThrottled,
        })?;
        if key.expired_at.is_some() {
            return Err(Rejection::KeyExpired);
        }
        let signature = token::signature(&raw).ok_or(Rejection::BadSignature)?;
        let valid = match &self.pool {
            Some(pool) => pool
                .verify(Arc::clone(&key), raw.signing_input.as_bytes(), signature)
                .await
                .map_err(|_| Rejection::VerifierUnavailable)?,
            None => key.signed(raw.signing_input.as_bytes(), &signature),
        };
        if !valid {
            return Err(Rejection::BadSignature);
        }
        // Claims are only read once the signature holds.
        let claims = token::claims(&raw)?;
        let iat = claims.iat.ok_or(Rejection::MissingIat)?;
        let max_age = i64::try_from(self.freshness.max_age.as_secs()).unwrap_or(i64::MAX);
        let skew = i64::try_from(self.freshness.max_future_skew.as_secs()).unwrap_or(i64::MAX);
        if iat < now.saturating_sub(max_age) {
            return Err(Rejection::StaleIat);
        }
        if iat > now.saturating_add(skew) {
            return Err(Rejection::FutureIat);
        }
        let claimed = claims
            .request_body_sha256
            .ok_or(Rejection::MissingBodyHash)?;
        let digest: [u8; 32] = Sha256::digest(body).into();
        let mut hex_digest = [0u8; 64];
        // 32 bytes always fit 64 hex digits.
        let _ = hex::encode_to_slice(digest, &mut hex_digest);
        if !bool::from(claimed.as_bytes().ct_eq(&hex_digest)) {
            return Err(Rejection::BodyHashMismatch);
        }
        Ok(Verified {
            body_sha256: digest,
            kid: raw.kid,
        })
    }
}
