//! Webhook signing keys (ES256 / P-256) and the `Plaid-Verification` JWT.
//!
//! Key timestamps and the JWT `iat` use the wall clock, not the simulated one: receivers check
//! `iat` against their own clock (5-minute window), so a fast simulated clock must not leak here.

use std::sync::RwLock;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A public key as served by `/webhook_verification_key/get` (Plaid's `JWKPublicKey`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Jwk {
    /// Always `ES256`.
    pub alg: &'static str,
    /// Always `P-256`.
    pub crv: &'static str,
    /// Key id (the JWT header's `kid`).
    pub kid: String,
    /// Always `EC`.
    pub kty: &'static str,
    /// Always `sig`.
    #[serde(rename = "use")]
    pub use_: &'static str,
    /// base64url x coordinate.
    pub x: String,
    /// base64url y coordinate.
    pub y: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; null while current.
    pub expired_at: Option<i64>,
}

struct Entry {
    jwk: Jwk,
    key: EncodingKey,
}

/// The key set; the last key is the current one.
pub struct Keys {
    entries: RwLock<Vec<Entry>>,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys").finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    iat: i64,
    request_body_sha256: &'a str,
}

fn generate(now: i64) -> anyhow::Result<Entry> {
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .map_err(|_| anyhow::anyhow!("generating a P-256 key failed"))?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
        .map_err(|e| anyhow::anyhow!("parsing the generated key failed: {e}"))?;
    // Uncompressed point: 0x04 || x (32 bytes) || y (32 bytes).
    let point = pair.public_key().as_ref();
    anyhow::ensure!(
        point.len() == 65 && point[0] == 4,
        "unexpected public key encoding"
    );
    let jwk = Jwk {
        alg: "ES256",
        crv: "P-256",
        kid: uuid::Uuid::new_v4().to_string(),
        kty: "EC",
        use_: "sig",
        x: URL_SAFE_NO_PAD.encode(&point[1..33]),
        y: URL_SAFE_NO_PAD.encode(&point[33..65]),
        created_at: now,
        expired_at: None,
    };
    Ok(Entry {
        jwk,
        key: EncodingKey::from_ec_der(pkcs8.as_ref()),
    })
}

fn wall_now() -> i64 {
    chrono::Utc::now().timestamp()
}

impl Keys {
    /// A key set with one fresh key.
    pub fn new() -> anyhow::Result<Keys> {
        Ok(Keys {
            entries: RwLock::new(vec![generate(wall_now())?]),
        })
    }

    /// Makes a new current key and expires the previous one. Returns (new kid, expired kid).
    pub fn rotate(&self) -> anyhow::Result<(String, String)> {
        let now = wall_now();
        let fresh = generate(now)?;
        let kid = fresh.jwk.kid.clone();
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        let old = entries.last_mut().map(|e| {
            e.jwk.expired_at = Some(now);
            e.jwk.kid.clone()
        });
        entries.push(fresh);
        Ok((kid, old.unwrap_or_default()))
    }

    /// The public key with this kid.
    pub fn get(&self, kid: &str) -> Option<Jwk> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .iter()
            .find(|e| e.jwk.kid == kid)
            .map(|e| e.jwk.clone())
    }

    /// Every key, oldest first.
    pub fn all(&self) -> Vec<Jwk> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries.iter().map(|e| e.jwk.clone()).collect()
    }

    /// The `Plaid-Verification` value for `body`: an ES256 JWT with header
    /// `{alg, kid, typ: JWT}` and claims `{iat, request_body_sha256}`.
    pub fn sign(&self, body: &[u8]) -> anyhow::Result<String> {
        let digest = hex::encode(Sha256::digest(body));
        let claims = Claims {
            iat: wall_now(),
            request_body_sha256: &digest,
        };
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let current = entries
            .last()
            .ok_or_else(|| anyhow::anyhow!("no signing key"))?;
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(current.jwk.kid.clone());
        Ok(jsonwebtoken::encode(&header, &claims, &current.key)?)
    }
}

impl Keys {
    /// Signs arbitrary `claims` as a `Plaid-Verification` JWT with the key `kid` (default: the
    /// current key), expired keys included. For the control API: tests and load generators need
    /// tokens with chosen claims (stale `iat`, missing fields) signed by a key the receiver trusts.
    /// Returns (token, kid).
    pub fn sign_claims(
        &self,
        claims: &serde_json::Value,
        kid: Option<&str>,
    ) -> anyhow::Result<(String, String)> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let entry = match kid {
            Some(kid) => entries
                .iter()
                .find(|e| e.jwk.kid == kid)
                .ok_or_else(|| anyhow::anyhow!("unknown kid {kid}"))?,
            None => entries
                .last()
                .ok_or_else(|| anyhow::anyhow!("no signing key"))?,
        };
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(entry.jwk.kid.clone());
        let token = jsonwebtoken::encode(&header, claims, &entry.key)?;
        Ok((token, entry.jwk.kid.clone()))
    }

    /// The claims Plaid puts in a webhook's JWT: `iat` (default now) and the body's SHA-256.
    pub fn webhook_claims(body: &[u8], iat: Option<i64>) -> serde_json::Value {
        serde_json::json!({
            "iat": iat.unwrap_or_else(wall_now),
            "request_body_sha256": hex::encode(Sha256::digest(body)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    #[derive(serde::Deserialize)]
    struct Decoded {
        iat: i64,
        request_body_sha256: String,
    }

    fn verify(jwk: &Jwk, token: &str) -> Decoded {
        let key = DecodingKey::from_ec_components(&jwk.x, &jwk.y).expect("key");
        let mut v = Validation::new(Algorithm::ES256);
        v.required_spec_claims.clear();
        v.validate_exp = false;
        jsonwebtoken::decode::<Decoded>(token, &key, &v)
            .expect("valid signature")
            .claims
    }

    #[test]
    fn signature_verifies_with_served_key() {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let keys = Keys::new().expect("keys");
        let body = b"{\n  \"a\": 1\n}";
        let token = keys.sign(body).expect("signed");
        let header = jsonwebtoken::decode_header(&token).expect("header");
        assert_eq!(header.alg, Algorithm::ES256);
        assert_eq!(header.typ.as_deref(), Some("JWT"));
        let jwk = keys
            .get(header.kid.as_deref().expect("kid"))
            .expect("served");
        let claims = verify(&jwk, &token);
        assert_eq!(
            claims.request_body_sha256,
            hex::encode(Sha256::digest(body))
        );
        assert!((claims.iat - wall_now()).abs() < 5);
    }

    #[test]
    fn rotation_expires_the_old_key() {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let keys = Keys::new().expect("keys");
        let (new, old) = keys.rotate().expect("rotated");
        assert!(keys.get(&old).expect("old kept").expired_at.is_some());
        assert!(keys.get(&new).expect("new").expired_at.is_none());
        let token = keys.sign(b"{}").expect("signed");
        let kid = jsonwebtoken::decode_header(&token).expect("header").kid;
        assert_eq!(kid.as_deref(), Some(new.as_str()));
    }
}
