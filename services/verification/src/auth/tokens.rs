//! The configured API tokens: parsing `name:token:scope1+scope2,...` and constant-time lookup.

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use penny_config::Secret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{Caller, Scope};

/// Why a token list did not parse. Never contains a token.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokensError {
    /// An entry is not `name:token:scopes`.
    #[error("API token entry {0} is not name:token:scope1+scope2")]
    Shape(usize),
    /// An entry has an empty name or token.
    #[error("API token entry {0} has an empty name or token")]
    Empty(usize),
    /// An entry names an unknown scope.
    #[error("API token {name:?} has unknown scope {scope:?} (known: link, status, numbers)")]
    UnknownScope {
        /// The token's name.
        name: String,
        /// The unknown scope.
        scope: String,
    },
    /// Two entries share a name.
    #[error("API token name {0:?} is used twice")]
    DuplicateName(String),
}

/// One configured token.
#[derive(Clone)]
pub struct ApiToken {
    name: String,
    digest: [u8; 32],
    scopes: BTreeSet<Scope>,
}

impl ApiToken {
    /// A token called `name` with `scopes`.
    pub fn new(
        name: impl Into<String>,
        token: &Secret<String>,
        scopes: impl IntoIterator<Item = Scope>,
    ) -> Self {
        Self {
            name: name.into(),
            digest: Sha256::digest(token.expose().as_bytes()).into(),
            scopes: scopes.into_iter().collect(),
        }
    }
}

/// The configured tokens. `Debug` shows names and scopes only.
#[derive(Clone, Default)]
pub struct ApiTokens(Vec<ApiToken>);

impl fmt::Debug for ApiTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.0
                    .iter()
                    .map(|t| format!("{}:[redacted]:{:?}", t.name, t.scopes)),
            )
            .finish()
    }
}

impl ApiTokens {
    /// Tokens from a list.
    pub fn new(tokens: Vec<ApiToken>) -> Self {
        Self(tokens)
    }

    /// Whether no token is configured (then every call is refused).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Parses `name:token:scope1+scope2,...` held in a secret.
    pub fn parse(raw: &Secret<String>) -> Result<Self, TokensError> {
        let mut out: Vec<ApiToken> = Vec::new();
        for (i, entry) in raw
            .expose()
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .enumerate()
        {
            let mut parts = entry.splitn(3, ':');
            let (Some(name), Some(token), Some(scopes)) =
                (parts.next(), parts.next(), parts.next())
            else {
                return Err(TokensError::Shape(i));
            };
            if name.is_empty() || token.is_empty() {
                return Err(TokensError::Empty(i));
            }
            let scopes = scopes
                .split('+')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| match s {
                    "link" => Ok(Scope::Link),
                    "status" => Ok(Scope::Status),
                    "numbers" => Ok(Scope::Numbers),
                    other => Err(TokensError::UnknownScope {
                        name: name.to_owned(),
                        scope: other.to_owned(),
                    }),
                })
                .collect::<Result<BTreeSet<_>, _>>()?;
            if out.iter().any(|t| t.name == name) {
                return Err(TokensError::DuplicateName(name.to_owned()));
            }
            out.push(ApiToken::new(name, &Secret::from(token), scopes));
        }
        Ok(Self(out))
    }

    /// The caller `presented` authenticates, if any. Compares against every token in constant
    /// time and without an early exit.
    pub fn authenticate(&self, presented: &str) -> Option<Caller> {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut found: Option<&ApiToken> = None;
        for token in &self.0 {
            if bool::from(token.digest.ct_eq(&digest)) {
                found = Some(token);
            }
        }
        found.map(|t| Caller {
            name: t.name.clone(),
            scopes: t.scopes.clone(),
        })
    }
}

impl FromStr for ApiTokens {
    type Err = TokensError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(&Secret::from(s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> ApiTokens {
        "app:secret-app-token:link+status, ops:ops-token:status+numbers"
            .parse()
            .unwrap()
    }

    #[test]
    fn parses_names_tokens_and_scopes() {
        let t = tokens();
        let app = t.authenticate("secret-app-token").unwrap();
        assert_eq!(app.name, "app");
        assert_eq!(app.scopes, BTreeSet::from([Scope::Link, Scope::Status]));
        let ops = t.authenticate("ops-token").unwrap();
        assert_eq!(ops.scopes, BTreeSet::from([Scope::Status, Scope::Numbers]));
        assert!(t.authenticate("secret-app-toke").is_none());
        assert!(t.authenticate("").is_none());
    }

    #[test]
    fn rejects_malformed_lists_without_echoing_tokens() {
        assert_eq!(
            "a:b".parse::<ApiTokens>().unwrap_err(),
            TokensError::Shape(0)
        );
        assert_eq!(
            ":b:link".parse::<ApiTokens>().unwrap_err(),
            TokensError::Empty(0)
        );
        let err = "a:hunter2:link+admin".parse::<ApiTokens>().unwrap_err();
        assert!(matches!(err, TokensError::UnknownScope { ref scope, .. } if scope == "admin"));
        assert!(!err.to_string().contains("hunter2"));
        assert!(matches!(
            "a:x:link,a:y:link".parse::<ApiTokens>().unwrap_err(),
            TokensError::DuplicateName(_)
        ));
        assert!("".parse::<ApiTokens>().unwrap().is_empty());
    }

    #[test]
    fn debug_never_shows_tokens() {
        let shown = format!("{:?}", tokens());
        assert!(!shown.contains("secret-app-token"), "{shown}");
        assert!(shown.contains("app"));
    }
}
