//! The gRPC API: `penny.v1.NotifierService` behind the bearer-token interceptor (health,
//! reflection and the trace layer come from `penny_runtime::GrpcServer`). Scopes: `contacts`
//! to write (UpsertContact, DeleteContact), `status` to read (GetContact, ListNotifications).

pub mod convert;
pub mod error;

use penny_proto::v1 as pb;
use penny_proto::v1::notifier_service_server::{NotifierService, NotifierServiceServer};
use penny_runtime::auth::{ApiTokens, Authenticator, Scope, require};
use tonic::service::interceptor::InterceptedService;
use tonic::{Request, Response, Status};

use crate::notifier::Notifier;
use error::status;

/// The service implementation.
#[derive(Clone, Debug)]
pub struct NotifierApi {
    notifier: Notifier,
}

impl NotifierApi {
    /// The API over `notifier`.
    pub fn new(notifier: Notifier) -> Self {
        Self { notifier }
    }

    /// The tonic service with the authentication interceptor.
    pub fn into_service(
        self,
        tokens: ApiTokens,
    ) -> InterceptedService<NotifierServiceServer<Self>, Authenticator> {
        NotifierServiceServer::with_interceptor(self, Authenticator::new(tokens))
    }
}

#[tonic::async_trait]
impl NotifierService for NotifierApi {
    #[tracing::instrument(name = "grpc.UpsertContact", skip_all)]
    async fn upsert_contact(
        &self,
        request: Request<pb::UpsertContactRequest>,
    ) -> Result<Response<pb::Contact>, Status> {
        require(&request, Scope::Contacts)?;
        let input = convert::contact_input(request.into_inner())?;
        let view = self.notifier.upsert_contact(&input).await.map_err(status)?;
        Ok(Response::new(convert::contact_out(&view)))
    }

    #[tracing::instrument(name = "grpc.GetContact", skip_all)]
    async fn get_contact(
        &self,
        request: Request<pb::GetContactRequest>,
    ) -> Result<Response<pb::Contact>, Status> {
        require(&request, Scope::Status)?;
        let user_id = request.into_inner().user_id;
        let view = self.notifier.get_contact(&user_id).await.map_err(status)?;
        Ok(Response::new(convert::contact_out(&view)))
    }

    #[tracing::instrument(name = "grpc.DeleteContact", skip_all)]
    async fn delete_contact(
        &self,
        request: Request<pb::DeleteContactRequest>,
    ) -> Result<Response<pb::DeleteContactResponse>, Status> {
        require(&request, Scope::Contacts)?;
        let user_id = request.into_inner().user_id;
        let (deleted, suppressed) = self
            .notifier
            .delete_contact(&user_id)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::DeleteContactResponse {
            deleted,
            suppressed_alerts: u32::try_from(suppressed).unwrap_or(u32::MAX),
        }))
    }

    #[tracing::instrument(name = "grpc.ListNotifications", skip_all)]
    async fn list_notifications(
        &self,
        request: Request<pb::ListNotificationsRequest>,
    ) -> Result<Response<pb::ListNotificationsResponse>, Status> {
        require(&request, Scope::Status)?;
        let r = request.into_inner();
        let (rows, next) = self
            .notifier
            .list_notifications(&r.user_id, &r.account_id, r.page_size, &r.page_token)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListNotificationsResponse {
            notifications: rows.iter().map(convert::notification_out).collect(),
            next_page_token: next.unwrap_or_default(),
        }))
    }
}
