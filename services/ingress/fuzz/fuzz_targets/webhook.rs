//! libFuzzer target over what a webhook's sender controls: the body and the
//! `Plaid-Verification` header, through the same parser and verifier ingress runs.
//!
//! The input's first byte picks a case:
//! - even: the rest is `token \n body`, both arbitrary; it must never verify (nobody without
//!   the key can make a token), and the envelope parser must not panic on the body;
//! - odd: the next four bytes say where and how to change one byte (position, XOR mask, token or
//!   body) and the rest is a body; a token is signed for it with the key the verifier trusts, the
//!   unchanged pair must verify and the changed one must not.
//!
//! A panic anywhere (parser, verifier, a failed check) is a finding. `just fuzz` runs it.

#![no_main]

use std::sync::{Arc, OnceLock};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair as _};
use futures::FutureExt as _;
use futures::future::BoxFuture;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use libfuzzer_sys::fuzz_target;
use penny_ingress::Metrics;
use penny_ingress::verify::{
    FetchError, FreshnessSettings, KeyCache, KeyCacheSettings, KeySource, SignatureVerifier,
    VerificationKey, VerifyMode,
};
use sha2::{Digest as _, Sha256};

/// The time every token is signed and checked at (Unix seconds).
const NOW: i64 = 1_800_000_000;
/// The one key id the verifier knows.
const KID: &str = "fuzz-key";

fuzz_target!(|data: &[u8]| check(data));

fn check(data: &[u8]) {
    let Some((&case, rest)) = data.split_first() else {
        return;
    };
    let fx = fixture();
    if case % 2 == 0 {
        let (token, body) = match rest.iter().position(|b| *b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &[][..]),
        };
        let _ = penny_ingress::envelope::parse(body, "sandbox");
        assert!(!fx.verifies(token, body), "an arbitrary token verified");
    } else {
        let Some((change, body)) = rest.split_at_checked(4) else {
            return;
        };
        let token = fx.sign(body).into_bytes();
        assert!(fx.verifies(&token, body), "a good token did not verify");
        let at = usize::from(u16::from_le_bytes([change[0], change[1]]));
        let mask = change[2].max(1);
        let (mut token, mut body) = (token, body.to_vec());
        let target = if change[3] % 2 == 0 {
            &mut token
        } else {
            &mut body
        };
        if target.is_empty() {
            return;
        }
        let i = at % target.len();
        target[i] ^= mask;
        assert!(!fx.verifies(&token, &body), "a changed byte verified");
    }
}

/// What every run shares: a runtime, the signing key and a verifier that trusts it.
struct Fixture {
    runtime: tokio::runtime::Runtime,
    signing: EncodingKey,
    verifier: SignatureVerifier,
}

impl Fixture {
    fn verifies(&self, token: &[u8], body: &[u8]) -> bool {
        self.runtime
            .block_on(self.verifier.verify(Some(token), body, NOW))
            .is_ok()
    }

    fn sign(&self, body: &[u8]) -> String {
        let claims = serde_json::json!({
            "iat": NOW,
            "request_body_sha256": hex::encode(Sha256::digest(body)),
        });
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(KID.to_owned());
        jsonwebtoken::encode(&header, &claims, &self.signing).expect("signing")
    }
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("a P-256 key");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
            .expect("the key just made");
        let jwk = VerificationKey::es256(KID, pair.public_key().as_ref(), 1)
            .expect("an uncompressed P-256 point");
        let cache = KeyCache::new(
            Arc::new(OneKey(jwk)),
            KeyCacheSettings::default(),
            Arc::new(Metrics::new()),
        );
        let verifier =
            SignatureVerifier::new(cache, FreshnessSettings::default(), VerifyMode::Inline)
                .expect("an inline verifier");
        Fixture {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime"),
            signing: EncodingKey::from_ec_der(pkcs8.as_ref()),
            verifier,
        }
    })
}

/// Plaid's key endpoint as the verifier sees it: one key, every other id rejected.
struct OneKey(VerificationKey);

impl KeySource for OneKey {
    fn fetch<'a>(&'a self, kid: &'a str) -> BoxFuture<'a, Result<VerificationKey, FetchError>> {
        let key = (kid == self.0.kid).then(|| self.0.clone());
        async move { key.ok_or(FetchError::Rejected) }.boxed()
    }
}
