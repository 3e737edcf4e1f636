//! Identifier and token formats: `access-sandbox-<uuid>`, `public-sandbox-<uuid>`,
//! `link-sandbox-<uuid>`, 37-character Plaid-style item/account ids, 15-character request ids.

use rand::Rng;
use rand::distr::Alphanumeric;

/// A new access token.
pub fn access_token() -> String {
    format!("access-sandbox-{}", uuid::Uuid::new_v4())
}

/// A new public token.
pub fn public_token() -> String {
    format!("public-sandbox-{}", uuid::Uuid::new_v4())
}

/// A new link token.
pub fn link_token() -> String {
    format!("link-sandbox-{}", uuid::Uuid::new_v4())
}

/// A new Plaid-style object id (item, account): 37 alphanumeric characters.
pub fn object_id() -> String {
    random_alnum(37)
}

/// A new request id: 15 alphanumeric characters, like Plaid's.
pub fn request_id() -> String {
    random_alnum(15)
}

fn random_alnum(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert!(access_token().starts_with("access-sandbox-"));
        assert_eq!(access_token().len(), "access-sandbox-".len() + 36);
        assert!(public_token().starts_with("public-sandbox-"));
        assert!(link_token().starts_with("link-sandbox-"));
        assert_eq!(object_id().len(), 37);
        assert_eq!(request_id().len(), 15);
        assert_ne!(request_id(), request_id());
    }
}
