//! `/link/token/create` (reference 2.1).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::PlaidClient;
use crate::api::products::{CountryCode, Product};
use crate::client::plaid_response;
use crate::enums::string_enum;
use crate::error::PlaidError;
use crate::retry::Idempotency;
use crate::tokens::{AccessToken, LinkToken};

/// `/link/token/create` request. `None` fields are left out of the JSON. Fields are declared in
/// the order of the reference's example, so the JSON reads the same.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LinkTokenCreateRequest {
    /// Name shown in Link (first 11 characters appear in Same-Day ACH descriptions).
    pub client_name: String,
    /// Link language, e.g. `"en"`.
    pub language: String,
    /// Countries; must be `["US"]` for micro-deposit flows.
    pub country_codes: Vec<CountryCode>,
    /// The end user (required unless `user_id` is sent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<LinkTokenUser>,
    /// Products; omit in update mode. Must contain `auth` for micro-deposit flows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub products: Option<Vec<Product>>,
    /// Item/Auth webhook URL (not used in update mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
    /// Set for update mode (and the Same-Day manual verification session).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_token: Option<AccessToken>,
    /// Auth flow switches.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<LinkTokenAuth>,
    /// Newer "User API" id (`usr_…`), instead of `user`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// OAuth redirect URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
}

impl LinkTokenCreateRequest {
    /// The Automated Micro-deposits request of reference 2.1: language `en`, country `US`,
    /// product `auth`, `auth.automated_microdeposits_enabled = true`.
    pub fn automated_microdeposits(
        client_name: impl Into<String>,
        client_user_id: impl Into<String>,
        webhook: impl Into<String>,
    ) -> Self {
        Self {
            client_name: client_name.into(),
            language: "en".into(),
            country_codes: vec![CountryCode::Us],
            user: Some(LinkTokenUser::new(client_user_id)),
            products: Some(vec![Product::Auth]),
            webhook: Some(webhook.into()),
            auth: Some(LinkTokenAuth {
                automated_microdeposits_enabled: Some(true),
                ..LinkTokenAuth::default()
            }),
            ..Self::default()
        }
    }

    /// An update-mode request for an existing Item: no `products`, no `webhook`.
    pub fn update_mode(
        client_name: impl Into<String>,
        client_user_id: impl Into<String>,
        access_token: AccessToken,
    ) -> Self {
        Self {
            client_name: client_name.into(),
            language: "en".into(),
            country_codes: vec![CountryCode::Us],
            user: Some(LinkTokenUser::new(client_user_id)),
            access_token: Some(access_token),
            ..Self::default()
        }
    }
}

/// `user` of `/link/token/create`. `Debug` is derived: these are the integrator's own user
/// details, but keep PII out of `client_user_id` (Plaid rejects it with `INVALID_FIELD`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LinkTokenUser {
    /// Your stable id for the user (no PII).
    pub client_user_id: String,
    /// Legal name (micro-deposit flows skip the name prompt when set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_name: Option<String>,
    /// E.164 phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// E-mail address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_address: Option<String>,
}

impl LinkTokenUser {
    /// A user identified only by your id.
    pub fn new(client_user_id: impl Into<String>) -> Self {
        Self {
            client_user_id: client_user_id.into(),
            ..Self::default()
        }
    }
}

string_enum! {
    /// `auth.reroute_to_credentials`.
    pub enum RerouteToCredentials {
        /// Never reroute.
        Off => "OFF",
        /// Offer the credential flow.
        Optional => "OPTIONAL",
        /// Force the credential flow.
        Forced => "FORCED",
    }
}

