//! [`Clients`]: the three public gRPC APIs an app backend calls, with the bearer token on every
//! call.

use penny_proto::v1::notifier_service_client::NotifierServiceClient;
use penny_proto::v1::transfer_events_service_client::TransferEventsServiceClient;
use penny_proto::v1::verification_service_client::VerificationServiceClient;
use penny_testkit::{Bearer, grpc_channel};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::local::{DEV_TOKEN, LocalStack, addr};

type Authed = InterceptedService<Channel, Bearer>;

/// Connected clients of verification, transfer-events and the notifier.
#[derive(Clone)]
pub struct Clients {
    /// `penny.v1.VerificationService`.
    pub verification: VerificationServiceClient<Authed>,
    /// `penny.v1.TransferEventsService`.
    pub transfers: TransferEventsServiceClient<Authed>,
    /// `penny.v1.NotifierService`.
    pub notifier: NotifierServiceClient<Authed>,
}

impl Clients {
    /// Connects to the stack's three gRPC APIs with the development token.
    pub async fn connect(stack: &LocalStack) -> anyhow::Result<Self> {
        let p = stack.ports;
        let bearer = Bearer::new(DEV_TOKEN)?;
        Ok(Self {
            verification: VerificationServiceClient::with_interceptor(
                grpc_channel(addr(p.verification_grpc)).await?,
                bearer.clone(),
            ),
            transfers: TransferEventsServiceClient::with_interceptor(
                grpc_channel(addr(p.transfer_events_grpc)).await?,
                bearer.clone(),
            ),
            notifier: NotifierServiceClient::with_interceptor(
                grpc_channel(addr(p.notifier_grpc)).await?,
                bearer,
            ),
        })
    }
}
