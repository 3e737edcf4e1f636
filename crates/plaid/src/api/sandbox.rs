//! Sandbox-only endpoints (reference 2.10). All are mutating and never retried.

use serde::{Deserialize, Serialize};

use crate::PlaidClient;
use crate::api::RequestIdResponse;
use crate::api::accounts::VerificationStatus;
use crate::api::bank_transfer::{BankTransferEventType, BankTransferFailure};
use crate::api::products::Product;
use crate::client::plaid_response;
use crate::error::PlaidError;
use crate::retry::Idempotency;
use crate::tokens::{AccessToken, PublicToken};

/// The Sandbox institution for Automated Micro-deposits (Houndstooth Bank).
pub const SANDBOX_AUTOMATED_MICRODEPOSITS_INSTITUTION: &str = "ins_109512";

/// `/sandbox/public_token/create` request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SandboxPublicTokenCreateRequest {
    /// Institution, e.g. `ins_109512`.
    pub institution_id: String,
    /// Products to create the Item with (at least one).
    pub initial_products: Vec<Product>,
    /// Options.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<SandboxPublicTokenCreateOptions>,
}

impl SandboxPublicTokenCreateRequest {
    /// A request for one institution and products, no options.
    pub fn new(institution_id: impl Into<String>, initial_products: Vec<Product>) -> Self {
        Self {
            institution_id: institution_id.into(),
            initial_products,
            options: None,
        }
    }
}

/// `options` of `/sandbox/public_token/create`.
#[derive(Clone, Default, PartialEq, Eq, Serialize)]
pub struct SandboxPublicTokenCreateOptions {
    /// Webhook URL for the new Item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
    /// Sandbox username (default `user_good`; `user_good` + `microdeposits_good` gives an
    /// Automated Micro-deposits Item).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_username: Option<String>,
    /// Sandbox password (default `pass_good`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub override_password: Option<String>,
}

impl std::fmt::Debug for SandboxPublicTokenCreateOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxPublicTokenCreateOptions")
            .field("webhook", &self.webhook)
            .field("override_username", &self.override_username)
            .field(
                "override_password",
                &self.override_password.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// `/sandbox/public_token/create` response.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SandboxPublicTokenCreateResponse {
    /// The public token to exchange.
    pub public_token: PublicToken,
    /// Plaid's id for the request.
    pub request_id: String,
}

plaid_response!(SandboxPublicTokenCreateResponse);

/// `/sandbox/bank_transfer/simulate` request. Allowed transitions: pending→failed,
/// pending→posted, posted→reversed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SandboxBankTransferSimulateRequest {
    /// The transfer (from a bank transfer event).
    pub bank_transfer_id: String,
    /// `posted`, `failed` or `reversed`.
    pub event_type: BankTransferEventType,
    /// Return code and description for `failed`/`reversed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_reason: Option<BankTransferFailure>,
}

/// `/sandbox/item/reset_login` response.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SandboxItemResetLoginResponse {
    /// True when the Item was put in `ITEM_LOGIN_REQUIRED`.
    #[serde(default)]
    pub reset_login: bool,
    /// Plaid's id for the request.
    pub request_id: String,
}

plaid_response!(SandboxItemResetLoginResponse);

/// `/sandbox/item/fire_webhook` response.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct SandboxItemFireWebhookResponse {
    /// True when the webhook was fired.
    #[serde(default)]
    pub webhook_fired: bool,
    /// Plaid's id for the request.
    pub request_id: String,
}

plaid_response!(SandboxItemFireWebhookResponse);

#[derive(Serialize)]
struct SetVerificationStatusRequest<'a> {
    access_token: &'a AccessToken,
    account_id: &'a str,
    verification_status: &'a VerificationStatus,
}

#[derive(Serialize)]
struct FireBankTransferWebhookRequest<'a> {
    webhook: &'a str,
}

#[derive(Serialize)]
struct ResetLoginRequest<'a> {
    access_token: &'a AccessToken,
}

#[derive(Serialize)]
struct FireItemWebhookRequest<'a> {
    access_token: &'a AccessToken,
    #[serde(skip_serializing_if = "Option::is_none")]
    webhook_type: Option<&'a str>,
    webhook_code: &'a str,
}

impl PlaidClient {
    /// `POST /sandbox/public_token/create`: an Item without Link.
    pub async fn sandbox_public_token_create(
        &self,
        request: &SandboxPublicTokenCreateRequest,
    ) -> Result<SandboxPublicTokenCreateResponse, PlaidError> {
        self.call(
            "/sandbox/public_token/create",
            Idempotency::Mutating,
            request,
        )
        .await
    }

