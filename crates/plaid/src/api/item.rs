//! Items: `/item/public_token/exchange`, `/item/get`, `/item/remove` and the Item object
//! (reference 2.2, 2.5).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::PlaidClient;
use crate::api::RequestIdResponse;
use crate::api::products::Product;
use crate::client::plaid_response;
use crate::enums::string_enum;
use crate::error::{PlaidApiError, PlaidError};
use crate::retry::Idempotency;
use crate::tokens::{AccessToken, PublicToken};

string_enum! {
    /// `Item.update_type`.
    pub enum UpdateType {
        /// Plaid updates the Item in the background.
        Background => "background",
        /// The user must be present for updates.
        UserPresentRequired => "user_present_required",
    }
}

string_enum! {
    /// `Item.auth_method`: how Auth data was verified.
    pub enum AuthMethod {
        /// Credential-based Instant Auth.
        InstantAuth => "INSTANT_AUTH",
        /// Instant Match.
        InstantMatch => "INSTANT_MATCH",
        /// Automated Micro-deposits.
        AutomatedMicrodeposits => "AUTOMATED_MICRODEPOSITS",
        /// Same-Day Micro-deposits.
        SameDayMicrodeposits => "SAME_DAY_MICRODEPOSITS",
        /// Instant Micro-deposits.
        InstantMicrodeposits => "INSTANT_MICRODEPOSITS",
        /// Database Match.
        DatabaseMatch => "DATABASE_MATCH",
        /// Database Insights.
        DatabaseInsights => "DATABASE_INSIGHTS",
        /// Migrated from Transfer.
        TransferMigrated => "TRANSFER_MIGRATED",
        /// Investments fallback.
        InvestmentsFallback => "INVESTMENTS_FALLBACK",
    }
}

/// Plaid's Item object (`ItemWithConsentFields`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// Plaid's Item id.
    pub item_id: String,
    /// Webhook URL for Item/Auth webhooks.
    #[serde(default)]
    pub webhook: Option<String>,
    /// The Item's current error (non-null only in `/item/get`).
    #[serde(default)]
    pub error: Option<PlaidApiError>,
    /// Products that can still be added.
    #[serde(default)]
    pub available_products: Vec<Product>,
    /// Products billed for this Item.
    #[serde(default)]
    pub billed_products: Vec<Product>,
    /// Products the Item was created with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub products: Option<Vec<Product>>,
    /// Products the user consented to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consented_products: Option<Vec<Product>>,
    /// When consent expires (EU/UK).
    #[serde(default)]
    pub consent_expiration_time: Option<DateTime<Utc>>,
    /// Background or user-present updates.
    #[serde(default)]
    pub update_type: Option<UpdateType>,
    /// Institution id (null for Same-Day micro-deposit Items).
    #[serde(default)]
    pub institution_id: Option<String>,
    /// Institution name.
    #[serde(default)]
    pub institution_name: Option<String>,
    /// How Auth was verified.
    #[serde(default)]
    pub auth_method: Option<AuthMethod>,
    /// When the Item was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
}

/// `status.last_webhook` of `/item/get`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastWebhook {
    /// When it was sent.
    #[serde(default)]
    pub sent_at: Option<DateTime<Utc>>,
    /// Its `webhook_code`.
    #[serde(default)]
    pub code_sent: Option<String>,
}

/// `status` of `/item/get` (only the part penny reads is typed).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemStatus {
    /// The last webhook sent for the Item.
    #[serde(default)]
    pub last_webhook: Option<LastWebhook>,
}

/// `/item/get` response.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ItemGetResponse {
    /// The Item.
    pub item: Item,
    /// Its status.
    #[serde(default)]
    pub status: Option<ItemStatus>,
    /// Plaid's id for the request.
    pub request_id: String,
}

plaid_response!(ItemGetResponse);

