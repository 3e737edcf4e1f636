//! `GetAccount`, `ListAccounts`, `RefreshAccount` (scope `status`) and `GetAuthNumbers`
//! (scope `numbers`).

use penny_proto::v1 as pb;
use tonic::{Request, Response, Status};

use super::error::{id_field, status, user_id_field};
use super::{VerificationApi, convert};
use crate::events::timestamp;
use penny_runtime::auth::{Scope, require};

impl VerificationApi {
    pub(super) async fn get_account_impl(
        &self,
        request: Request<pb::GetAccountRequest>,
    ) -> Result<Response<pb::Account>, Status> {
        require(&request, Scope::Status)?;
        let req = request.into_inner();
        let account_id = id_field("account_id", &req.account_id)?;
        let record = self.verifier.account(account_id).await.map_err(status)?;
        Ok(Response::new(convert::account(&record)))
    }

    pub(super) async fn list_accounts_impl(
        &self,
        request: Request<pb::ListAccountsRequest>,
    ) -> Result<Response<pb::ListAccountsResponse>, Status> {
        require(&request, Scope::Status)?;
        let req = request.into_inner();
        let user_id = user_id_field("user_id", &req.user_id)?;
        let records = self
            .verifier
            .accounts_of_user(user_id)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListAccountsResponse {
            accounts: records.iter().map(convert::account).collect(),
        }))
    }

    pub(super) async fn refresh_account_impl(
        &self,
        request: Request<pb::RefreshAccountRequest>,
    ) -> Result<Response<pb::Account>, Status> {
        require(&request, Scope::Status)?;
        let req = request.into_inner();
        let account_id = id_field("account_id", &req.account_id)?;
        let record = self.verifier.refresh(account_id).await.map_err(status)?;
        Ok(Response::new(convert::account(&record)))
    }

    pub(super) async fn get_auth_numbers_impl(
        &self,
        request: Request<pb::GetAuthNumbersRequest>,
    ) -> Result<Response<pb::AuthNumbers>, Status> {
        let caller = require(&request, Scope::Numbers)?;
        let req = request.into_inner();
        let account_id = id_field("account_id", &req.account_id)?;
        let (numbers, fetched_at) = self.verifier.numbers(account_id).await.map_err(status)?;
        // An audit line without the numbers themselves.
        tracing::info!(caller = %caller.name, %account_id, "account numbers read");
        Ok(Response::new(pb::AuthNumbers {
            account_id: account_id.to_owned(),
            account: numbers.account,
            routing: numbers.routing,
            wire_routing: numbers.wire_routing.unwrap_or_default(),
            verified_at: Some(timestamp(fetched_at)),
        }))
    }
}
