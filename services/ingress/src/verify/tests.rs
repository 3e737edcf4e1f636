//! Unit tests of the key cache and the verifier against an in-memory key source (the HTTP
//! source is exercised against the real sandbox in `tests/`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures::FutureExt as _;
use futures::future::BoxFuture;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sha2::{Digest as _, Sha256};

use super::*;
use crate::metrics::{KeyFetchOutcome, Metrics};

pub(super) struct TestKey {
    jwk: VerificationKey,
    signing: EncodingKey,
}

pub(super) fn test_key(kid: &str) -> TestKey {
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .expect("keygen");
    let pair =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).expect("parse");
    let point = pair.public_key().as_ref();
    TestKey {
        jwk: VerificationKey::es256(kid, point, 1).expect("an uncompressed P-256 point"),
        signing: EncodingKey::from_ec_der(pkcs8.as_ref()),
    }
}

#[derive(Default)]
struct MemorySource {
    keys: Mutex<HashMap<String, VerificationKey>>,
    calls: Mutex<HashMap<String, usize>>,
    total: AtomicUsize,
    delay: Duration,
    down: std::sync::atomic::AtomicBool,
}

impl MemorySource {
    fn calls(&self, kid: &str) -> usize {
        self.calls.lock().unwrap().get(kid).copied().unwrap_or(0)
    }
}

impl KeySource for MemorySource {
    fn fetch<'a>(&'a self, kid: &'a str) -> BoxFuture<'a, Result<VerificationKey, FetchError>> {
        async move {
            self.total.fetch_add(1, Ordering::SeqCst);
            *self
                .calls
                .lock()
                .unwrap()
                .entry(kid.to_owned())
                .or_default() += 1;
            tokio::time::sleep(self.delay).await;
            if self.down.load(Ordering::SeqCst) {
                return Err(FetchError::Unavailable("down".into()));
            }
            self.keys
                .lock()
                .unwrap()
                .get(kid)
                .cloned()
                .ok_or(FetchError::Rejected)
        }
        .boxed()
    }
}

fn cache(source: &Arc<MemorySource>, settings: KeyCacheSettings) -> (Arc<KeyCache>, Arc<Metrics>) {
    let metrics = Arc::new(Metrics::new());
    let src: Arc<dyn KeySource> = source.clone();
    (KeyCache::new(src, settings, Arc::clone(&metrics)), metrics)
}

pub(super) fn sign(key: &TestKey, kid: &str, claims: &serde_json::Value) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &key.signing).expect("sign")
}

pub(super) fn body_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

pub(super) const NOW: i64 = 1_800_000_000;

#[tokio::test]
async fn concurrent_requests_for_a_new_kid_share_one_fetch() {
    let source = Arc::new(MemorySource {
        delay: Duration::from_millis(50),
        ..Default::default()
    });
    let k = test_key("k1");
    source
        .keys
        .lock()
        .unwrap()
        .insert("k1".into(), k.jwk.clone());
    let (cache, metrics) = cache(&source, KeyCacheSettings::default());
    let gets = (0..100).map(|_| {
        let cache = Arc::clone(&cache);
        tokio::spawn(async move { cache.get("k1").await.is_ok() })
    });
    for ok in futures::future::join_all(gets).await {
        assert!(ok.unwrap());
    }
    assert_eq!(source.calls("k1"), 1);
    assert_eq!(metrics.key_fetches(KeyFetchOutcome::Found), 1);
    assert!(cache.get("k1").await.is_ok());
    assert_eq!(source.calls("k1"), 1);
}

#[tokio::test]
async fn a_cancelled_leader_does_not_restart_the_flight() {
    let source = Arc::new(MemorySource {
        delay: Duration::from_millis(100),
        ..Default::default()
    });
    let k = test_key("k1");
    source
        .keys
        .lock()
        .unwrap()
        .insert("k1".into(), k.jwk.clone());
    let (cache, _) = cache(&source, KeyCacheSettings::default());
    let leader = {
        let cache = Arc::clone(&cache);
        tokio::spawn(async move { cache.get("k1").await.is_ok() })
    };
    tokio::time::sleep(Duration::from_millis(10)).await;
    leader.abort();
    assert!(cache.get("k1").await.is_ok());
    assert_eq!(source.calls("k1"), 1);
}

