//! Link tokens and public tokens (30-minute, single-use).

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};

use chrono::{DateTime, Utc};

use crate::error::ApiError;
use crate::ids;

/// Public tokens expire 30 minutes after creation.
pub const PUBLIC_TOKEN_TTL: chrono::Duration = chrono::Duration::minutes(30);
/// Link tokens for a new Item live 4 hours.
pub const LINK_TOKEN_TTL: chrono::Duration = chrono::Duration::hours(4);
/// Link tokens for update mode live 30 minutes.
pub const UPDATE_LINK_TOKEN_TTL: chrono::Duration = chrono::Duration::minutes(30);

/// What a link token was created with.
#[derive(Debug, Clone)]
pub struct LinkToken {
    /// Webhook URL the Item will get.
    pub webhook: Option<String>,
    /// Products requested.
    pub products: Vec<String>,
    /// `auth.automated_microdeposits_enabled`.
    pub automated_microdeposits: bool,
    /// `auth.same_day_microdeposits_enabled`.
    pub same_day_microdeposits: bool,
    /// Expiry (simulated time).
    pub expires_at: DateTime<Utc>,
    /// Set in update mode: the Item being repaired.
    pub access_token: Option<String>,
}

#[derive(Debug)]
struct PublicToken {
    access_token: String,
    created_at: DateTime<Utc>,
    exchanged: bool,
    new_item: bool,
}

/// Result of a successful exchange.
#[derive(Debug)]
pub struct Exchanged {
    /// The Item's access token.
    pub access_token: String,
    /// False for update-mode public tokens (the Item already existed).
    pub new_item: bool,
}

/// Token registry.
#[derive(Debug, Default)]
pub struct Tokens {
    link: RwLock<HashMap<String, LinkToken>>,
    public: Mutex<HashMap<String, PublicToken>>,
}

impl Tokens {
    /// Registers a link token and returns it.
    pub fn add_link(&self, token: LinkToken) -> String {
        let id = ids::link_token();
        self.link
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone(), token);
        id
    }

    /// A usable link token (sandbox link tokens may be used more than once).
    pub fn link(&self, token: &str, now: DateTime<Utc>) -> Result<LinkToken, ApiError> {
        let map = self.link.read().unwrap_or_else(|e| e.into_inner());
        let lt = map
            .get(token)
            .ok_or_else(|| ApiError::invalid_link_token("provided link token is invalid"))?;
        if lt.expires_at <= now {
            return Err(ApiError::invalid_link_token(
                "provided link token is expired",
            ));
        }
        Ok(lt.clone())
    }

    /// Creates a public token for the Item behind `access_token`.
    pub fn add_public(&self, access_token: &str, now: DateTime<Utc>, new_item: bool) -> String {
        let id = ids::public_token();
        let token = PublicToken {
            access_token: access_token.to_owned(),
            created_at: now,
            exchanged: false,
            new_item,
        };
        self.public
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone(), token);
        id
    }

    /// Exchanges a public token once, within 30 simulated minutes.
    pub fn exchange(&self, public_token: &str, now: DateTime<Utc>) -> Result<Exchanged, ApiError> {
        let mut map = self.public.lock().unwrap_or_else(|e| e.into_inner());
        let pt = map.get_mut(public_token).ok_or_else(|| {
            ApiError::invalid_public_token("could not find matching public token")
        })?;
        if pt.exchanged {
            return Err(ApiError::invalid_public_token(
                "provided public token has already been exchanged",
            ));
        }
        if now - pt.created_at > PUBLIC_TOKEN_TTL {
            return Err(ApiError::invalid_public_token(
                "provided public token is expired. Public tokens expire 30 minutes after creation at which point they can no longer be exchanged",
            ));
        }
        pt.exchanged = true;
        Ok(Exchanged {
            access_token: pt.access_token.clone(),
            new_item: pt.new_item,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_token_is_single_use_and_expires() {
        let t = Tokens::default();
        let now = Utc::now();
        let p = t.add_public("access-sandbox-x", now, true);
        assert!(p.starts_with("public-sandbox-"));
        let ex = t.exchange(&p, now).expect("first exchange");
        assert_eq!(ex.access_token, "access-sandbox-x");
        assert!(ex.new_item);
        let e = t.exchange(&p, now).expect_err("second exchange");
        assert_eq!(e.error_code, "INVALID_PUBLIC_TOKEN");
        let p2 = t.add_public("access-sandbox-y", now, true);
        let e = t
            .exchange(&p2, now + chrono::Duration::minutes(31))
            .expect_err("expired");
        assert!(e.message.contains("expired"));
        assert!(t.exchange("public-sandbox-nope", now).is_err());
    }

    #[test]
    fn link_token_expires() {
        let t = Tokens::default();
        let now = Utc::now();
        let lt = t.add_link(LinkToken {
            webhook: None,
            products: vec!["auth".into()],
            automated_microdeposits: true,
            same_day_microdeposits: false,
            expires_at: now + LINK_TOKEN_TTL,
            access_token: None,
        });
        assert!(t.link(&lt, now).is_ok());
        let e = t
            .link(&lt, now + chrono::Duration::hours(5))
            .expect_err("expired");
        assert_eq!(e.error_code, "INVALID_LINK_TOKEN");
        assert!(t.link("link-sandbox-nope", now).is_err());
    }
}
