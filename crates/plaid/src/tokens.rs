//! Token newtypes. Plaid tokens are bearer credentials: their `Debug` shows at most the kind and
//! environment prefix (`access-sandbox-…`), never the token, and there is no `Display`, so a token
//! reaches a log line only through an explicit, greppable `.expose()`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Environments whose name may appear in a redacted `Debug` (anything else is hidden too).
const KNOWN_ENVIRONMENTS: [&str; 3] = ["sandbox", "production", "development"];

/// Writes `Name(kind-env-…[redacted])` when the token has the documented `kind-env-id` form, else
/// `Name([redacted])`.
fn write_redacted(f: &mut fmt::Formatter<'_>, name: &str, kind: &str, value: &str) -> fmt::Result {
    let mut parts = value.splitn(3, '-');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(k), Some(env), Some(_)) if k == kind && KNOWN_ENVIRONMENTS.contains(&env) => {
            write!(f, "{name}({k}-{env}-…[redacted])")
        }
        _ => write!(f, "{name}([redacted])"),
    }
}

macro_rules! token_type {
    ($(#[$meta:meta])* $name:ident, $kind:literal) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps a token string.
            pub fn new(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The token itself. Call it only where the token is sent or encrypted.
            pub fn expose(&self) -> &str {
                &self.0
            }

            /// Consumes the wrapper and returns the token.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_redacted(f, stringify!($name), $kind, &self.0)
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self(value.to_owned())
            }
        }
    };
}

token_type!(
    /// An Item's `access_token` (`access-<env>-<id>`): the long-lived credential for an Item.
    AccessToken,
    "access"
);
token_type!(
    /// A `public_token` (`public-<env>-<id>`) from Link, exchanged once within 30 minutes.
    PublicToken,
    "public"
);
token_type!(
    /// A `link_token` (`link-<env>-<id>`) that initializes Link.
    LinkToken,
    "link"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_only_kind_and_environment() {
        let token = AccessToken::new("access-sandbox-de3ce8ef-33f8-452c-a685-8671031fc0f6");
        let shown = format!("{token:?}");
        assert_eq!(shown, "AccessToken(access-sandbox-…[redacted])");
        assert!(!shown.contains("de3ce8ef"));
        assert_eq!(
            token.expose(),
            "access-sandbox-de3ce8ef-33f8-452c-a685-8671031fc0f6"
        );
    }

    #[test]
    fn debug_hides_everything_for_unexpected_shapes() {
        for raw in [
            "secret",
            "access-weird-123",
            "public-sandbox-1",
            "access-sandbox",
        ] {
            let shown = format!("{:?}", AccessToken::new(raw));
            assert_eq!(shown, "AccessToken([redacted])", "{raw}");
        }
        assert_eq!(
            format!("{:?}", PublicToken::new("public-production-abc")),
            "PublicToken(public-production-…[redacted])"
        );
        assert_eq!(
            format!("{:?}", LinkToken::new("link-sandbox-abc")),
            "LinkToken(link-sandbox-…[redacted])"
        );
    }

    #[test]
    fn serializes_as_a_plain_string() {
        let token = AccessToken::new("access-sandbox-1");
        assert_eq!(
            serde_json::to_string(&token).unwrap(),
            "\"access-sandbox-1\""
        );
        let back: AccessToken = serde_json::from_str("\"access-sandbox-1\"").unwrap();
        assert_eq!(back, token);
    }
}
