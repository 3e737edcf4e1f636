//! Wire shapes of Plaid responses built from Items: `AccountBase`, `Item`, `AuthGetNumbers`.

use serde::Serialize;

use crate::clock::rfc3339;
use crate::error::ApiError;
use crate::items::{Account, Item, VerificationStatus};

/// Products reported as available (not billed) on sandbox Items.
const AVAILABLE_PRODUCTS: [&str; 4] = ["balance", "identity", "signal", "transactions"];

/// `AccountBase.balances`.
#[derive(Serialize)]
pub struct Balances {
    available: Option<f64>,
    current: Option<f64>,
    limit: Option<f64>,
    iso_currency_code: Option<&'static str>,
    unofficial_currency_code: Option<&'static str>,
}

/// `AccountBase`.
#[derive(Serialize)]
pub struct AccountJson<'a> {
    account_id: &'a str,
    balances: Balances,
    mask: Option<&'a str>,
    name: &'a str,
    official_name: Option<&'a str>,
    subtype: Option<&'a str>,
    #[serde(rename = "type")]
    type_: &'static str,
    /// Absent for instant-auth accounts: the official clients model it as a non-nullable string.
    #[serde(skip_serializing_if = "Option::is_none")]
    verification_status: Option<VerificationStatus>,
}

impl<'a> From<&'a Account> for AccountJson<'a> {
    fn from(a: &'a Account) -> Self {
        AccountJson {
            account_id: &a.account_id,
            balances: Balances {
                available: a.available,
                current: a.current,
                limit: None,
                iso_currency_code: Some("USD"),
                unofficial_currency_code: None,
            },
            mask: Some(a.mask),
            name: a.name,
            official_name: a.official_name,
            subtype: Some(a.subtype),
            type_: "depository",
            verification_status: a.verification_status,
        }
    }
}

/// `Item` (as in `/accounts/get` and `/auth/get`).
#[derive(Serialize)]
pub struct ItemJson<'a> {
    item_id: &'a str,
    institution_id: Option<&'a str>,
    institution_name: Option<&'a str>,
    webhook: Option<&'a str>,
    auth_method: Option<&'static str>,
    error: Option<serde_json::Value>,
    available_products: &'static [&'static str],
    billed_products: &'a [String],
    products: &'a [String],
    consented_products: &'a [String],
    consent_expiration_time: Option<String>,
    update_type: &'static str,
}

impl<'a> From<&'a Item> for ItemJson<'a> {
    fn from(item: &'a Item) -> Self {
        ItemJson {
            item_id: &item.item_id,
            institution_id: (!item.institution_id.is_empty()).then_some(&*item.institution_id),
            institution_name: (!item.institution_name.is_empty()).then_some(item.institution_name),
            webhook: item.webhook.as_deref(),
            auth_method: Some(item.auth_method.as_str()),
            // Plaid: the Item's error is non-null only in /item/get; elsewhere it is the HTTP error.
            error: None,
            available_products: &AVAILABLE_PRODUCTS,
            billed_products: &item.products,
            products: &item.products,
            consented_products: &item.products,
            consent_expiration_time: None,
            update_type: "background",
        }
    }
}

/// `ItemWithConsentFields` (as in `/item/get`).
#[derive(Serialize)]
pub struct ItemWithConsentJson<'a> {
    #[serde(flatten)]
    item: ItemJson<'a>,
    created_at: String,
    consented_use_cases: [&'static str; 0],
    consented_data_scopes: [&'static str; 0],
}

impl<'a> From<&'a Item> for ItemWithConsentJson<'a> {
    fn from(item: &'a Item) -> Self {
        let mut json = ItemJson::from(item);
        if item.login_required {
            json.error = serde_json::to_value(ApiError::item_login_required().embedded(false)).ok();
        }
        ItemWithConsentJson {
            item: json,
            created_at: rfc3339(item.created_at),
            consented_use_cases: [],
            consented_data_scopes: [],
        }
    }
}

/// `NumbersACH`.
#[derive(Serialize)]
pub struct AchJson<'a> {
    account_id: &'a str,
    account: &'a str,
    routing: &'a str,
    wire_routing: Option<&'a str>,
    is_tokenized_account_number: bool,
    can_transfer_in: Option<bool>,
    can_transfer_out: Option<bool>,
}

impl<'a> From<&'a Account> for AchJson<'a> {
    fn from(a: &'a Account) -> Self {
        AchJson {
            account_id: &a.account_id,
            account: a.account_number,
            routing: a.routing,
            wire_routing: Some(a.wire_routing),
            is_tokenized_account_number: false,
            can_transfer_in: Some(true),
            can_transfer_out: Some(true),
        }
    }
}

/// `AuthGetNumbers`: only `ach` is filled for US accounts.
#[derive(Serialize)]
pub struct NumbersJson<'a> {
    ach: Vec<AchJson<'a>>,
    eft: [(); 0],
    international: [(); 0],
    bacs: [(); 0],
}

impl<'a> NumbersJson<'a> {
    /// Numbers of these accounts.
    pub fn ach(accounts: &[&'a Account]) -> Self {
        NumbersJson {
            ach: accounts.iter().map(|a| AchJson::from(*a)).collect(),
            eft: [],
            international: [],
            bacs: [],
        }
    }
}
