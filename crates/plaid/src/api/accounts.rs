//! `/accounts/get` and the account object `AccountBase` (reference 2.3).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::PlaidClient;
use crate::api::item::Item;
use crate::api::{AccountIdsOptions, empty_as_none};
use crate::client::plaid_response;
use crate::enums::string_enum;
use crate::error::PlaidError;
use crate::retry::Idempotency;
use crate::tokens::AccessToken;

string_enum! {
    /// `AccountBase.verification_status`. `null` and `""` (no micro-deposit/database
    /// verification) decode to `None` on [`AccountBase::verification_status`].
    pub enum VerificationStatus {
        /// Automated micro-deposit sent or pending; Plaid verifies by itself.
        PendingAutomaticVerification => "pending_automatic_verification",
        /// Same-Day micro-deposit; the user must enter the code.
        PendingManualVerification => "pending_manual_verification",
        /// Automated flow succeeded.
        AutomaticallyVerified => "automatically_verified",
        /// Same-Day flow succeeded.
        ManuallyVerified => "manually_verified",
        /// Automated flow not verified within 7 days; the Item is locked.
        VerificationExpired => "verification_expired",
        /// Same-Day: all 3 attempts used; the Item is locked.
        VerificationFailed => "verification_failed",
        /// Pending micro-deposit verification, deposit not yet sent.
        Unsent => "unsent",
        /// Deprecated Database Match result.
        DatabaseMatched => "database_matched",
        /// Database Auth pass.
        DatabaseInsightsPass => "database_insights_pass",
        /// Database Auth pass with caution.
        DatabaseInsightsPassWithCaution => "database_insights_pass_with_caution",
        /// Database Auth fail.
        DatabaseInsightsFail => "database_insights_fail",
        /// Database Auth pending.
        DatabaseInsightsPending => "database_insights_pending",
    }
}

string_enum! {
    /// `AccountBase.type`. The spec's `"other"` decodes to `Other("other")`.
    pub enum AccountType {
        /// Investment account.
        Investment => "investment",
        /// Credit card.
        Credit => "credit",
        /// Checking, savings, ...
        Depository => "depository",
        /// Loan.
        Loan => "loan",
        /// Brokerage (non-US).
        Brokerage => "brokerage",
    }
}

/// Balances of an account (cached, not real-time).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Balances {
    /// Available balance.
    #[serde(default)]
    pub available: Option<f64>,
    /// Current balance.
    #[serde(default)]
    pub current: Option<f64>,
    /// Credit limit.
    #[serde(default)]
    pub limit: Option<f64>,
    /// ISO 4217 currency.
    #[serde(default)]
    pub iso_currency_code: Option<String>,
    /// Non-ISO currency (crypto, ...).
    #[serde(default)]
    pub unofficial_currency_code: Option<String>,
    /// When the balance was last updated.
    #[serde(default)]
    pub last_updated_datetime: Option<DateTime<Utc>>,
}

/// Plaid's account object (`AccountBase`). It holds no account or routing number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountBase {
    /// Plaid's account id (can change on re-link).
    pub account_id: String,
    /// Balances.
    #[serde(default)]
    pub balances: Balances,
    /// Last 2-4 characters of the account number.
    #[serde(default)]
    pub mask: Option<String>,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Official name from the institution.
    #[serde(default)]
    pub official_name: Option<String>,
    /// Account type.
    #[serde(rename = "type")]
    pub account_type: AccountType,
    /// Subtype, e.g. `checking`, `savings` (70+ values, kept as a string).
    #[serde(default)]
    pub subtype: Option<String>,
    /// Micro-deposit/database verification state; `None` when not in use (`null` or `""`).
    #[serde(
        default,
        deserialize_with = "empty_as_none",
        skip_serializing_if = "Option::is_none"
    )]
    pub verification_status: Option<VerificationStatus>,
    /// Name the user typed (or `user.legal_name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_name: Option<String>,
    /// Stable id across re-links at TAN institutions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistent_account_id: Option<String>,
    /// `business`, `personal`, `unrecognized` (beta).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder_category: Option<String>,
}

