//! The configured API tokens: parsing `name:token:scope1+scope2,...` and constant-time lookup.

use std::collections::BTreeSet;
use std::fmt;

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
    /// An entry names a scope this service does not know.
    #[error("API token {name:?} has unknown scope {scope:?} (known: {known})")]
    UnknownScope {
        /// The token's name.
        name: String,
        /// The unknown scope.
        scope: String,
        /// The scopes this service knows, comma-separated.
        known: String,
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

    /// The tokens a service runs with: `configured` parsed (see [`ApiTokens::parse`]); when
    /// none is configured and `insecure_dev` holds a development token (development defaults
    /// are allowed), that token with every scope in `known`, with a warning naming `variable`;
    /// otherwise `Ok(None)` (the caller refuses to start).
    pub fn configured_or_dev(
        configured: Option<&Secret<String>>,
        known: &[Scope],
        insecure_dev: Option<&str>,
        variable: &str,
    ) -> Result<Option<Self>, TokensError> {
        match (configured, insecure_dev) {
            (Some(raw), _) => Self::parse(raw, known).map(Some),
            (None, Some(dev)) => {
                tracing::warn!(
                    token_name = "insecure-dev",
                    "no {variable}: accepting the INSECURE built-in development token"
                );
                let token = ApiToken::new("insecure-dev", &Secret::from(dev), known.to_vec());
                Ok(Some(Self(vec![token])))
            }
            (None, None) => Ok(None),
        }
    }

    /// Parses `name:token:scope1+scope2,...` held in a secret, accepting only the scopes in
    /// `known` (the ones this service's API uses).
    pub fn parse(raw: &Secret<String>, known: &[Scope]) -> Result<Self, TokensError> {
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
                .map(|s| {
                    Scope::parse(s)
                        .filter(|scope| known.contains(scope))
                        .ok_or_else(|| TokensError::UnknownScope {
                            name: name.to_owned(),
                            scope: s.to_owned(),
                            known: known
                                .iter()
                                .map(|k| k.as_str())
                                .collect::<Vec<_>>()
                                .join(", "),
                        })
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

#[cfg(test)]
mod tests {
    use super::*;

    const KNOWN: [Scope; 3] = [Scope::Link, Scope::Status, Scope::Numbers];

    fn parse(raw: &str) -> Result<ApiTokens, TokensError> {
        ApiTokens::parse(&Secret::from(raw), &KNOWN)
    }

    fn tokens() -> ApiTokens {
        parse("app:secret-app-token:link+status, ops:ops-token:status+numbers").unwrap()
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
    fn configured_tokens_win_then_the_dev_token_when_allowed_then_none() {
        let raw = Secret::from("app:secret-app-token:link");
        let var = "PENNY_X_API_TOKENS";
        let configured = ApiTokens::configured_or_dev(Some(&raw), &KNOWN, Some("dev"), var);
        let configured = configured.unwrap().unwrap();
        assert!(configured.authenticate("dev").is_none());
        assert!(configured.authenticate("secret-app-token").is_some());
        let dev = ApiTokens::configured_or_dev(None, &KNOWN, Some("dev"), var);
        let caller = dev.unwrap().unwrap().authenticate("dev").unwrap();
        assert_eq!(caller.scopes, BTreeSet::from(KNOWN));
        assert!(
            ApiTokens::configured_or_dev(None, &KNOWN, None, var)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn rejects_malformed_lists_without_echoing_tokens() {
        assert_eq!(parse("a:b").unwrap_err(), TokensError::Shape(0));
        assert_eq!(parse(":b:link").unwrap_err(), TokensError::Empty(0));
        let err = parse("a:hunter2:link+admin").unwrap_err();
        assert!(matches!(err, TokensError::UnknownScope { ref scope, .. } if scope == "admin"));
        assert!(!err.to_string().contains("hunter2"));
        assert!(
            err.to_string().contains("known: link, status, numbers"),
            "{err}"
        );
        assert!(matches!(
            parse("a:x:link,a:y:link").unwrap_err(),
            TokensError::DuplicateName(_)
        ));
        assert!(parse("").unwrap().is_empty());
    }

    #[test]
    fn a_scope_of_another_service_is_refused() {
        let contacts = ApiTokens::parse(&Secret::from("n:t:contacts"), &[Scope::Contacts]);
        assert!(contacts.is_ok());
        assert!(matches!(
            parse("n:t:contacts").unwrap_err(),
            TokensError::UnknownScope { .. }
        ));
    }

    #[test]
    fn debug_never_shows_tokens() {
        let shown = format!("{:?}", tokens());
        assert!(!shown.contains("secret-app-token"), "{shown}");
        assert!(shown.contains("app"));
    }
}