#[tokio::test]
async fn rejected_kids_are_remembered() {
    let source = Arc::new(MemorySource::default());
    let (cache, metrics) = cache(&source, KeyCacheSettings::default());
    for _ in 0..20 {
        assert_eq!(cache.get("nope").await.err(), Some(LookupError::Unknown));
    }
    assert_eq!(source.calls("nope"), 1);
    assert_eq!(metrics.key_negative_hits_total(), 19);
}

#[tokio::test]
async fn a_flood_of_random_kids_is_bounded_by_the_flight_budget() {
    let source = Arc::new(MemorySource::default());
    let settings = KeyCacheSettings {
        flights_per_second: 0.0,
        flight_burst: 5,
        ..KeyCacheSettings::default()
    };
    let (cache, _) = cache(&source, settings);
    let mut throttled = 0;
    for i in 0..200 {
        match cache.get(&format!("random-{i}")).await {
            Err(LookupError::Throttled) => throttled += 1,
            Err(LookupError::Unknown) => {}
            other => panic!("unexpected {:?}", other.map(|_| ())),
        }
    }
    assert_eq!(source.total.load(Ordering::SeqCst), 5);
    assert_eq!(throttled, 195);
}

#[tokio::test]
async fn unavailable_is_not_cached() {
    let source = Arc::new(MemorySource::default());
    source.down.store(true, Ordering::SeqCst);
    let k = test_key("k1");
    source
        .keys
        .lock()
        .unwrap()
        .insert("k1".into(), k.jwk.clone());
    let (cache, _) = cache(&source, KeyCacheSettings::default());
    assert_eq!(cache.get("k1").await.err(), Some(LookupError::Unavailable));
    source.down.store(false, Ordering::SeqCst);
    assert!(cache.get("k1").await.is_ok());
    assert_eq!(source.calls("k1"), 2);
}

#[tokio::test]
async fn a_new_kid_refreshes_current_keys_and_notices_rotation() {
    let source = Arc::new(MemorySource::default());
    let old = test_key("old");
    source
        .keys
        .lock()
        .unwrap()
        .insert("old".into(), old.jwk.clone());
    let (cache, _) = cache(&source, KeyCacheSettings::default());
    assert_eq!(cache.get("old").await.unwrap().expired_at, None);
    // Rotation at Plaid: the old key gets expired_at, a new key appears.
    let new = test_key("new");
    {
        let mut keys = source.keys.lock().unwrap();
        keys.get_mut("old").unwrap().expired_at = Some(NOW);
        keys.insert("new".into(), new.jwk.clone());
    }
    assert!(cache.get("new").await.is_ok());
    assert_eq!(source.calls("old"), 2);
    assert_eq!(cache.get("old").await.unwrap().expired_at, Some(NOW));
    // Expired keys are not refreshed again.
    let newer = test_key("newer");
    source
        .keys
        .lock()
        .unwrap()
        .insert("newer".into(), newer.jwk.clone());
    assert!(cache.get("newer").await.is_ok());
    assert_eq!(source.calls("old"), 2);
    assert_eq!(source.calls("new"), 2);
}

#[tokio::test]
async fn unusable_keys_are_refused() {
    let source = Arc::new(MemorySource::default());
    let mut k = test_key("k1").jwk;
    k.crv = "P-384".into();
    source.keys.lock().unwrap().insert("k1".into(), k);
    let (cache, _) = cache(&source, KeyCacheSettings::default());
    assert_eq!(cache.get("k1").await.err(), Some(LookupError::Unusable));
}

async fn verifier_with(keys: &[&TestKey]) -> SignatureVerifier {
    verifier_in(VerifyMode::Pool(1), keys).await
}

pub(super) async fn verifier_in(mode: VerifyMode, keys: &[&TestKey]) -> SignatureVerifier {
    let source = Arc::new(MemorySource::default());
    for k in keys {
        source
            .keys
            .lock()
            .unwrap()
            .insert(k.jwk.kid.clone(), k.jwk.clone());
    }
    let (cache, _) = cache(&source, KeyCacheSettings::default());
    SignatureVerifier::new(cache, FreshnessSettings::default(), mode).unwrap()
}

#[tokio::test]
async fn on_a_pool_the_verifier_accepts_a_good_token_and_rejects_each_defect() {
    accepts_a_good_token_and_rejects_each_defect(VerifyMode::Pool(1)).await;
}

#[tokio::test]
async fn inline_the_verifier_accepts_a_good_token_and_rejects_each_defect() {
    accepts_a_good_token_and_rejects_each_defect(VerifyMode::Inline).await;
}

