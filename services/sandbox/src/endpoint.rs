//! The Plaid endpoints the sandbox serves: path, request fields, rate-limit error code.

/// A Plaid endpoint served by the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `/link/token/create`
    LinkTokenCreate,
    /// `/item/public_token/exchange`
    ItemPublicTokenExchange,
    /// `/accounts/get`
    AccountsGet,
    /// `/auth/get`
    AuthGet,
    /// `/item/get`
    ItemGet,
    /// `/item/remove`
    ItemRemove,
    /// `/bank_transfer/event/sync`
    BankTransferEventSync,
    /// `/transfer/event/sync`
    TransferEventSync,
    /// `/webhook_verification_key/get`
    WebhookVerificationKeyGet,
    /// `/sandbox/public_token/create`
    SandboxPublicTokenCreate,
    /// `/sandbox/item/set_verification_status`
    SandboxItemSetVerificationStatus,
    /// `/sandbox/bank_transfer/simulate`
    SandboxBankTransferSimulate,
    /// `/sandbox/bank_transfer/fire_webhook`
    SandboxBankTransferFireWebhook,
    /// `/sandbox/item/reset_login`
    SandboxItemResetLogin,
    /// `/sandbox/item/fire_webhook`
    SandboxItemFireWebhook,
    /// `/sandbox/transfer/simulate`
    SandboxTransferSimulate,
    /// `/sandbox/transfer/fire_webhook`
    SandboxTransferFireWebhook,
}

/// Number of endpoints (size of per-endpoint tables).
pub const COUNT: usize = 17;

/// Fields every request may carry (credentials in the body).
const CREDENTIALS: [&str; 2] = ["client_id", "secret"];

impl Endpoint {
    /// Every endpoint, in [`Endpoint::index`] order.
    pub const ALL: [Endpoint; COUNT] = [
        Endpoint::LinkTokenCreate,
        Endpoint::ItemPublicTokenExchange,
        Endpoint::AccountsGet,
        Endpoint::AuthGet,
        Endpoint::ItemGet,
        Endpoint::ItemRemove,
        Endpoint::BankTransferEventSync,
        Endpoint::TransferEventSync,
        Endpoint::WebhookVerificationKeyGet,
        Endpoint::SandboxPublicTokenCreate,
        Endpoint::SandboxItemSetVerificationStatus,
        Endpoint::SandboxBankTransferSimulate,
        Endpoint::SandboxBankTransferFireWebhook,
        Endpoint::SandboxItemResetLogin,
        Endpoint::SandboxItemFireWebhook,
        Endpoint::SandboxTransferSimulate,
        Endpoint::SandboxTransferFireWebhook,
    ];

