//! Encryption of this service's secrets at rest: the Items' access tokens and the accounts'
//! numbers, sealed with [`penny_store::Keyring`] under AAD that binds each ciphertext to its
//! table, row and column (a ciphertext copied elsewhere fails to open).

use std::fmt;
use std::sync::Arc;

use penny_plaid::AccessToken;
use penny_store::crypto::aad;
use penny_store::{Keyring, Sealed};

/// The plaintext numbers of one account. `Debug` redacts them.
#[derive(Clone, PartialEq, Eq)]
pub struct Numbers {
    /// Account number.
    pub account: String,
    /// ACH routing number.
    pub routing: String,
    /// Wire routing number, when the bank has one.
    pub wire_routing: Option<String>,
}

impl fmt::Debug for Numbers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Numbers([redacted])")
    }
}

/// The sealed form of [`Numbers`], all under one key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedNumbers {
    pub key_id: String,
    /// Account number ciphertext.
    pub account_ct: Vec<u8>,
    /// Routing number ciphertext.
    pub routing_ct: Vec<u8>,
    /// Wire routing number ciphertext.
    pub wire_routing_ct: Option<Vec<u8>>,
}

/// Why a secret could not be sealed or opened. Never contains the secret.
#[derive(Debug, thiserror::Error)]
#[error("{what}: {source}")]
pub struct SecretsError {
    what: &'static str,
    #[source]
    source: penny_store::CryptoError,
}

const ITEMS: &str = "items";
const NUMBERS: &str = "account_numbers";

/// Seals and opens this service's secrets. Cheap to clone.
#[derive(Clone)]
pub struct Secrets {
    keyring: Arc<Keyring>,
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secrets")
            .field("active_key", &self.keyring.active_key_id())
            .finish()
    }
}

impl Secrets {
    /// Secrets sealed with `keyring`'s active key.
    pub fn new(keyring: Keyring) -> Self {
        Self {
            keyring: Arc::new(keyring),
        }
    }

    /// The active key id.
    pub fn active_key_id(&self) -> &str {
        self.keyring.active_key_id()
    }

    /// Seals an Item's access token.
    pub fn seal_access_token(
        &self,
        item_id: &str,
        token: &AccessToken,
    ) -> Result<Sealed, SecretsError> {
        self.keyring
            .seal_str(token.expose(), &aad(ITEMS, item_id, "access_token"))
            .map_err(|source| SecretsError {
                what: "sealing an access token",
                source,
            })
    }

    /// Opens an Item's access token.
    pub fn open_access_token(
        &self,
        item_id: &str,
        key_id: &str,
        ciphertext: &[u8],
    ) -> Result<AccessToken, SecretsError> {
        let sealed = Sealed {
            key_id: key_id.to_owned(),
            ciphertext: ciphertext.to_vec(),
        };
        let plain = self
            .keyring
            .open_string(&sealed, &aad(ITEMS, item_id, "access_token"))
            .map_err(|source| SecretsError {
                what: "opening an access token",
                source,
            })?;
        Ok(AccessToken::new(plain.as_str()))
    }

    /// Seals an account's numbers.
    pub fn seal_numbers(
        &self,
        account_id: &str,
        numbers: &Numbers,
    ) -> Result<SealedNumbers, SecretsError> {
        let seal = |value: &str, column: &str| {
            self.keyring
                .seal_str(value, &aad(NUMBERS, account_id, column))
                .map_err(|source| SecretsError {
                    what: "sealing account numbers",
                    source,
                })
        };
        let account = seal(&numbers.account, "account")?;
        let routing = seal(&numbers.routing, "routing")?;
        let wire = numbers
            .wire_routing
            .as_deref()
            .map(|w| seal(w, "wire_routing"))
            .transpose()?;
        Ok(SealedNumbers {
            key_id: account.key_id,
            account_ct: account.ciphertext,
            routing_ct: routing.ciphertext,
            wire_routing_ct: wire.map(|w| w.ciphertext),
        })
    }

    /// Opens an account's numbers.
    pub fn open_numbers(
        &self,
        account_id: &str,
        sealed: &SealedNumbers,
    ) -> Result<Numbers, SecretsError> {
        let open = |ct: &[u8], column: &str| {
            let sealed = Sealed {
                key_id: sealed.key_id.clone(),
                ciphertext: ct.to_vec(),
            };
            self.keyring
                .open_string(&sealed, &aad(NUMBERS, account_id, column))
                .map(|s| s.as_str().to_owned())
                .map_err(|source| SecretsError {
                    what: "opening account numbers",
                    source,
                })
        };
        Ok(Numbers {
            account: open(&sealed.account_ct, "account")?,
            routing: open(&sealed.routing_ct, "routing")?,
            wire_routing: sealed
                .wire_routing_ct
                .as_deref()
                .map(|w| open(w, "wire_routing"))
                .transpose()?,
        })
    }

    /// Whether something sealed under `key_id` should be re-sealed with the active key.
    pub fn needs_rotation(&self, key_id: &str) -> bool {
        key_id != self.keyring.active_key_id()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(spec: &str) -> Secrets {
        Secrets::new(Keyring::parse(spec).unwrap())
    }

    #[test]
    fn access_tokens_round_trip_and_are_bound_to_their_item() {
        let key = Keyring::generate_key("k1").unwrap();
        let s = secrets(&key);
        let token = AccessToken::new("access-sandbox-abc");
        let sealed = s.seal_access_token("item-1", &token).unwrap();
        assert_eq!(sealed.key_id, "k1");
        let opened = s
            .open_access_token("item-1", &sealed.key_id, &sealed.ciphertext)
            .unwrap();
        assert_eq!(opened.expose(), "access-sandbox-abc");
        assert!(
            s.open_access_token("item-2", &sealed.key_id, &sealed.ciphertext)
                .is_err()
        );
    }

    #[test]
    fn numbers_round_trip_and_columns_cannot_be_swapped() {
        let s = secrets(&Keyring::generate_key("k1").unwrap());
        let numbers = Numbers {
            account: "1111222233330000".into(),
            routing: "011401533".into(),
            wire_routing: Some("021000021".into()),
        };
        let sealed = s.seal_numbers("acc-1", &numbers).unwrap();
        assert_eq!(s.open_numbers("acc-1", &sealed).unwrap(), numbers);
        let swapped = SealedNumbers {
            account_ct: sealed.routing_ct.clone(),
            ..sealed.clone()
        };
        assert!(s.open_numbers("acc-1", &swapped).is_err());
        assert!(s.open_numbers("acc-2", &sealed).is_err());
        assert_eq!(format!("{numbers:?}"), "Numbers([redacted])");
    }
}