/// `auth` of `/link/token/create` (all optional; Dashboard settings override them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LinkTokenAuth {
    /// Automated Micro-deposits (default false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub automated_microdeposits_enabled: Option<bool>,
    /// Same-Day Micro-deposits (default false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub same_day_microdeposits_enabled: Option<bool>,
    /// Instant Match (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instant_match_enabled: Option<bool>,
    /// Instant Micro-deposits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instant_microdeposits_enabled: Option<bool>,
    /// Let the user pick the auth type (default false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth_type_select_enabled: Option<bool>,
    /// SMS verification for Same-Day (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sms_microdeposits_verification_enabled: Option<bool>,
    /// Reroute to the credential flow.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reroute_to_credentials: Option<RerouteToCredentials>,
}

/// `/link/token/create` response.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct LinkTokenCreateResponse {
    /// The token to open Link with.
    pub link_token: LinkToken,
    /// When it expires (4 h for a new Item, 30 min in update mode).
    pub expiration: DateTime<Utc>,
    /// Plaid's id for the request.
    pub request_id: String,
    /// Hosted Link URL, when Hosted Link is used.
    #[serde(default)]
    pub hosted_link_url: Option<String>,
    /// User API id, when used.
    #[serde(default)]
    pub user_id: Option<String>,
}

plaid_response!(LinkTokenCreateResponse);

impl PlaidClient {
    /// `POST /link/token/create`. Mutating: never retried.
    pub async fn link_token_create(
        &self,
        request: &LinkTokenCreateRequest,
    ) -> Result<LinkTokenCreateResponse, PlaidError> {
        self.call("/link/token/create", Idempotency::Mutating, request)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minimal_automated_microdeposits_request_matches_the_reference_byte_for_byte() {
        let request = LinkTokenCreateRequest::automated_microdeposits(
            "App",
            "u-123",
            "https://example.com/plaid/webhook",
        );
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(
            json,
            concat!(
                r#"{"client_name":"App","language":"en","country_codes":["US"],"#,
                r#""user":{"client_user_id":"u-123"},"products":["auth"],"#,
                r#""webhook":"https://example.com/plaid/webhook","#,
                r#""auth":{"automated_microdeposits_enabled":true}}"#
            )
        );
    }

    #[test]
    fn update_mode_sends_the_access_token_and_no_products() {
        let request =
            LinkTokenCreateRequest::update_mode("App", "u-1", AccessToken::new("access-sandbox-x"));
        let value = serde_json::to_value(&request).unwrap();
        assert_eq!(value["access_token"], "access-sandbox-x");
        assert!(value.get("products").is_none());
        assert!(value.get("webhook").is_none());
        assert!(value.get("auth").is_none());
        assert!(!format!("{request:?}").contains("access-sandbox-x"));
    }

    #[test]
    fn every_auth_switch_serializes_under_its_wire_name() {
        let auth = LinkTokenAuth {
            automated_microdeposits_enabled: Some(true),
            same_day_microdeposits_enabled: Some(false),
            instant_match_enabled: Some(true),
            instant_microdeposits_enabled: Some(false),
            auth_type_select_enabled: Some(true),
            sms_microdeposits_verification_enabled: Some(false),
            reroute_to_credentials: Some(RerouteToCredentials::Forced),
        };
        assert_eq!(
            serde_json::to_value(&auth).unwrap(),
            serde_json::json!({
                "automated_microdeposits_enabled": true,
                "same_day_microdeposits_enabled": false,
                "instant_match_enabled": true,
                "instant_microdeposits_enabled": false,
                "auth_type_select_enabled": true,
                "sms_microdeposits_verification_enabled": false,
                "reroute_to_credentials": "FORCED"
            })
        );
    }

    #[test]
    fn response_parses_with_extra_fields() {
        let response: LinkTokenCreateResponse = serde_json::from_str(
            r#"{"link_token":"link-sandbox-af1a0311","expiration":"2020-03-27T12:56:34Z",
                "request_id":"XQVgFigpGHXkb0b","new_field":1}"#,
        )
        .unwrap();
        assert_eq!(response.link_token.expose(), "link-sandbox-af1a0311");
        assert_eq!(
            response.expiration.to_rfc3339(),
            "2020-03-27T12:56:34+00:00"
        );
        assert_eq!(response.hosted_link_url, None);
    }
}