/// `/accounts/get` response.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct AccountsGetResponse {
    /// Active accounts of the Item.
    pub accounts: Vec<AccountBase>,
    /// The Item.
    pub item: Item,
    /// Plaid's id for the request.
    pub request_id: String,
}

plaid_response!(AccountsGetResponse);

/// `/accounts/get` and `/auth/get` request body.
#[derive(Serialize)]
pub(crate) struct AccessTokenRequest<'a> {
    pub access_token: &'a AccessToken,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<AccountIdsOptions<'a>>,
}

impl PlaidClient {
    /// `POST /accounts/get` for every account of the Item. Read-only: retried.
    pub async fn accounts_get(
        &self,
        access_token: &AccessToken,
    ) -> Result<AccountsGetResponse, PlaidError> {
        let request = AccessTokenRequest {
            access_token,
            options: None,
        };
        self.call("/accounts/get", Idempotency::ReadOnly, &request)
            .await
    }

    /// `POST /accounts/get` with `options.account_ids`. Read-only: retried.
    pub async fn accounts_get_for_accounts<S: AsRef<str>>(
        &self,
        access_token: &AccessToken,
        account_ids: &[S],
    ) -> Result<AccountsGetResponse, PlaidError> {
        let request = AccessTokenRequest {
            access_token,
            options: Some(AccountIdsOptions::new(account_ids)),
        };
        self.call("/accounts/get", Idempotency::ReadOnly, &request)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(extra: &str) -> AccountBase {
        serde_json::from_str(&format!(
            r#"{{"account_id":"a1","balances":{{"available":null,"current":1.5,"limit":null,
            "iso_currency_code":"USD","unofficial_currency_code":null}},"mask":"0000",
            "name":"Plaid Checking","official_name":null,"type":"depository",
            "subtype":"checking"{extra}}}"#
        ))
        .unwrap()
    }

    #[test]
    fn verification_status_known_unknown_null_empty_and_absent() {
        let a = account(r#","verification_status":"pending_automatic_verification""#);
        assert_eq!(
            a.verification_status,
            Some(VerificationStatus::PendingAutomaticVerification)
        );
        let a = account(r#","verification_status":"brand_new_status""#);
        assert_eq!(
            a.verification_status,
            Some(VerificationStatus::Other("brand_new_status".into()))
        );
        assert_eq!(
            account(r#","verification_status":null"#).verification_status,
            None
        );
        assert_eq!(
            account(r#","verification_status":"""#).verification_status,
            None
        );
        assert_eq!(account("").verification_status, None);
    }

    #[test]
    fn parses_balances_type_and_unknown_fields() {
        let a = account(r#","receiver_details":null,"holder_category":"personal""#);
        assert_eq!(a.balances.current, Some(1.5));
        assert_eq!(a.balances.available, None);
        assert_eq!(a.account_type, AccountType::Depository);
        assert_eq!(a.subtype.as_deref(), Some("checking"));
        assert_eq!(a.holder_category.as_deref(), Some("personal"));
        let other: AccountType = serde_json::from_str("\"other\"").unwrap();
        assert_eq!(other, AccountType::Other("other".into()));
    }

    #[test]
    fn request_sends_options_only_when_filtering() {
        let token = AccessToken::new("access-sandbox-1");
        let plain = AccessTokenRequest {
            access_token: &token,
            options: None,
        };
        assert_eq!(
            serde_json::to_string(&plain).unwrap(),
            r#"{"access_token":"access-sandbox-1"}"#
        );
        let filtered = AccessTokenRequest {
            access_token: &token,
            options: Some(AccountIdsOptions::new(&["a1"])),
        };
        assert_eq!(
            serde_json::to_string(&filtered).unwrap(),
            r#"{"access_token":"access-sandbox-1","options":{"account_ids":["a1"]}}"#
        );
    }
}
