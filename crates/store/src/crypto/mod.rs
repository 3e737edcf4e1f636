//! Encryption of secrets at rest: AES-256-GCM with a keyring that supports rotation.
//!
//! A [`Keyring`] is parsed from `"k2:<base64 32 bytes>,k1:<base64 32 bytes>"`: the first key is
//! the active one (it seals); the others can still open what they sealed. Store the
//! [`Sealed::key_id`] beside the [`Sealed::ciphertext`] (two columns) and re-seal rows whose
//! [`Keyring::needs_rotation`] is true, at leisure, to retire an old key.
//!
//! **AAD binds a ciphertext to its place.** Always pass the row and column as associated data,
//! e.g. `b"item:<item_id>:access_token"` or `b"account:<account_id>:routing"`. Then a
//! ciphertext copied into another row or column fails to open, so someone who can write the
//! database but not read the key cannot swap one user's access token or account number into
//! another's row. [`aad`] builds such strings.
//!
//! The stored blob is `nonce (12 bytes) || ciphertext || tag (16 bytes)`; nonces are random
//! (96 bits), which is safe for far more than the number of secrets penny will ever seal
//! under one key. Key material never appears in `Debug` output.

use std::{fmt, str::FromStr};

use aws_lc_rs::{
    aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey},
    rand,
};
use base64::{Engine, engine::general_purpose::STANDARD};
use zeroize::Zeroizing;

const KEY_LEN: usize = 32;
const TAG_LEN: usize = 16;

/// Decrypted bytes, wiped from memory when dropped.
pub type SecretBytes = Zeroizing<Vec<u8>>;
/// A decrypted string, wiped from memory when dropped.
pub type SecretString = Zeroizing<String>;

/// A sealed secret: the id of the key that sealed it, and `nonce || ciphertext || tag`.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Id of the key that sealed it (store it in its own column).
    pub key_id: String,
    /// `nonce (12) || ciphertext || tag (16)`.
    pub ciphertext: Vec<u8>,
}

impl Sealed {
    /// One-column text form `"<key_id>:<base64 of nonce||ciphertext||tag>"`, for tables that
    /// keep a secret in a single text column instead of two.
    pub fn to_text(&self) -> String {
        format!("{}:{}", self.key_id, STANDARD.encode(&self.ciphertext))
    }

    /// Parses [`Sealed::to_text`]'s form.
    pub fn from_text(text: &str) -> Result<Self, CryptoError> {
        let (key_id, blob) = text.split_once(':').ok_or(CryptoError::Decrypt)?;
        let ciphertext = STANDARD.decode(blob).map_err(|_| CryptoError::Decrypt)?;
        Ok(Self {
            key_id: key_id.to_owned(),
            ciphertext,
        })
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealed")
            .field("key_id", &self.key_id)
            .field("len", &self.ciphertext.len())
            .finish()
    }
}

/// Why a keyring could not be built or a secret not opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// The keyring string is malformed.
    #[error("invalid keyring: {0}")]
    InvalidKeyring(String),
    /// The ciphertext names a key this keyring does not have.
    #[error("unknown encryption key id {0:?}: the keyring must still contain it")]
    UnknownKey(String),
    /// Authentication failed: wrong key, wrong AAD, or tampered/truncated ciphertext.
    #[error("decryption failed (wrong key or AAD, or tampered ciphertext)")]
    Decrypt,
    /// The plaintext is not UTF-8 (from `open_string`).
    #[error("decrypted value is not UTF-8")]
    NotUtf8,
    /// The crypto library failed to encrypt (should not happen).
    #[error("encryption failed")]
    Encrypt,
}

struct Key {
    id: String,
    key: RandomizedNonceKey,
}

