//! A typed gRPC client for the verification service with the bearer token attached.

use penny_proto::v1::verification_service_client::VerificationServiceClient;
use tonic::Request;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

/// The generated client over a plain channel.
pub type GrpcClient = VerificationServiceClient<Channel>;

/// Wraps `message` in a request carrying `authorization: Bearer <token>`.
pub fn authorized<T>(token: &str, message: T) -> anyhow::Result<Request<T>> {
    let mut request = Request::new(message);
    let value: MetadataValue<_> = format!("Bearer {token}").parse()?;
    request.metadata_mut().insert("authorization", value);
    Ok(request)
}
