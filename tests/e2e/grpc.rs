//! The typed gRPC client of the verification service, with the bearer token on every call.

use penny_proto::v1::verification_service_client::VerificationServiceClient;
use penny_testkit::Bearer;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// The generated client, sending `authorization: Bearer <token>` with every request.
pub type GrpcClient = VerificationServiceClient<InterceptedService<Channel, Bearer>>;
