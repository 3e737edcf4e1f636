//! `CreateLinkToken`, `CreateUpdateLinkToken`, `ExchangePublicToken`, `RemoveItem` (scope
//! `link`).

use penny_plaid::PublicToken;
use penny_proto::v1 as pb;
use tonic::{Request, Response, Status};

use super::error::{id_field, invalid, status, user_id_field};
use super::{VerificationApi, convert};
use crate::domain::LinkOffer;
use crate::events::timestamp;
use crate::verifier::{LinkAccountInput, UpdateReason};
use penny_runtime::auth::{Scope, require};

impl VerificationApi {
    pub(super) async fn create_link_token_impl(
        &self,
        request: Request<pb::CreateLinkTokenRequest>,
    ) -> Result<Response<pb::CreateLinkTokenResponse>, Status> {
        require(&request, Scope::Link)?;
        let req = request.into_inner();
        let user_id = user_id_field("user_id", &req.user_id)?;
        if req.legal_name.len() > 256 {
            return Err(invalid("legal_name", "is longer than 256 characters"));
        }
        let two_letters =
            req.language.len() == 2 && req.language.bytes().all(|b| b.is_ascii_lowercase());
        if !req.language.is_empty() && !two_letters {
            return Err(invalid(
                "language",
                "must be a two-letter lowercase code like \"en\"",
            ));
        }
        let flow = pb::LinkFlow::try_from(req.flow).map_err(|_| {
            invalid(
                "flow",
                "is not a LinkFlow (AUTOMATED, SAME_DAY or AUTOMATED_AND_SAME_DAY)",
            )
        })?;
        let offer = (flow != pb::LinkFlow::Unspecified)
            .then(|| LinkOffer::from_proto(flow, LinkOffer::Automated));
        let non_empty = |s: String| (!s.is_empty()).then_some(s);
        let created = self
            .verifier
            .create_link_token(
                user_id,
                non_empty(req.legal_name),
                non_empty(req.language),
                offer,
            )
            .await
            .map_err(status)?;
        Ok(Response::new(pb::CreateLinkTokenResponse {
            link_token: created.link_token.expose().to_owned(),
            expiration: Some(timestamp(created.expiration)),
        }))
    }

    pub(super) async fn create_update_link_token_impl(
        &self,
        request: Request<pb::CreateUpdateLinkTokenRequest>,
    ) -> Result<Response<pb::CreateUpdateLinkTokenResponse>, Status> {
        require(&request, Scope::Link)?;
        let req = request.into_inner();
        let account_id = id_field("account_id", &req.account_id)?;
        let update = self
            .verifier
            .create_update_link_token(account_id)
            .await
            .map_err(status)?;
        let reason = match update.reason {
            UpdateReason::LoginRequired => pb::UpdateReason::LoginRequired,
            UpdateReason::ConfirmDeposit => pb::UpdateReason::ConfirmDeposit,
        };
        Ok(Response::new(pb::CreateUpdateLinkTokenResponse {
            link_token: update.created.link_token.expose().to_owned(),
            expiration: Some(timestamp(update.created.expiration)),
            reason: reason as i32,
            item_id: update.item_id,
        }))
    }

    pub(super) async fn exchange_public_token_impl(
        &self,
        request: Request<pb::ExchangePublicTokenRequest>,
    ) -> Result<Response<pb::ExchangePublicTokenResponse>, Status> {
        require(&request, Scope::Link)?;
        let req = request.into_inner();
        let user_id = user_id_field("user_id", &req.user_id)?;
        let public_token = id_field("public_token", &req.public_token)?;
        let mut accounts = Vec::with_capacity(req.accounts.len());
        for (i, a) in req.accounts.iter().enumerate() {
            id_field(&format!("accounts[{i}].account_id"), &a.account_id)?;
            accounts.push(LinkAccountInput {
                account_id: a.account_id.clone(),
                name: a.name.clone(),
                mask: a.mask.clone(),
                subtype: a.subtype.clone(),
                verification_status: a.verification_status.clone(),
            });
        }
        let (item_id, stored) = self
            .verifier
            .exchange(user_id, &PublicToken::new(public_token), &accounts)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ExchangePublicTokenResponse {
            item_id,
            accounts: stored.iter().map(convert::account).collect(),
        }))
    }

    pub(super) async fn remove_item_impl(
        &self,
        request: Request<pb::RemoveItemRequest>,
    ) -> Result<Response<pb::RemoveItemResponse>, Status> {
        require(&request, Scope::Link)?;
        let req = request.into_inner();
        let item_id = id_field("item_id", &req.item_id)?;
        let account_ids = self.verifier.remove_item(item_id).await.map_err(status)?;
        Ok(Response::new(pb::RemoveItemResponse {
            item_id: item_id.to_owned(),
            account_ids,
        }))
    }
}
