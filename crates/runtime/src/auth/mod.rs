//! Caller authentication for every penny gRPC API: bearer tokens from configuration, each with
//! a name and scopes, checked by one interceptor.
//!
//! Every service reads the same format, `name:token:scope1+scope2,...` (its own
//! `PENNY_<SERVICE>_API_TOKENS`, so one secret can feed them all), and names scopes from one
//! list, [`Scope`]; each service says which scopes it knows ([`ApiTokens::parse`]), so a typo
//! or a scope meant for another service is refused at start. Tokens arrive as a `Secret`, are
//! kept only as SHA-256 digests, and are compared in constant time (digests of both sides, so
//! lengths leak nothing either, and every configured token is compared on each call). The
//! interceptor turns a missing or unknown token into `UNAUTHENTICATED`; each RPC then asks for
//! its scope with [`require`], which answers `PERMISSION_DENIED`. Clients send their token with
//! [`Bearer`].

mod bearer;
mod tokens;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use tonic::{Request, Status};

pub use bearer::Bearer;
pub use tokens::{ApiToken, ApiTokens, TokensError};

/// The INSECURE development API token (every scope a service knows): each service accepts it
/// outside production when no token is configured ([`ApiTokens::configured_or_dev`]).
pub const INSECURE_DEV_API_TOKEN: &str = "penny-insecure-dev-token";

/// What a caller may do. One list for every service; each service accepts the ones it uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Start and finish Link, remove Items (verification).
    Link,
    /// Read statuses, events and alerts (every service).
    Status,
    /// Read account and routing numbers (verification).
    Numbers,
    /// Operator actions such as a sync now (transfer-events) or a resend (notifier).
    Admin,
    /// Write people's contacts and preferences (notifier).
    Contacts,
}

impl Scope {
    /// Every scope.
    pub const ALL: [Scope; 5] = [
        Self::Link,
        Self::Status,
        Self::Numbers,
        Self::Admin,
        Self::Contacts,
    ];

    /// The scope's name in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Link => "link",
            Self::Status => "status",
            Self::Numbers => "numbers",
            Self::Admin => "admin",
            Self::Contacts => "contacts",
        }
    }

    /// The scope called `name`, if any.
    pub fn parse(name: &str) -> Option<Scope> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An authenticated caller, put into each request's extensions by the interceptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The token's configured name (safe to log).
    pub name: String,
    /// What it may do.
    pub scopes: BTreeSet<Scope>,
}

/// The tonic interceptor: checks `authorization: Bearer <token>`.
#[derive(Clone)]
pub struct Authenticator {
    tokens: Arc<ApiTokens>,
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authenticator")
            .field("tokens", &self.tokens)
            .finish()
    }
}

impl Authenticator {
    /// An interceptor accepting `tokens`.
    pub fn new(tokens: ApiTokens) -> Self {
        Self {
            tokens: Arc::new(tokens),
        }
    }
}

impl tonic::service::Interceptor for Authenticator {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let header = request
            .metadata()
            .get("authorization")
            .ok_or_else(|| Status::unauthenticated("missing authorization: Bearer <token>"))?;
        let value = header
            .to_str()
            .map_err(|_| Status::unauthenticated("authorization header is not ASCII"))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(|| Status::unauthenticated("authorization must be Bearer <token>"))?
            .trim();
        let caller = self
            .tokens
            .authenticate(token)
            .ok_or_else(|| Status::unauthenticated("unknown bearer token"))?;
        request.extensions_mut().insert(caller);
        Ok(request)
    }
}

/// The caller of `request` if it holds `scope`; `PERMISSION_DENIED` naming the scope otherwise.
pub fn require<T>(request: &Request<T>, scope: Scope) -> Result<Caller, Status> {
    let caller = request
        .extensions()
        .get::<Caller>()
        .ok_or_else(|| Status::unauthenticated("no authenticated caller"))?;
    if caller.scopes.contains(&scope) {
        Ok(caller.clone())
    } else {
        Err(Status::permission_denied(format!(
            "token {:?} lacks scope {scope:?}",
            caller.name,
            scope = scope.as_str()
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::service::Interceptor;

    const KNOWN: [Scope; 3] = [Scope::Link, Scope::Status, Scope::Numbers];

    fn tokens() -> ApiTokens {
        ApiTokens::parse(
            &"app:secret-app-token:link+status, ops:ops-token:status+numbers".into(),
            &KNOWN,
        )
        .unwrap()
    }

    fn call(auth: Option<&str>) -> Result<Request<()>, Status> {
        let mut request = Request::new(());
        if let Some(value) = auth {
            request
                .metadata_mut()
                .insert("authorization", value.parse().unwrap());
        }
        Authenticator::new(tokens()).call(request)
    }

    #[test]
    fn interceptor_answers_unauthenticated_for_missing_or_bad_tokens() {
        for auth in [
            None,
            Some("Bearer nope"),
            Some("Basic abc"),
            Some("secret-app-token"),
        ] {
            let status = call(auth).unwrap_err();
            assert_eq!(status.code(), tonic::Code::Unauthenticated, "{auth:?}");
        }
    }

    #[test]
    fn scopes_are_enforced_with_permission_denied() {
        let request = call(Some("Bearer secret-app-token")).unwrap();
        assert_eq!(require(&request, Scope::Link).unwrap().name, "app");
        let denied = require(&request, Scope::Numbers).unwrap_err();
        assert_eq!(denied.code(), tonic::Code::PermissionDenied);
        assert!(denied.message().contains("numbers"));
        let anonymous = Request::new(());
        assert_eq!(
            require(&anonymous, Scope::Status).unwrap_err().code(),
            tonic::Code::Unauthenticated
        );
    }

    #[test]
    fn scope_names_round_trip() {
        for scope in Scope::ALL {
            assert_eq!(Scope::parse(scope.as_str()), Some(scope));
        }
        assert_eq!(Scope::parse("root"), None);
    }
}
