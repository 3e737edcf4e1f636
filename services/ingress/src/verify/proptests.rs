//! Property tests of what a caller controls: the body and the `Plaid-Verification` value.
//! Arbitrary bytes never panic and never verify; a valid signed webhook with any one byte of
//! its body or its token changed never verifies; the envelope parser never panics on any body.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

use super::tests::{NOW, body_hash, sign, test_key, verifier_in};
use super::*;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

/// Whether the token `token` makes verifies over `body`, with a verifier that knows one key,
/// `k1`; `token` is given a signer that makes a good token with that key for any body.
fn verifies(body: &[u8], token: impl FnOnce(&dyn Fn(&[u8]) -> String) -> Vec<u8>) -> bool {
    runtime().block_on(async {
        let key = test_key("k1");
        let verifier = verifier_in(VerifyMode::Inline, &[&key]).await;
        let signed = |body: &[u8]| {
            let claims = serde_json::json!({"iat": NOW, "request_body_sha256": body_hash(body)});
            sign(&key, "k1", &claims)
        };
        let token = token(&signed);
        verifier.verify(Some(&token), body, NOW).await.is_ok()
    })
}

// 256 cases each in `just test`; `PROPTEST_CASES` sets more (`just test-faults`).
proptest! {

    #[test]
    fn arbitrary_bytes_never_verify(
        body in vec(any::<u8>(), 0..2048),
        token in vec(any::<u8>(), 0..1024),
    ) {
        prop_assert!(!verifies(&body, |_| token.clone()));
    }

    #[test]
    fn arbitrary_tokens_shaped_like_a_jwt_never_verify(
        body in vec(any::<u8>(), 0..512),
        token in "[A-Za-z0-9_-]{0,64}\\.[A-Za-z0-9_-]{0,256}\\.[A-Za-z0-9_-]{0,128}",
    ) {
        prop_assert!(!verifies(&body, |_| token.clone().into_bytes()));
    }

    #[test]
    fn a_signed_webhook_verifies_and_any_changed_byte_does_not(
        body in vec(any::<u8>(), 1..512),
        at in any::<Index>(),
        flip in 1u8..=255,
        in_token in any::<bool>(),
    ) {
        // The control: unchanged, it verifies.
        let unchanged = verifies(&body, |signed| signed(&body).into_bytes());
        prop_assert!(unchanged, "a good token verifies");
        let verified = if in_token {
            let changed_token = |signed: &dyn Fn(&[u8]) -> String| {
                let mut token = signed(&body).into_bytes();
                let i = at.index(token.len());
                token[i] ^= flip;
                token
            };
            verifies(&body, changed_token)
        } else {
            let mut other = body.clone();
            let i = at.index(other.len());
            other[i] ^= flip;
            // Signed for the original body, presented with the changed one.
            verifies(&other, |signed| signed(&body).into_bytes())
        };
        prop_assert!(!verified, "a changed byte verified (in the token: {})", in_token);
    }

    #[test]
    fn the_envelope_parser_never_panics(body in vec(any::<u8>(), 0..2048)) {
        let _ = crate::envelope::parse(&body, "sandbox");
    }

    #[test]
    fn the_envelope_parser_never_panics_on_json_like_bodies(
        body in "\\{(\"(webhook_type|webhook_code|environment|item_id)\":(\"[A-Z_a-z]{0,20}\"|[0-9]{1,3}|null|\\{\\}),?){0,6}\\}",
    ) {
        let _ = crate::envelope::parse(body.as_bytes(), "sandbox");
    }
}
