//! Reading accounts, reconciling one with Plaid (`RefreshAccount`), and removing an Item.

use super::{ChangeRequest, Target, Verifier, VerifierError};
use crate::domain::{Event, Verification};
use crate::store::accounts::{self, AccountRecord};
use crate::store::{self, items};

/// Limiter key of `/accounts/get`.
pub(crate) const ACCOUNTS_GET: &str = "accounts_get";

/// Plaid's `error_code` for an Item that needs update mode.
const ITEM_LOGIN_REQUIRED: &str = "ITEM_LOGIN_REQUIRED";

impl Verifier {
    /// One account.
    pub async fn account(&self, account_id: &str) -> Result<AccountRecord, VerifierError> {
        accounts::find(&self.db, account_id)
            .await?
            .ok_or_else(|| VerifierError::AccountNotFound(account_id.to_owned()))
    }

    /// A user's accounts (empty for an unknown user).
    pub async fn accounts_of_user(
        &self,
        user_id: &str,
    ) -> Result<Vec<AccountRecord>, VerifierError> {
        Ok(accounts::of_user(&self.db, user_id).await?)
    }

    /// Re-reads the account from `/accounts/get` and reconciles it through the state machine
    /// (for lost webhooks, and after Link's update mode): Plaid's `verification_status` becomes
    /// the matching event (`manually_verified` verifies a Same-Day account, `verification_failed`
    /// fails it), an `ITEM_LOGIN_REQUIRED` answer becomes update mode and a successful answer
    /// ends it, and a verified account without numbers gets them from `/auth/get`.
    pub async fn refresh(&self, account_id: &str) -> Result<AccountRecord, VerifierError> {
        self.refresh_because(account_id, "api/RefreshAccount").await
    }

    /// [`Verifier::refresh`] with `cause` in the history and the domain events (the API's
    /// `api/RefreshAccount` or the sweep's `sweep/reconcile`). `/accounts/get` takes a unit of
    /// its own shared budget first (Plaid: 15/min per Item), waiting at most `api_rate_wait`.
    pub(crate) async fn refresh_because(
        &self,
        account_id: &str,
        cause: &str,
    ) -> Result<AccountRecord, VerifierError> {
        let account = self.account(account_id).await?;
        self.refresh_read(account, cause).await
    }

    /// [`Verifier::refresh_because`] for an account already read (the sweep reads it to see
    /// whether it still needs a check).
    #[tracing::instrument(skip_all, fields(account_id = %account.row.account_id, cause = cause))]
    pub(crate) async fn refresh_read(
        &self,
        account: AccountRecord,
        cause: &str,
    ) -> Result<AccountRecord, VerifierError> {
        let account_id = account.row.account_id.clone();
        let item_id = account.row.item_id.clone();
        let item = items::find(&self.db, &item_id)
            .await?
            .ok_or_else(|| VerifierError::ItemNotFound(item_id.clone()))?;
        let token = items::access_token(&self.secrets, &item)?
            .ok_or_else(|| VerifierError::Revoked(item_id.clone()))?;
        let cause = cause.to_owned();

        self.rate_limit(ACCOUNTS_GET, &item_id, self.settings.api_rate_wait, false)
            .await?;
        let listed = match self
            .plaid
            .accounts_get_for_accounts(&token, std::slice::from_ref(&account_id))
            .await
        {
            Ok(listed) => listed,
            Err(e) if e.error_code() == Some(ITEM_LOGIN_REQUIRED) => {
                self.apply(&ChangeRequest {
                    item_id,
                    target: Target::AllOfItem,
                    event: Event::LoginRequired,
                    cause,
                    webhook: None,
                    span: tracing::Span::current(),
                    plaid_status: None,
                })
                .await?;
                return self.account(&account_id).await;
            }
            Err(e) => return Err(VerifierError::plaid("/accounts/get")(e)),
        };
        let at_plaid = listed
            .accounts
            .iter()
            .find(|a| a.account_id == account_id)
            .ok_or_else(|| VerifierError::GoneAtPlaid(account_id.clone()))?;
        let plaid_status = at_plaid
            .verification_status
            .as_ref()
            .map(|s| s.as_str().to_owned());
        let mut state = account.state()?;
        if state.login_required {
            // Plaid answered: the login works again (the user went through update mode; Plaid
            // sends LOGIN_REPAIRED only when the Item recovers without it).
            self.apply(&ChangeRequest {
                item_id: item_id.clone(),
                target: Target::AllOfItem,
                event: Event::LoginRepaired,
                cause: cause.clone(),
                webhook: None,
                plaid_status: None,
                span: tracing::Span::current(),
            })
            .await?;
            state.login_required = false;
        }
        let event = Event::from_plaid_status(plaid_status.as_deref()).or_else(|| {
            (state.verification == Verification::Verified && !state.has_numbers)
                .then_some(Event::AutomaticallyVerified)
        });
        if let Some(event) = event {
            let report = self
                .apply(&ChangeRequest {
                    item_id,
                    target: Target::Account(account_id.clone()),
                    event,
                    cause,
                    webhook: None,
                    plaid_status,
                    span: tracing::Span::current(),
                })
                .await?;
            tracing::info!(
                applied = report.applied.len(),
                ignored = report.ignored.len(),
                "account refreshed"
            );
        }
        self.account(&account_id).await
    }

    /// Removes the Item at Plaid (`/item/remove`), then purges its access token and numbers and
    /// marks its accounts revoked (with `revoked` events). Idempotent: a removed Item is not
    /// sent to Plaid again. Returns the Item's account ids.
    #[tracing::instrument(skip_all, fields(item_id = %item_id))]
    pub async fn remove_item(&self, item_id: &str) -> Result<Vec<String>, VerifierError> {
        let item = items::find(&self.db, item_id)
            .await?
            .ok_or_else(|| VerifierError::ItemNotFound(item_id.to_owned()))?;
        if let Some(token) = items::access_token(&self.secrets, &item)? {
            match self.plaid.item_remove(&token).await {
                Ok(_) => {}
                // Already gone at Plaid (removed before, or revoked): purge on our side anyway.
                Err(e)
                    if matches!(
                        e.error_code(),
                        Some("INVALID_ACCESS_TOKEN" | "ITEM_NOT_FOUND" | "USER_PERMISSION_REVOKED")
                    ) =>
                {
                    tracing::warn!(code = ?e.error_code(), "Item already unusable at Plaid; purging locally");
                }
                Err(e) => return Err(VerifierError::plaid("/item/remove")(e)),
            }
        }
        self.apply(&ChangeRequest {
            item_id: item_id.to_owned(),
            target: Target::AllOfItem,
            event: Event::Revoked,
            cause: "api/RemoveItem".to_owned(),
            webhook: None,
            plaid_status: None,
            span: tracing::Span::current(),
        })
        .await?;
        // An Item without accounts has no transition to purge it: make sure.
        items::purge_token(&self.db, item_id, store::now()).await?;
        Ok(accounts::of_item(&self.db, item_id)
            .await?
            .into_iter()
            .map(|a| a.row.account_id)
            .collect())
    }
}
