//! Link tokens: for a new Item with the micro-deposit flow(s) asked for, and in update mode for
//! an existing Item (a login to repair, or a Same-Day deposit to confirm).

use penny_plaid::{LinkTokenCreateRequest, LinkTokenCreateResponse, LinkTokenUser};

use super::{Verifier, VerifierError};
use crate::domain::{Flow, LinkOffer, Verification};
use crate::store::items;

/// Why an Item goes through update mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateReason {
    /// `ITEM_LOGIN_REQUIRED`: the user logs in again.
    LoginRequired,
    /// A Same-Day account waits for its user to confirm the deposit.
    ConfirmDeposit,
}

/// An update-mode Link token and what it is for.
#[derive(Debug)]
pub struct UpdateToken {
    /// Plaid's answer.
    pub created: LinkTokenCreateResponse,
    /// Why the Item needs it.
    pub reason: UpdateReason,
    /// The Item it updates.
    pub item_id: String,
}

impl Verifier {
    /// Creates a Link token for a new Item: products `[auth]`, country `US`, the configured
    /// webhook URL, and the micro-deposit flow(s) of `offer` (the configured default when
    /// `None`).
    #[tracing::instrument(skip_all, fields(user_id = %user_id))]
    pub async fn create_link_token(
        &self,
        user_id: &str,
        legal_name: Option<String>,
        language: Option<String>,
        offer: Option<LinkOffer>,
    ) -> Result<LinkTokenCreateResponse, VerifierError> {
        let mut request = LinkTokenCreateRequest::automated_microdeposits(
            self.settings.client_name.clone(),
            user_id,
            self.settings.webhook_url.clone(),
        );
        request.auth = Some(offer.unwrap_or(self.settings.link_flow).auth());
        request.user = Some(LinkTokenUser {
            legal_name,
            ..LinkTokenUser::new(user_id)
        });
        if let Some(language) = language {
            request.language = language;
        }
        self.plaid
            .link_token_create(&request)
            .await
            .map_err(VerifierError::plaid("/link/token/create"))
    }

    /// Creates an update-mode Link token for the Item of `account_id` (its access token, no
    /// products). Refused ([`VerifierError::CannotUpdate`]) when the Item is removed or locked
    /// for good, or when there is nothing for the user to do.
    #[tracing::instrument(skip_all, fields(account_id = %account_id))]
    pub async fn create_update_link_token(
        &self,
        account_id: &str,
    ) -> Result<UpdateToken, VerifierError> {
        let account = self.account(account_id).await?;
        let state = account.state()?;
        let cannot = |why| VerifierError::CannotUpdate {
            account_id: account_id.to_owned(),
            why,
        };
        let reason = match state.verification {
            Verification::Revoked => {
                return Err(cannot(
                    "the Item was removed or its access revoked; link again",
                ));
            }
            Verification::Expired | Verification::Failed => {
                return Err(cannot(
                    "Plaid locked the Item for good (verification expired or failed); link again",
                ));
            }
            _ if state.login_required => UpdateReason::LoginRequired,
            Verification::Pending if account.flow()? == Flow::SameDay => {
                UpdateReason::ConfirmDeposit
            }
            Verification::Pending => {
                return Err(cannot(
                    "the account waits for Plaid's automated verification; nothing to update",
                ));
            }
            Verification::Verified => {
                return Err(cannot("the account is verified and its Item is healthy"));
            }
        };
        let item_id = account.row.item_id.clone();
        let item = items::find(&self.db, &item_id)
            .await?
            .ok_or_else(|| VerifierError::ItemNotFound(item_id.clone()))?;
        if item.locked_at.is_some() {
            return Err(cannot("Plaid locked the Item for good; link again"));
        }
        let token = items::access_token(&self.secrets, &item)?
            .ok_or_else(|| VerifierError::Revoked(item_id.clone()))?;
        let mut request = LinkTokenCreateRequest::update_mode(
            self.settings.client_name.clone(),
            &account.row.user_id,
            token,
        );
        request.webhook = None;
        let created = self
            .plaid
            .link_token_create(&request)
            .await
            .map_err(VerifierError::plaid("/link/token/create"))?;
        tracing::info!(?reason, "update-mode Link token created");
        Ok(UpdateToken {
            created,
            reason,
            item_id,
        })
    }
}
