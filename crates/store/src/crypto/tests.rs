//! Unit tests of the keyring: roundtrip, AAD binding, tampering, rotation, redaction.

use super::*;

fn ring(spec: &str) -> Keyring {
    Keyring::parse(spec).expect("valid keyring")
}

fn key(id: &str) -> String {
    Keyring::generate_key(id).expect("random key")
}

#[test]
fn roundtrip() {
    let k = ring(&key("k1"));
    let sealed = k
        .seal(b"access-sandbox-123", b"item:i1:access_token")
        .unwrap();
    assert_eq!(sealed.key_id, "k1");
    assert_eq!(sealed.ciphertext.len(), NONCE_LEN + 18 + TAG_LEN);
    assert!(
        !sealed
            .ciphertext
            .windows(18)
            .any(|w| w == b"access-sandbox-123")
    );
    let plain = k.open(&sealed, b"item:i1:access_token").unwrap();
    assert_eq!(plain.as_slice(), b"access-sandbox-123");
    let s = k
        .seal_str("0123456789", &aad("account", "a1", "account_number"))
        .unwrap();
    assert_eq!(
        k.open_string(&s, b"account:a1:account_number")
            .unwrap()
            .as_str(),
        "0123456789"
    );
}

#[test]
fn text_form_roundtrips() {
    let k = ring(&key("k1"));
    let sealed = k.seal(b"secret", b"aad").unwrap();
    let text = sealed.to_text();
    assert!(text.starts_with("k1:"));
    let back = Sealed::from_text(&text).unwrap();
    assert_eq!(back, sealed);
    assert_eq!(k.open(&back, b"aad").unwrap().as_slice(), b"secret");
    assert_eq!(Sealed::from_text("no-colon"), Err(CryptoError::Decrypt));
    assert_eq!(Sealed::from_text("k1:!!"), Err(CryptoError::Decrypt));
}

#[test]
fn same_plaintext_gives_different_ciphertexts() {
    let k = ring(&key("k1"));
    let a = k.seal(b"x", b"").unwrap();
    let b = k.seal(b"x", b"").unwrap();
    assert_ne!(a.ciphertext, b.ciphertext);
}

#[test]
fn wrong_aad_fails() {
    let k = ring(&key("k1"));
    let sealed = k.seal(b"secret", b"item:i1:access_token").unwrap();
    assert_eq!(
        k.open(&sealed, b"item:i2:access_token").unwrap_err(),
        CryptoError::Decrypt
    );
}

#[test]
fn tampering_fails() {
    let k = ring(&key("k1"));
    let sealed = k.seal(b"secret", b"aad").unwrap();
    for i in [0, NONCE_LEN, sealed.ciphertext.len() - 1] {
        let mut t = sealed.clone();
        t.ciphertext[i] ^= 1;
        assert_eq!(
            k.open(&t, b"aad").unwrap_err(),
            CryptoError::Decrypt,
            "byte {i}"
        );
    }
    let mut short = sealed.clone();
    short.ciphertext.truncate(NONCE_LEN + TAG_LEN - 1);
    assert_eq!(k.open(&short, b"aad").unwrap_err(), CryptoError::Decrypt);
}

#[test]
fn rotation() {
    let k1 = key("k1");
    let old = ring(&k1);
    let sealed_old = old.seal(b"secret", b"aad").unwrap();
    let rotated = ring(&format!("{}, {k1}", key("k2")));
    assert_eq!(rotated.active_key_id(), "k2");
    assert!(rotated.needs_rotation(&sealed_old));
    assert_eq!(
        rotated.open(&sealed_old, b"aad").unwrap().as_slice(),
        b"secret"
    );
    let resealed = rotated.seal(b"secret", b"aad").unwrap();
    assert_eq!(resealed.key_id, "k2");
    assert!(!rotated.needs_rotation(&resealed));
    assert_eq!(rotated.key_ids().collect::<Vec<_>>(), vec!["k2", "k1"]);
}

#[test]
fn unknown_key_id_is_a_clear_error() {
    let sealed = ring(&key("k9")).seal(b"secret", b"aad").unwrap();
    let err = ring(&key("k1")).open(&sealed, b"aad").unwrap_err();
    assert_eq!(err, CryptoError::UnknownKey("k9".into()));
    assert!(err.to_string().contains("k9"));
}

#[test]
fn same_id_different_key_fails_to_open() {
    let sealed = ring(&key("k1")).seal(b"secret", b"aad").unwrap();
    assert_eq!(
        ring(&key("k1")).open(&sealed, b"aad").unwrap_err(),
        CryptoError::Decrypt
    );
}

#[test]
fn bad_keyrings_are_rejected() {
    for bad in [
        "",
        "k1",
        "k1:notbase64!",
        "k1:AAAA",
        "bad id:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    ] {
        assert!(
            matches!(Keyring::parse(bad), Err(CryptoError::InvalidKeyring(_))),
            "{bad:?}"
        );
    }
    let k = key("k1");
    assert!(Keyring::parse(&format!("{k},{k}")).is_err());
    assert!(k.parse::<Keyring>().is_ok());
}

#[test]
fn debug_never_shows_key_material() {
    let entry = key("k1");
    let material = entry.split_once(':').unwrap().1.to_owned();
    let k = ring(&entry);
    let shown = format!("{k:?}");
    assert!(shown.contains("k1"));
    assert!(!shown.contains(&material));
    let sealed = k.seal(b"secret", b"aad").unwrap();
    assert!(!format!("{sealed:?}").contains("secret"));
}
