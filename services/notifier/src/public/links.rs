//! One-click unsubscribe links (RFC 8058): `<public URL>/unsubscribe/<token>`, where the token
//! names the person, the kind and the channel and carries an HMAC-SHA256 tag under the link
//! key, so nobody can forge one for someone else. The person's user id is the app's opaque id
//! (never an address), so a link shows nothing personal.

use std::fmt;

use aws_lc_rs::{constant_time, hmac};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::domain::{AlertKind, Channel};

/// Signs and checks unsubscribe links.
#[derive(Clone)]
pub struct Links {
    key: hmac::Key,
    base_url: String,
}

impl fmt::Debug for Links {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Links")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// What an unsubscribe link switches off.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsubscribe {
    /// The app's user id.
    pub user_id: String,
    /// The kind.
    pub kind: AlertKind,
    /// The channel.
    pub channel: Channel,
}

const SEPARATOR: char = '\u{1f}';

impl Links {
    /// Links under `base_url` (the notifier's public URL), signed with `key`.
    pub fn new(key: &[u8], base_url: &str) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, key),
            base_url: base_url.trim_end_matches('/').to_owned(),
        }
    }

    /// The one-click link switching `kind` off on `channel` for `user_id`; `None` for kinds
    /// that protect the user (they cannot be switched off).
    pub fn unsubscribe_url(
        &self,
        user_id: &str,
        kind: AlertKind,
        channel: Channel,
    ) -> Option<String> {
        if kind.is_protective() {
            return None;
        }
        let payload = format!("{user_id}{SEPARATOR}{kind}{SEPARATOR}{channel}");
        let tag = hmac::sign(&self.key, payload.as_bytes());
        Some(format!(
            "{}/unsubscribe/{}.{}",
            self.base_url,
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(tag.as_ref())
        ))
    }

    /// What `token` switches off, if it is one of ours (and not for a protective kind).
    pub fn verify(&self, token: &str) -> Option<Unsubscribe> {
        let (payload, tag) = token.split_once('.')?;
        let payload = URL_SAFE_NO_PAD.decode(payload).ok()?;
        let tag = URL_SAFE_NO_PAD.decode(tag).ok()?;
        let expected = hmac::sign(&self.key, &payload);
        constant_time::verify_slices_are_equal(expected.as_ref(), &tag).ok()?;
        let payload = String::from_utf8(payload).ok()?;
        let mut parts = payload.split(SEPARATOR);
        let user_id = parts.next()?.to_owned();
        let kind: AlertKind = parts.next()?.parse().ok()?;
        let channel: Channel = parts.next()?.parse().ok()?;
        if parts.next().is_some() || kind.is_protective() {
            return None;
        }
        Some(Unsubscribe {
            user_id,
            kind,
            channel,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_round_trip_and_refuse_forgeries() {
        let links = Links::new(
            b"0123456789abcdef0123456789abcdef",
            "https://n.example.com/",
        );
        let url = links
            .unsubscribe_url("user-1", AlertKind::AccountVerified, Channel::Email)
            .unwrap();
        let token = url
            .strip_prefix("https://n.example.com/unsubscribe/")
            .unwrap();
        assert_eq!(
            links.verify(token),
            Some(Unsubscribe {
                user_id: "user-1".into(),
                kind: AlertKind::AccountVerified,
                channel: Channel::Email
            })
        );
        let other = Links::new(b"another key, another key, anoth", "https://n.example.com");
        assert_eq!(other.verify(token), None, "another key");
        let (payload, tag) = token.split_once('.').unwrap();
        let forged = URL_SAFE_NO_PAD.encode("user-2\u{1f}account_verified\u{1f}email");
        assert_eq!(links.verify(&format!("{forged}.{tag}")), None);
        assert_eq!(links.verify(payload), None);
        assert_eq!(
            links.unsubscribe_url("user-1", AlertKind::DepositReversed, Channel::Email),
            None,
            "protective kinds have no link"
        );
    }
}
