//! KV key hygiene: turning arbitrary ids into safe key tokens and checking caller-chosen names.

use sha2::{Digest, Sha256};

/// Makes an id a safe KV key token: kept when it is plain `[A-Za-z0-9_-]` (at most 128 bytes),
/// else the first 16 bytes of its SHA-256 in hex.
pub(crate) fn key_token(id: &str) -> String {
    if !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        id.to_owned()
    } else {
        hex::encode(&Sha256::digest(id.as_bytes())[..16])
    }
}

/// Whether `key` is a valid KV key: `[-/_=.A-Za-z0-9]+`, not starting or ending with `.`
/// (the rule async-nats and the server apply).
pub(crate) fn is_valid_key(key: &str) -> bool {
    !key.is_empty()
        && !key.starts_with('.')
        && !key.ends_with('.')
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'/' | b'_' | b'=' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_tokens_are_safe() {
        assert_eq!(key_token("eVBnVMp7zdTJLkRNr33R"), "eVBnVMp7zdTJLkRNr33R");
        let hashed = key_token("a.b*c>");
        assert_eq!(hashed.len(), 32);
        assert!(hashed.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn valid_keys_follow_the_kv_rule() {
        for ok in ["sync", "transfer-events.sync", "a/b=c_d"] {
            assert!(is_valid_key(ok), "{ok}");
        }
        for bad in ["", ".sync", "sync.", "a b", "a*", "a>"] {
            assert!(!is_valid_key(bad), "{bad:?}");
        }
    }
}
