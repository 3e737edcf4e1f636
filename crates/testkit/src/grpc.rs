//! gRPC clients in tests: a channel to an address and the bearer token on every call.

use std::net::SocketAddr;

use anyhow::Context as _;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::transport::Channel;

/// A tonic interceptor adding `authorization: Bearer <token>` to every request (or nothing, to
/// test unauthenticated calls). Wrap a generated client with it:
/// `FooClient::with_interceptor(channel, Bearer::new(token)?)`.
#[derive(Clone, Debug, Default)]
pub struct Bearer(Option<MetadataValue<Ascii>>);

impl Bearer {
    /// Sends `token`; fails when it cannot be a header value.
    pub fn new(token: &str) -> anyhow::Result<Self> {
        let value = format!("Bearer {token}")
            .parse()
            .context("the bearer token is not a valid header value")?;
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

/// A connected plaintext HTTP/2 channel to a gRPC server at `addr`.
pub async fn grpc_channel(addr: SocketAddr) -> anyhow::Result<Channel> {
    Channel::from_shared(format!("http://{addr}"))
        .context("channel URL")?
        .connect()
        .await
        .with_context(|| format!("connecting to the gRPC server at {addr}"))
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
    fn adds_the_bearer_header_or_none() {
        let mut bearer = Bearer::new("t0k3n").unwrap();
        assert_eq!(authorization(&mut bearer).as_deref(), Some("Bearer t0k3n"));
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