async fn accepts_a_good_token_and_rejects_each_defect(mode: VerifyMode) {
    let key = test_key("k1");
    let other = test_key("k1");
    let verifier = verifier_in(mode, &[&key]).await;
    let body = br#"{"webhook_type":"AUTH"}"#;
    let good = serde_json::json!({"iat": NOW, "request_body_sha256": body_hash(body)});
    let check = |token: String, body: &'static [u8]| {
        let verifier = verifier.clone();
        async move {
            verifier
                .verify(Some(token.as_bytes()), body, NOW)
                .await
                .map(|v| v.kid)
        }
    };
    assert_eq!(
        check(sign(&key, "k1", &good), body).await,
        Ok("k1".to_owned())
    );
    assert_eq!(
        verifier.verify(None, body, NOW).await.err(),
        Some(Rejection::MissingSignature)
    );
    assert_eq!(
        check(sign(&other, "k1", &good), body).await,
        Err(Rejection::BadSignature)
    );
    assert_eq!(
        check(sign(&key, "k2", &good), body).await,
        Err(Rejection::UnknownKey)
    );
    let with = |v: serde_json::Value| sign(&key, "k1", &v);
    assert_eq!(
        check(
            with(serde_json::json!({"iat": NOW - 301, "request_body_sha256": body_hash(body)})),
            body
        )
        .await,
        Err(Rejection::StaleIat)
    );
    assert_eq!(
        check(
            with(serde_json::json!({"iat": NOW - 300, "request_body_sha256": body_hash(body)})),
            body
        )
        .await,
        Ok("k1".to_owned())
    );
    assert_eq!(
        check(
            with(serde_json::json!({"iat": NOW + 31, "request_body_sha256": body_hash(body)})),
            body
        )
        .await,
        Err(Rejection::FutureIat)
    );
    assert_eq!(
        check(
            with(serde_json::json!({"request_body_sha256": body_hash(body)})),
            body
        )
        .await,
        Err(Rejection::MissingIat)
    );
    assert_eq!(
        check(
            with(serde_json::json!({"iat": "soon", "request_body_sha256": body_hash(body)})),
            body
        )
        .await,
        Err(Rejection::InvalidClaims)
    );
    assert_eq!(
        check(with(serde_json::json!({"iat": NOW})), body).await,
        Err(Rejection::MissingBodyHash)
    );
    assert_eq!(
        check(with(serde_json::json!({"iat": NOW, "request_body_sha256": body_hash(body).to_uppercase()})), body).await,
        Err(Rejection::BodyHashMismatch)
    );
    assert_eq!(
        check(sign(&key, "k1", &good), br#"{"webhook_type":"AUTH" }"#).await,
        Err(Rejection::BodyHashMismatch)
    );
    // A valid signature moved onto other claims does not verify.
    let token = sign(&key, "k1", &good);
    let parts: Vec<&str> = token.split('.').collect();
    let forged_claims = URL_SAFE_NO_PAD.encode(
        serde_json::json!({"iat": NOW, "request_body_sha256": body_hash(b"{}")}).to_string(),
    );
    let forged = format!("{}.{}.{}", parts[0], forged_claims, parts[2]);
    assert_eq!(check(forged, b"{}").await, Err(Rejection::BadSignature));
}

#[tokio::test]
async fn expired_keys_are_refused() {
    let mut key = test_key("k1");
    key.jwk.expired_at = Some(NOW - 10);
    let verifier = verifier_with(&[&key]).await;
    let body = b"{}";
    let token = sign(
        &key,
        "k1",
        &serde_json::json!({"iat": NOW, "request_body_sha256": body_hash(body)}),
    );
    assert_eq!(
        verifier
            .verify(Some(token.as_bytes()), body, NOW)
            .await
            .err(),
        Some(Rejection::KeyExpired)
    );
}

#[test]
fn a_key_is_made_only_from_an_uncompressed_p256_point() {
    let good = test_key("k1").jwk;
    assert_eq!((good.alg.as_str(), good.crv.as_str()), ("ES256", "P-256"));
    assert_eq!(
        (good.x.len(), good.y.len()),
        (43, 43),
        "32 bytes each, base64url"
    );
    let mut compressed = vec![0x02];
    compressed.extend([7u8; 32]);
    assert_eq!(VerificationKey::es256("k", &compressed, 1), None);
    assert_eq!(VerificationKey::es256("k", &[0x04; 64], 1), None);
    assert_eq!(VerificationKey::es256("k", &[0x05; 65], 1), None);
}