    /// `POST /sandbox/item/set_verification_status`: finishes the Automated flow at once.
    /// Plaid accepts `automatically_verified` and `verification_expired`; other values are sent
    /// as given (and rejected by Plaid).
    pub async fn sandbox_item_set_verification_status(
        &self,
        access_token: &AccessToken,
        account_id: &str,
        verification_status: &VerificationStatus,
    ) -> Result<RequestIdResponse, PlaidError> {
        let request = SetVerificationStatusRequest {
            access_token,
            account_id,
            verification_status,
        };
        self.call(
            "/sandbox/item/set_verification_status",
            Idempotency::Mutating,
            &request,
        )
        .await
    }

    /// `POST /sandbox/bank_transfer/simulate`: moves a micro-deposit to `posted`, `failed` or
    /// `reversed`. Sends no webhook (call [`PlaidClient::sandbox_bank_transfer_fire_webhook`]).
    pub async fn sandbox_bank_transfer_simulate(
        &self,
        request: &SandboxBankTransferSimulateRequest,
    ) -> Result<RequestIdResponse, PlaidError> {
        self.call(
            "/sandbox/bank_transfer/simulate",
            Idempotency::Mutating,
            request,
        )
        .await
    }

    /// `POST /sandbox/bank_transfer/fire_webhook`: sends `BANK_TRANSFERS_EVENTS_UPDATE` to `webhook`.
    pub async fn sandbox_bank_transfer_fire_webhook(
        &self,
        webhook: &str,
    ) -> Result<RequestIdResponse, PlaidError> {
        let request = FireBankTransferWebhookRequest { webhook };
        self.call(
            "/sandbox/bank_transfer/fire_webhook",
            Idempotency::Mutating,
            &request,
        )
        .await
    }

    /// `POST /sandbox/item/reset_login`: puts the Item in `ITEM_LOGIN_REQUIRED` and fires the
    /// ITEM `ERROR` webhook.
    pub async fn sandbox_item_reset_login(
        &self,
        access_token: &AccessToken,
    ) -> Result<SandboxItemResetLoginResponse, PlaidError> {
        let request = ResetLoginRequest { access_token };
        self.call("/sandbox/item/reset_login", Idempotency::Mutating, &request)
            .await
    }

    /// `POST /sandbox/item/fire_webhook`: fires `webhook_code` (of `webhook_type`, when given)
    /// to the Item's webhook URL. Cannot fire `AUTOMATICALLY_VERIFIED`/`VERIFICATION_EXPIRED`.
    pub async fn sandbox_item_fire_webhook(
        &self,
        access_token: &AccessToken,
        webhook_type: Option<&str>,
        webhook_code: &str,
    ) -> Result<SandboxItemFireWebhookResponse, PlaidError> {
        let request = FireItemWebhookRequest {
            access_token,
            webhook_type,
            webhook_code,
        };
        self.call(
            "/sandbox/item/fire_webhook",
            Idempotency::Mutating,
            &request,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_token_create_request_shape() {
        let request = SandboxPublicTokenCreateRequest {
            options: Some(SandboxPublicTokenCreateOptions {
                webhook: Some("http://127.0.0.1:1/hook".into()),
                override_username: Some("user_good".into()),
                override_password: Some("microdeposits_good".into()),
            }),
            ..SandboxPublicTokenCreateRequest::new(
                SANDBOX_AUTOMATED_MICRODEPOSITS_INSTITUTION,
                vec![Product::Auth],
            )
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({
                "institution_id": "ins_109512",
                "initial_products": ["auth"],
                "options": {
                    "webhook": "http://127.0.0.1:1/hook",
                    "override_username": "user_good",
                    "override_password": "microdeposits_good"
                }
            })
        );
        assert!(!format!("{request:?}").contains("microdeposits_good"));
    }

    #[test]
    fn simulate_request_shape() {
        let request = SandboxBankTransferSimulateRequest {
            bank_transfer_id: "bt".into(),
            event_type: BankTransferEventType::Reversed,
            failure_reason: Some(BankTransferFailure {
                ach_return_code: Some("R03".into()),
                description: Some("no account".into()),
            }),
        };
        assert_eq!(
            serde_json::to_value(&request).unwrap(),
            serde_json::json!({"bank_transfer_id":"bt","event_type":"reversed",
                "failure_reason":{"ach_return_code":"R03","description":"no account"}})
        );
    }
}
