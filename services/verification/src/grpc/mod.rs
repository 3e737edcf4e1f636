//! The gRPC API: `penny.v1.VerificationService` behind the bearer-token interceptor (health,
//! reflection and the trace layer come from `penny_runtime::GrpcServer`). The service
//! implementation is split per RPC group: `link` (link tokens, exchange, remove), `accounts`
//! (reads, refresh, numbers), `watch`, `link_events` (the Link funnel) and `history`.

mod accounts;
pub mod convert;
pub mod error;
mod history;
mod link;
mod link_events;
mod link_input;
mod watch;

use penny_proto::v1 as pb;
use penny_proto::v1::verification_service_server::{
    VerificationService, VerificationServiceServer,
};
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::{Request, Response, Status};

use crate::funnel::LinkFunnel;
use crate::verifier::Verifier;
use crate::watch::WatchFeed;
use penny_runtime::auth::{ApiTokens, Authenticator};
pub use watch::WatchStream;

/// The service implementation.
#[derive(Clone, Debug)]
pub struct VerificationApi {
    verifier: Verifier,
    funnel: LinkFunnel,
    feed: WatchFeed,
    shutdown: CancellationToken,
}

impl VerificationApi {
    /// The API over `verifier` and `funnel`; watchers read `feed` and end when `shutdown` is
    /// cancelled.
    pub fn new(
        verifier: Verifier,
        funnel: LinkFunnel,
        feed: WatchFeed,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            verifier,
            funnel,
            feed,
            shutdown,
        }
    }

    /// The tonic service with the authentication interceptor.
    pub fn into_service(
        self,
        tokens: ApiTokens,
    ) -> InterceptedService<VerificationServiceServer<Self>, Authenticator> {
        VerificationServiceServer::with_interceptor(self, Authenticator::new(tokens))
    }
}

#[tonic::async_trait]
impl VerificationService for VerificationApi {
    #[tracing::instrument(name = "grpc.CreateLinkToken", skip_all)]
    async fn create_link_token(
        &self,
        request: Request<pb::CreateLinkTokenRequest>,
    ) -> Result<Response<pb::CreateLinkTokenResponse>, Status> {
        self.create_link_token_impl(request).await
    }

    #[tracing::instrument(name = "grpc.CreateUpdateLinkToken", skip_all)]
    async fn create_update_link_token(
        &self,
        request: Request<pb::CreateUpdateLinkTokenRequest>,
    ) -> Result<Response<pb::CreateUpdateLinkTokenResponse>, Status> {
        self.create_update_link_token_impl(request).await
    }

    #[tracing::instrument(name = "grpc.ExchangePublicToken", skip_all)]
    async fn exchange_public_token(
        &self,
        request: Request<pb::ExchangePublicTokenRequest>,
    ) -> Result<Response<pb::ExchangePublicTokenResponse>, Status> {
        self.exchange_public_token_impl(request).await
    }

    #[tracing::instrument(name = "grpc.GetAccount", skip_all)]
    async fn get_account(
        &self,
        request: Request<pb::GetAccountRequest>,
    ) -> Result<Response<pb::Account>, Status> {
        self.get_account_impl(request).await
    }

    #[tracing::instrument(name = "grpc.ListAccounts", skip_all)]
    async fn list_accounts(
        &self,
        request: Request<pb::ListAccountsRequest>,
    ) -> Result<Response<pb::ListAccountsResponse>, Status> {
        self.list_accounts_impl(request).await
    }

    #[tracing::instrument(name = "grpc.GetAuthNumbers", skip_all)]
    async fn get_auth_numbers(
        &self,
        request: Request<pb::GetAuthNumbersRequest>,
    ) -> Result<Response<pb::AuthNumbers>, Status> {
        self.get_auth_numbers_impl(request).await
    }

    #[tracing::instrument(name = "grpc.RefreshAccount", skip_all)]
    async fn refresh_account(
        &self,
        request: Request<pb::RefreshAccountRequest>,
    ) -> Result<Response<pb::Account>, Status> {
        self.refresh_account_impl(request).await
    }

    #[tracing::instrument(name = "grpc.RemoveItem", skip_all)]
    async fn remove_item(
        &self,
        request: Request<pb::RemoveItemRequest>,
    ) -> Result<Response<pb::RemoveItemResponse>, Status> {
        self.remove_item_impl(request).await
    }

    type WatchAccountsStream = WatchStream;

    #[tracing::instrument(name = "grpc.WatchAccounts", skip_all)]
    async fn watch_accounts(
        &self,
        request: Request<pb::WatchAccountsRequest>,
    ) -> Result<Response<Self::WatchAccountsStream>, Status> {
        self.watch_accounts_impl(request).await
    }

    #[tracing::instrument(name = "grpc.RecordLinkEvents", skip_all)]
    async fn record_link_events(
        &self,
        request: Request<pb::RecordLinkEventsRequest>,
    ) -> Result<Response<pb::RecordLinkEventsResponse>, Status> {
        self.record_link_events_impl(request).await
    }

    #[tracing::instrument(name = "grpc.GetLinkFunnel", skip_all)]
    async fn get_link_funnel(
        &self,
        request: Request<pb::GetLinkFunnelRequest>,
    ) -> Result<Response<pb::LinkFunnel>, Status> {
        self.get_link_funnel_impl(request).await
    }

    #[tracing::instrument(name = "grpc.GetAccountHistory", skip_all)]
    async fn get_account_history(
        &self,
        request: Request<pb::GetAccountHistoryRequest>,
    ) -> Result<Response<pb::AccountHistory>, Status> {
        self.get_account_history_impl(request).await
    }
}
