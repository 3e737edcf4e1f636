//! [`Bearer`]: the client side of [`super`]: a tonic interceptor that sends
//! `authorization: Bearer <token>` on every call (pennyctl's clients, the tests' clients).

use anyhow::Context as _;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;

/// A tonic interceptor adding `authorization: Bearer <token>` (marked sensitive, so it is never
/// printed) to every request, or nothing (to call without a token). Wrap a generated client
/// with it: `FooClient::with_interceptor(channel, Bearer::new(token)?)`.
#[derive(Clone, Debug, Default)]
pub struct Bearer(Option<MetadataValue<Ascii>>);

impl Bearer {
    /// Sends `token`; fails when it cannot be a header value.
    pub fn new(token: &str) -> anyhow::Result<Self> {
        let mut value: MetadataValue<Ascii> = format!("Bearer {token}")
            .parse()
            .context("the bearer token is not a valid header value")?;
        value.set_sensitive(true);
        Ok(Self(Some(value)))
    }

    /// Sends `token` when there is one, else no `authorization` header at all.
    pub fn optional(token: Option<&str>) -> anyhow::Result<Self> {
        token.map_or_else(|| Ok(Self::none()), Self::new)
    }

    /// Sends no `authorization` header.
    pub fn none() -> Self {
        Self(None)
    }
}

impl Interceptor for Bearer {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn authorization(bearer: &mut Bearer) -> Option<String> {
        let request = bearer.call(tonic::Request::new(())).unwrap();
        request
            .metadata()
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_owned())
    }

    #[test]
    fn adds_the_bearer_header_or_none_and_never_prints_the_token() {
        let mut bearer = Bearer::new("t0k3n").unwrap();
        assert_eq!(authorization(&mut bearer).as_deref(), Some("Bearer t0k3n"));
        assert!(!format!("{bearer:?}").contains("t0k3n"));
        let mut optional = Bearer::optional(Some("x")).unwrap();
        assert_eq!(authorization(&mut optional).as_deref(), Some("Bearer x"));
        assert_eq!(authorization(&mut Bearer::none()), None);
        assert_eq!(authorization(&mut Bearer::optional(None).unwrap()), None);
    }

    #[test]
    fn refuses_a_token_that_is_no_header_value() {
        assert!(Bearer::new("line\nbreak").is_err());
    }
}