/// A set of AES-256-GCM keys: the first one seals, all of them open.
pub struct Keyring {
    keys: Vec<Key>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("Keyring")
            .field("key_ids", &ids)
            .field("active", &self.active_key_id())
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// Parses `"k2:<base64>,k1:<base64>"` (standard base64 of 32 bytes each; ids of letters,
    /// digits, `_` or `-`; whitespace around entries ignored). The first key is active.
    pub fn parse(spec: &str) -> Result<Self, CryptoError> {
        let mut keys: Vec<Key> = Vec::new();
        for entry in spec.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, material) = entry.split_once(':').ok_or_else(|| {
                CryptoError::InvalidKeyring("each entry must be <id>:<base64 key>".into())
            })?;
            let id = id.trim();
            if id.is_empty()
                || id.len() > 32
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(CryptoError::InvalidKeyring(format!(
                    "key id {id:?} must be 1-32 letters, digits, '_' or '-'"
                )));
            }
            if keys.iter().any(|k| k.id == id) {
                return Err(CryptoError::InvalidKeyring(format!(
                    "duplicate key id {id:?}"
                )));
            }
            let bytes = Zeroizing::new(STANDARD.decode(material.trim()).map_err(|_| {
                CryptoError::InvalidKeyring(format!("key {id:?} is not valid base64"))
            })?);
            if bytes.len() != KEY_LEN {
                return Err(CryptoError::InvalidKeyring(format!(
                    "key {id:?} must be {KEY_LEN} bytes, got {}",
                    bytes.len()
                )));
            }
            let key = RandomizedNonceKey::new(&AES_256_GCM, &bytes).map_err(|_| {
                CryptoError::InvalidKeyring(format!("key {id:?} rejected by AES-256-GCM"))
            })?;
            keys.push(Key {
                id: id.to_owned(),
                key,
            });
        }
        if keys.is_empty() {
            return Err(CryptoError::InvalidKeyring("no keys".into()));
        }
        Ok(Self { keys })
    }

    /// A new random key entry `"<id>:<base64 32 bytes>"`, for docs, dev defaults and rotation.
    pub fn generate_key(id: &str) -> Result<String, CryptoError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rand::fill(bytes.as_mut()).map_err(|_| CryptoError::Encrypt)?;
        Ok(format!("{id}:{}", STANDARD.encode(bytes.as_ref())))
    }

    /// Id of the key that seals.
    pub fn active_key_id(&self) -> &str {
        self.keys.first().map_or("", |k| k.id.as_str())
    }

    /// Ids of all keys, active first.
    pub fn key_ids(&self) -> impl Iterator<Item = &str> {
        self.keys.iter().map(|k| k.id.as_str())
    }

    /// Encrypts `plaintext` with the active key, authenticating `aad` (see the module docs).
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Result<Sealed, CryptoError> {
        let active = self.keys.first().ok_or(CryptoError::Encrypt)?;
        let mut in_out = Vec::with_capacity(NONCE_LEN + plaintext.len() + TAG_LEN);
        in_out.extend_from_slice(&[0u8; NONCE_LEN]);
        in_out.extend_from_slice(plaintext);
        let (nonce, tag) = active
            .key
            .seal_in_place_separate_tag(Aad::from(aad), &mut in_out[NONCE_LEN..])
            .map_err(|_| CryptoError::Encrypt)?;
        in_out[..NONCE_LEN].copy_from_slice(nonce.as_ref());
        in_out.extend_from_slice(tag.as_ref());
        Ok(Sealed {
            key_id: active.id.clone(),
            ciphertext: in_out,
        })
    }

    /// Decrypts `sealed`, checking `aad`. The result is wiped when dropped.
    pub fn open(&self, sealed: &Sealed, aad: &[u8]) -> Result<SecretBytes, CryptoError> {
        let key = self
            .keys
            .iter()
            .find(|k| k.id == sealed.key_id)
            .ok_or_else(|| CryptoError::UnknownKey(sealed.key_id.clone()))?;
        if sealed.ciphertext.len() < NONCE_LEN + TAG_LEN {
            return Err(CryptoError::Decrypt);
        }
        let (nonce, body) = sealed.ciphertext.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Decrypt)?;
        let mut buffer = Zeroizing::new(body.to_vec());
        let plain_len = key
            .key
            .open_in_place(nonce, Aad::from(aad), buffer.as_mut_slice())
            .map_err(|_| CryptoError::Decrypt)?
            .len();
        buffer.truncate(plain_len);
        Ok(buffer)
    }

    /// [`Keyring::seal`] for a string.
    pub fn seal_str(&self, plaintext: &str, aad: &[u8]) -> Result<Sealed, CryptoError> {
        self.seal(plaintext.as_bytes(), aad)
    }

    /// [`Keyring::open`] for a string sealed with [`Keyring::seal_str`].
    pub fn open_string(&self, sealed: &Sealed, aad: &[u8]) -> Result<SecretString, CryptoError> {
        let mut bytes = self.open(sealed, aad)?;
        let taken = std::mem::take(&mut *bytes);
        String::from_utf8(taken).map(Zeroizing::new).map_err(|err| {
            // Wipe the rejected bytes too.
            drop(Zeroizing::new(err.into_bytes()));
            CryptoError::NotUtf8
        })
    }

    /// Whether `sealed` was sealed with a key other than the active one (re-seal it).
    pub fn needs_rotation(&self, sealed: &Sealed) -> bool {
        sealed.key_id != self.active_key_id()
    }
}

impl FromStr for Keyring {
    type Err = CryptoError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Associated data binding a ciphertext to `<table>:<row id>:<column>`, e.g.
/// `aad("item", item_id, "access_token")` = `b"item:<item_id>:access_token"`.
pub fn aad(table: &str, row_id: &str, column: &str) -> Vec<u8> {
    format!("{table}:{row_id}:{column}").into_bytes()
}

#[cfg(test)]
mod tests;
