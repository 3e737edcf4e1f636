//! `/auth/get`: account and routing numbers (reference 2.4). The number types print
//! `[redacted]` for every number in `Debug`; reach them through the public fields only where they
//! are encrypted or shown to the account holder.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::PlaidClient;
use crate::api::AccountIdsOptions;
use crate::api::accounts::{AccessTokenRequest, AccountBase};
use crate::api::item::Item;
use crate::client::plaid_response;
use crate::error::PlaidError;
use crate::retry::Idempotency;
use crate::tokens::AccessToken;

/// What `Debug` prints instead of a number.
const REDACTED: &str = "[redacted]";

/// Writes `Some([redacted])`/`None` for an optional number.
fn redact_opt(value: &Option<String>) -> &'static str {
    match value {
        Some(_) => "Some([redacted])",
        None => "None",
    }
}

/// US ACH numbers of one account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AchNumbers {
    /// Plaid's account id.
    pub account_id: String,
    /// Account number (secret).
    pub account: String,
    /// ACH routing number (secret).
    pub routing: String,
    /// Wire routing number (secret), when different.
    #[serde(default)]
    pub wire_routing: Option<String>,
    /// Whether `account` is a tokenized account number (TAN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_tokenized_account_number: Option<bool>,
    /// Whether the account can receive transfers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_transfer_in: Option<bool>,
    /// Whether the account can send transfers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_transfer_out: Option<bool>,
}

impl fmt::Debug for AchNumbers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AchNumbers")
            .field("account_id", &self.account_id)
            .field("account", &format_args!("{REDACTED}"))
            .field("routing", &format_args!("{REDACTED}"))
            .field(
                "wire_routing",
                &format_args!("{}", redact_opt(&self.wire_routing)),
            )
            .field(
                "is_tokenized_account_number",
                &self.is_tokenized_account_number,
            )
            .field("can_transfer_in", &self.can_transfer_in)
            .field("can_transfer_out", &self.can_transfer_out)
            .finish()
    }
}

/// Canadian EFT numbers of one account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EftNumbers {
    /// Plaid's account id.
    pub account_id: String,
    /// Account number (secret).
    pub account: String,
    /// Institution number (secret).
    pub institution: String,
    /// Branch number (secret).
    pub branch: String,
}

impl fmt::Debug for EftNumbers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EftNumbers")
            .field("account_id", &self.account_id)
            .field("account", &format_args!("{REDACTED}"))
            .field("institution", &format_args!("{REDACTED}"))
            .field("branch", &format_args!("{REDACTED}"))
            .finish()
    }
}

/// International (IBAN/BIC) numbers of one account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InternationalNumbers {
    /// Plaid's account id.
    pub account_id: String,
    /// IBAN (secret).
    pub iban: String,
    /// BIC (secret).
    pub bic: String,
}

impl fmt::Debug for InternationalNumbers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InternationalNumbers")
            .field("account_id", &self.account_id)
            .field("iban", &format_args!("{REDACTED}"))
            .field("bic", &format_args!("{REDACTED}"))
            .finish()
    }
}

/// UK BACS numbers of one account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BacsNumbers {
    /// Plaid's account id.
    pub account_id: String,
    /// Account number (secret).
    pub account: String,
    /// Sort code (secret).
    pub sort_code: String,
}

impl fmt::Debug for BacsNumbers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BacsNumbers")
            .field("account_id", &self.account_id)
            .field("account", &format_args!("{REDACTED}"))
            .field("sort_code", &format_args!("{REDACTED}"))
            .finish()
    }
}

/// `numbers` of `/auth/get`: the four arrays, empty when unused.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthNumbers {
    /// US ACH numbers.
    #[serde(default)]
    pub ach: Vec<AchNumbers>,
    /// Canadian EFT numbers.
    #[serde(default)]
    pub eft: Vec<EftNumbers>,
    /// IBAN/BIC numbers.
    #[serde(default)]
    pub international: Vec<InternationalNumbers>,
    /// UK BACS numbers.
    #[serde(default)]
    pub bacs: Vec<BacsNumbers>,
}

impl AuthNumbers {
    /// The ACH numbers of one account.
    pub fn ach_for(&self, account_id: &str) -> Option<&AchNumbers> {
        self.ach.iter().find(|n| n.account_id == account_id)
    }
}

/// `/auth/get` response.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct AuthGetResponse {
    /// The accounts (with `verification_status`).
    pub accounts: Vec<AccountBase>,
    /// Their numbers.
    pub numbers: AuthNumbers,
    /// The Item.
    pub item: Item,
    /// Plaid's id for the request.
    pub request_id: String,
}

plaid_response!(AuthGetResponse);

impl PlaidClient {
    /// `POST /auth/get` for every account. Answers `PRODUCT_NOT_READY`
    /// ([`PlaidError::is_product_not_ready`]) until micro-deposit verification finished.
    /// Read-only: retried.
    pub async fn auth_get(
        &self,
        access_token: &AccessToken,
    ) -> Result<AuthGetResponse, PlaidError> {
        let request = AccessTokenRequest {
            access_token,
            options: None,
        };
        self.call("/auth/get", Idempotency::ReadOnly, &request)
            .await
    }

    /// `POST /auth/get` with `options.account_ids`. Read-only: retried.
    pub async fn auth_get_for_accounts<S: AsRef<str>>(
        &self,
        access_token: &AccessToken,
        account_ids: &[S],
    ) -> Result<AuthGetResponse, PlaidError> {
        let request = AccessTokenRequest {
            access_token,
            options: Some(AccountIdsOptions::new(account_ids)),
        };
        self.call("/auth/get", Idempotency::ReadOnly, &request)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NUMBERS: &str = r#"{
        "ach":[{"account_id":"a1","account":"1111222233330000","routing":"011401533",
                "wire_routing":"021000021","is_tokenized_account_number":false,"extra":1}],
        "eft":[{"account_id":"a2","account":"111122223333","institution":"021","branch":"01140"}],
        "international":[{"account_id":"a3","iban":"GB33BUKB20201555555555","bic":"GB33BUKB"}],
        "bacs":[{"account_id":"a4","account":"31926819","sort_code":"601613"}]}"#;

    #[test]
    fn debug_redacts_every_number() {
        let numbers: AuthNumbers = serde_json::from_str(NUMBERS).unwrap();
        let shown = format!("{numbers:?} {numbers:#?}");
        for secret in [
            "1111222233330000",
            "011401533",
            "021000021",
            "111122223333",
            "01140",
            "GB33BUKB",
            "31926819",
            "601613",
        ] {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
        assert!(shown.contains("a1") && shown.contains("a4"));
        assert!(shown.contains("[redacted]"));
    }

    #[test]
    fn numbers_parse_and_can_be_found_by_account() {
        let numbers: AuthNumbers = serde_json::from_str(NUMBERS).unwrap();
        let ach = numbers.ach_for("a1").unwrap();
        assert_eq!(ach.account, "1111222233330000");
        assert_eq!(ach.routing, "011401533");
        assert_eq!(ach.wire_routing.as_deref(), Some("021000021"));
        assert_eq!(ach.is_tokenized_account_number, Some(false));
        assert!(numbers.ach_for("nope").is_none());
        let empty: AuthNumbers = serde_json::from_str(r#"{"ach":[]}"#).unwrap();
        assert!(empty.eft.is_empty() && empty.bacs.is_empty());
        let no_wire: AchNumbers = serde_json::from_str(
            r#"{"account_id":"a","account":"1","routing":"2","wire_routing":null}"#,
        )
        .unwrap();
        assert!(format!("{no_wire:?}").contains("wire_routing: None"));
    }
}