/// `/item/public_token/exchange` response. `Debug` redacts the access token.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ItemPublicTokenExchangeResponse {
    /// The Item's long-lived credential.
    pub access_token: AccessToken,
    /// The Item's id.
    pub item_id: String,
    /// Plaid's id for the request.
    pub request_id: String,
}

plaid_response!(ItemPublicTokenExchangeResponse);

/// `/item/remove` response.
pub type ItemRemoveResponse = RequestIdResponse;

#[derive(Serialize)]
struct ExchangeRequest<'a> {
    public_token: &'a PublicToken,
}

#[derive(Serialize)]
struct ItemRequest<'a> {
    access_token: &'a AccessToken,
}

impl PlaidClient {
    /// `POST /item/public_token/exchange`. Mutating (a public token is single-use): never retried.
    pub async fn item_public_token_exchange(
        &self,
        public_token: &PublicToken,
    ) -> Result<ItemPublicTokenExchangeResponse, PlaidError> {
        let request = ExchangeRequest { public_token };
        self.call(
            "/item/public_token/exchange",
            Idempotency::Mutating,
            &request,
        )
        .await
    }

    /// `POST /item/get`. Read-only: retried.
    pub async fn item_get(
        &self,
        access_token: &AccessToken,
    ) -> Result<ItemGetResponse, PlaidError> {
        let request = ItemRequest { access_token };
        self.call("/item/get", Idempotency::ReadOnly, &request)
            .await
    }

    /// `POST /item/remove`: invalidates the access token. Mutating: never retried.
    pub async fn item_remove(
        &self,
        access_token: &AccessToken,
    ) -> Result<ItemRemoveResponse, PlaidError> {
        let request = ItemRequest { access_token };
        self.call("/item/remove", Idempotency::Mutating, &request)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_item_get_response_with_an_error_and_unknown_fields() {
        let response: ItemGetResponse = serde_json::from_str(
            r#"{"item":{"item_id":"i1","webhook":null,
                "error":{"error_type":"ITEM_ERROR","error_code":"ITEM_LOGIN_REQUIRED",
                         "error_message":"m","display_message":null},
                "available_products":["balance","brand_new_product"],"billed_products":["auth"],
                "consent_expiration_time":null,"update_type":"background",
                "institution_id":"ins_109512","institution_name":"Houndstooth Bank",
                "auth_method":"AUTOMATED_MICRODEPOSITS","created_at":"2024-01-02T03:04:05Z",
                "consented_use_cases":[]},
               "status":{"transactions":null,
                         "last_webhook":{"sent_at":"2024-01-02T03:04:05Z","code_sent":"ERROR"}},
               "request_id":"r1"}"#,
        )
        .unwrap();
        let item = &response.item;
        assert_eq!(
            item.error.as_ref().unwrap().error_code,
            "ITEM_LOGIN_REQUIRED"
        );
        assert_eq!(item.billed_products, vec![Product::Auth]);
        assert_eq!(
            item.available_products[1],
            Product::Other("brand_new_product".into())
        );
        assert_eq!(item.auth_method, Some(AuthMethod::AutomatedMicrodeposits));
        assert_eq!(item.update_type, Some(UpdateType::Background));
        let last = response.status.unwrap().last_webhook.unwrap();
        assert_eq!(last.code_sent.as_deref(), Some("ERROR"));
    }

    #[test]
    fn a_minimal_item_parses() {
        let item: Item = serde_json::from_str(r#"{"item_id":"i1"}"#).unwrap();
        assert_eq!(item.webhook, None);
        assert!(item.available_products.is_empty());
    }

    #[test]
    fn exchange_response_debug_redacts_the_token() {
        let response: ItemPublicTokenExchangeResponse = serde_json::from_str(
            r#"{"access_token":"access-sandbox-de3ce8ef-33f8","item_id":"i","request_id":"r"}"#,
        )
        .unwrap();
        assert!(!format!("{response:?}").contains("de3ce8ef"));
        assert_eq!(
            response.access_token.expose(),
            "access-sandbox-de3ce8ef-33f8"
        );
    }
}