    /// Position in per-endpoint tables.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The URL path, e.g. `/auth/get`.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::LinkTokenCreate => "/link/token/create",
            Endpoint::ItemPublicTokenExchange => "/item/public_token/exchange",
            Endpoint::AccountsGet => "/accounts/get",
            Endpoint::AuthGet => "/auth/get",
            Endpoint::ItemGet => "/item/get",
            Endpoint::ItemRemove => "/item/remove",
            Endpoint::BankTransferEventSync => "/bank_transfer/event/sync",
            Endpoint::TransferEventSync => "/transfer/event/sync",
            Endpoint::WebhookVerificationKeyGet => "/webhook_verification_key/get",
            Endpoint::SandboxPublicTokenCreate => "/sandbox/public_token/create",
            Endpoint::SandboxItemSetVerificationStatus => "/sandbox/item/set_verification_status",
            Endpoint::SandboxBankTransferSimulate => "/sandbox/bank_transfer/simulate",
            Endpoint::SandboxBankTransferFireWebhook => "/sandbox/bank_transfer/fire_webhook",
            Endpoint::SandboxItemResetLogin => "/sandbox/item/reset_login",
            Endpoint::SandboxItemFireWebhook => "/sandbox/item/fire_webhook",
            Endpoint::SandboxTransferSimulate => "/sandbox/transfer/simulate",
            Endpoint::SandboxTransferFireWebhook => "/sandbox/transfer/fire_webhook",
        }
    }

    /// The endpoint served at `path`.
    pub fn from_path(path: &str) -> Option<Endpoint> {
        Self::ALL.into_iter().find(|e| e.path() == path)
    }

    /// The `RATE_LIMIT_EXCEEDED` error code Plaid uses for this endpoint.
    pub fn rate_limit_code(self) -> &'static str {
        match self {
            Endpoint::AuthGet => "AUTH_LIMIT",
            Endpoint::AccountsGet => "ACCOUNTS_LIMIT",
            Endpoint::ItemGet => "ITEM_GET_LIMIT",
            _ => "RATE_LIMIT",
        }
    }

    /// Required top-level request fields (besides credentials).
    pub fn required(self) -> &'static [&'static str] {
        match self {
            Endpoint::LinkTokenCreate => &["client_name", "language", "country_codes"],
            Endpoint::ItemPublicTokenExchange => &["public_token"],
            Endpoint::AccountsGet
            | Endpoint::AuthGet
            | Endpoint::ItemGet
            | Endpoint::ItemRemove
            | Endpoint::SandboxItemResetLogin => &["access_token"],
            Endpoint::BankTransferEventSync | Endpoint::TransferEventSync => &["after_id"],
            Endpoint::WebhookVerificationKeyGet => &["key_id"],
            Endpoint::SandboxPublicTokenCreate => &["institution_id", "initial_products"],
            Endpoint::SandboxItemSetVerificationStatus => {
                &["access_token", "account_id", "verification_status"]
            }
            Endpoint::SandboxBankTransferSimulate => &["bank_transfer_id", "event_type"],
            Endpoint::SandboxBankTransferFireWebhook | Endpoint::SandboxTransferFireWebhook => {
                &["webhook"]
            }
            Endpoint::SandboxTransferSimulate => &["transfer_id", "event_type"],
            Endpoint::SandboxItemFireWebhook => &["access_token", "webhook_code"],
        }
    }

    /// Optional top-level request fields (besides credentials).
    pub fn optional(self) -> &'static [&'static str] {
        match self {
            Endpoint::LinkTokenCreate => &[
                "user",
                "user_id",
                "user_token",
                "products",
                "required_if_supported_products",
                "optional_products",
                "additional_consented_products",
                "webhook",
                "access_token",
                "access_tokens",
                "auth",
                "redirect_uri",
                "android_package_name",
                "link_customization_name",
                "account_filters",
                "institution_id",
                "institution_data",
                "hosted_link",
                "update",
                "transfer",
                "payment_initiation",
                "income_verification",
                "identity_verification",
                "investments",
                "statements",
                "eu_config",
                "card_switch",
                "base_report",
                "employment",
                "deposit_switch",
                "cra_options",
                "consumer_report_permissible_purpose",
                "enable_multi_item_link",
                "link_token_config",
            ],
            Endpoint::AccountsGet | Endpoint::AuthGet => &["options"],
            Endpoint::ItemGet => &[],
            Endpoint::ItemRemove => &["reason_code", "reason_note"],
            Endpoint::BankTransferEventSync => &["count"],
            Endpoint::TransferEventSync => &["count", "originator_client_id", "funding_account_id"],
            Endpoint::SandboxPublicTokenCreate => &["options", "user_token", "user_id"],
            Endpoint::SandboxBankTransferSimulate => &["failure_reason"],
            Endpoint::SandboxItemFireWebhook => &["webhook_type"],
            Endpoint::SandboxTransferSimulate => &["test_clock_id", "failure_reason", "webhook"],
            Endpoint::ItemPublicTokenExchange
            | Endpoint::WebhookVerificationKeyGet
            | Endpoint::SandboxItemSetVerificationStatus
            | Endpoint::SandboxBankTransferFireWebhook
            | Endpoint::SandboxTransferFireWebhook
            | Endpoint::SandboxItemResetLogin => &[],
        }
    }

    /// Whether `field` may appear at the top level of this endpoint's request.
    pub fn allows(self, field: &str) -> bool {
        CREDENTIALS.contains(&field)
            || self.required().contains(&field)
            || self.optional().contains(&field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_matches_all_order_and_paths_round_trip() {
        for (i, ep) in Endpoint::ALL.into_iter().enumerate() {
            assert_eq!(ep.index(), i);
            assert_eq!(Endpoint::from_path(ep.path()), Some(ep));
        }
        assert_eq!(Endpoint::from_path("/nope"), None);
    }

    #[test]
    fn rate_limit_codes() {
        assert_eq!(Endpoint::AuthGet.rate_limit_code(), "AUTH_LIMIT");
        assert_eq!(Endpoint::ItemRemove.rate_limit_code(), "RATE_LIMIT");
    }

    #[test]
    fn credentials_always_allowed() {
        assert!(Endpoint::AuthGet.allows("client_id"));
        assert!(Endpoint::AuthGet.allows("options"));
        assert!(!Endpoint::AuthGet.allows("foo"));
    }
}
