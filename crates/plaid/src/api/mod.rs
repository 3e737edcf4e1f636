//! Typed requests, responses and [`PlaidClient`](crate::PlaidClient) methods, one module per
//! endpoint group. Responses ignore unknown fields, nullable fields are `Option`, and enums keep
//! unknown values (`Other(String)`), because Plaid adds fields and enum values freely.

pub mod accounts;
pub mod auth;
pub mod bank_transfer;
pub mod item;
pub mod link;
pub mod products;
pub mod sandbox;
pub mod transfer;
pub mod webhook_key;

use serde::{Deserialize, Deserializer, Serialize};

use crate::client::plaid_response;

/// A response that carries nothing but Plaid's `request_id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestIdResponse {
    /// Plaid's id for the request.
    pub request_id: String,
}

plaid_response!(RequestIdResponse);

/// `options.account_ids` of `/accounts/get` and `/auth/get`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct AccountIdsOptions<'a> {
    /// Only these accounts.
    pub account_ids: Vec<&'a str>,
}

impl<'a> AccountIdsOptions<'a> {
    /// Options selecting `account_ids`.
    pub fn new<S: AsRef<str>>(account_ids: &'a [S]) -> Self {
        Self {
            account_ids: account_ids.iter().map(AsRef::as_ref).collect(),
        }
    }
}

/// Deserializes a nullable string enum where `""` also means "none".
pub(crate) fn empty_as_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: From<String>,
{
    let value = Option::<String>::deserialize(deserializer)?;
    Ok(value.filter(|v| !v.is_empty()).map(T::from))
}
