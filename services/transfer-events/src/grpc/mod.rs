//! The gRPC API: `penny.v1.TransferEventsService` behind the bearer-token interceptor (health,
//! reflection and the trace layer come from `penny_runtime::GrpcServer`). Reads need scope
//! `status`; `SyncNow` and `Resync` need `admin`. Every request is validated before anything is read or
//! written ([`error`]).

pub mod convert;
pub mod error;
pub mod page_token;

use penny_proto::v1 as pb;
use penny_proto::v1::transfer_events_service_server::{
    TransferEventsService, TransferEventsServiceServer,
};
use penny_runtime::auth::{ApiTokens, Authenticator, Scope, require};
use sea_orm::DatabaseConnection;
use tonic::service::interceptor::InterceptedService;
use tonic::{Request, Response, Status};

use crate::store::accounts;
use crate::store::feed::RequestKind;
use crate::store::feed::resync::Resync;
use crate::store::ledger::{self, After};
use crate::sync::Syncer;
use error::ApiError;

/// Events per page when the caller does not say.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// Most events per page.
pub const MAX_PAGE_SIZE: u32 = 500;

/// The service implementation.
#[derive(Clone, Debug)]
pub struct TransferEventsApi {
    db: DatabaseConnection,
    syncer: Syncer,
}

impl TransferEventsApi {
    /// The API over the ledger in `db` and the sync of `syncer`.
    pub fn new(db: DatabaseConnection, syncer: Syncer) -> Self {
        Self { db, syncer }
    }

    /// The tonic service with the authentication interceptor.
    pub fn into_service(
        self,
        tokens: ApiTokens,
    ) -> InterceptedService<TransferEventsServiceServer<Self>, Authenticator> {
        TransferEventsServiceServer::with_interceptor(self, Authenticator::new(tokens))
    }

    /// NOT_FOUND unless penny linked the account or recorded one of its events.
    async fn known(
        &self,
        account_id: &str,
    ) -> Result<Option<crate::store::entities::linked_account::Model>, ApiError> {
        let linked = accounts::find(&self.db, account_id).await?;
        if linked.is_none() && !ledger::has_events(&self.db, account_id).await? {
            return Err(ApiError::AccountNotFound(account_id.to_owned()));
        }
        Ok(linked)
    }

    async fn list_events(
        &self,
        req: pb::ListEventsRequest,
    ) -> Result<pb::ListEventsResponse, ApiError> {
        let account_id = error::account_id(&req.account_id)?;
        let size = match req.page_size {
            0 => DEFAULT_PAGE_SIZE,
            n if n <= MAX_PAGE_SIZE => n,
            n => {
                return Err(ApiError::invalid(
                    "page_size",
                    format!("{n} is above the maximum of {MAX_PAGE_SIZE}"),
                ));
            }
        };
        let after = page_token::decode(account_id, &req.page_token)?;
        self.known(account_id).await?;
        let mut rows =
            ledger::events_of(&self.db, account_id, after.as_ref(), u64::from(size) + 1).await?;
        let more = rows.len() > size as usize;
        rows.truncate(size as usize);
        let next_page_token = match rows.last() {
            Some(last) if more => page_token::encode(
                account_id,
                &After {
                    feed: last.feed.clone(),
                    event_id: last.event_id,
                },
            ),
            _ => String::new(),
        };
        Ok(pb::ListEventsResponse {
            events: rows.iter().map(convert::event).collect(),
            next_page_token,
        })
    }

    async fn deposit_status(
        &self,
        req: pb::GetDepositStatusRequest,
    ) -> Result<pb::DepositStatus, ApiError> {
        let account_id = error::account_id(&req.account_id)?;
        let linked = self.known(account_id).await?;
        let rows = ledger::deposits_of(&self.db, account_id).await?;
        Ok(pb::DepositStatus {
            account_id: account_id.to_owned(),
            linked: linked.is_some(),
            user_id: linked
                .as_ref()
                .map(|l| l.user_id.clone())
                .unwrap_or_default(),
            item_id: linked
                .as_ref()
                .map(|l| l.item_id.clone())
                .unwrap_or_default(),
            deposits: rows.iter().map(convert::deposit).collect(),
            summary: Some(convert::summary(&rows)),
        })
    }

    async fn resync(&self, req: pb::ResyncRequest) -> Result<pb::ResyncResponse, ApiError> {
        match self.syncer.resync(req.after_id).await? {
            Resync::Requested { requested, cursor } => Ok(pb::ResyncResponse {
                generation: requested.generation,
                coalesced: !requested.new_request,
                cursor,
            }),
            Resync::BeyondCursor { cursor } => Err(ApiError::invalid(
                "after_id",
                format!(
                    "{} is above the cursor {cursor}: a sync never skips events (use SyncNow to \
                     sync from the cursor)",
                    req.after_id
                ),
            )),
        }
    }
}

#[tonic::async_trait]
impl TransferEventsService for TransferEventsApi {
    #[tracing::instrument(name = "grpc.ListEvents", skip_all)]
    async fn list_events(
        &self,
        request: Request<pb::ListEventsRequest>,
    ) -> Result<Response<pb::ListEventsResponse>, Status> {
        require(&request, Scope::Status)?;
        Ok(Response::new(self.list_events(request.into_inner()).await?))
    }

    #[tracing::instrument(name = "grpc.GetDepositStatus", skip_all)]
    async fn get_deposit_status(
        &self,
        request: Request<pb::GetDepositStatusRequest>,
    ) -> Result<Response<pb::DepositStatus>, Status> {
        require(&request, Scope::Status)?;
        Ok(Response::new(
            self.deposit_status(request.into_inner()).await?,
        ))
    }

    #[tracing::instrument(name = "grpc.GetSyncState", skip_all)]
    async fn get_sync_state(
        &self,
        request: Request<pb::GetSyncStateRequest>,
    ) -> Result<Response<pb::SyncState>, Status> {
        require(&request, Scope::Status)?;
        let row = self.syncer.state().await.map_err(ApiError::from)?;
        Ok(Response::new(convert::sync_state(&row, chrono::Utc::now())))
    }

    #[tracing::instrument(name = "grpc.SyncNow", skip_all)]
    async fn sync_now(
        &self,
        request: Request<pb::SyncNowRequest>,
    ) -> Result<Response<pb::SyncNowResponse>, Status> {
        let caller = require(&request, Scope::Admin)?;
        let requested = self
            .syncer
            .request(RequestKind::Manual)
            .await
            .map_err(ApiError::from)?;
        tracing::info!(caller = %caller.name, generation = requested.generation, "sync requested");
        Ok(Response::new(pb::SyncNowResponse {
            generation: requested.generation,
            coalesced: !requested.new_request,
        }))
    }

    #[tracing::instrument(name = "grpc.Resync", skip_all, fields(after_id = request.get_ref().after_id))]
    async fn resync(
        &self,
        request: Request<pb::ResyncRequest>,
    ) -> Result<Response<pb::ResyncResponse>, Status> {
        let caller = require(&request, Scope::Admin)?;
        let response = self.resync(request.into_inner()).await?;
        tracing::info!(
            caller = %caller.name,
            generation = response.generation,
            cursor = response.cursor,
            "resync requested"
        );
        Ok(Response::new(response))
    }
}
